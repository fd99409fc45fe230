"""The whole API against its own contract: schemathesis, in-process, every check.

The schema is the one the app serves at ``/openapi.json``. Every operation is tested
with positive and with negative data (the coverage and fuzzing phases; the contract
has no examples), then the stateful phase chains calls along the contract's links
(create -> get, replace, update, delete; a parent's create -> its children's create,
with the new row's id as their reference; and the links schemathesis infers from
list items). All built-in checks run, ``not_a_server_error``, the conformance checks,
``positive_data_acceptance``, ``negative_data_rejection``, ``use_after_free`` and
``ensure_resource_availability`` among them.

Everything runs on SQLite, PostgreSQL and MariaDB (tests/conftest.py). Each test gets
a clean database from the ``app`` fixture (a fresh SQLite file, or the session's server
database emptied) and each stateful scenario another; schemathesis' ASGI transport runs
the app's lifespan on the first request and ends it when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.python.asgi import shutdown_lifespans

from app.config import Settings
from app.core.domain.types import INT64_MAX
from app.main import create_app
from generator.fuzz import acceptance_overrides
from generator.ir import OperationKind
from generator.pipeline import load_project
from tests.conftest import ROOT
from tests.support.databases import FreshDatabase

# Bounded and reproducible: the same examples every run, no example database on disk.
MAX_EXAMPLES = 25
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # One app and database serve every example of a test, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Scenarios of up to 8 calls each, the same ones on every dialect.
STATEFUL = settings(HYPOTHESIS, max_examples=50, stateful_step_count=8)
# Examples per operation and dialect: a call to a server costs more, so PostgreSQL and
# MariaDB run fewer of the same (derandomized) examples than SQLite in a file.
EXAMPLES = {"sqlite": MAX_EXAMPLES, "postgresql": 10, "mysql": 10}

# Rows created before each test (and each stateful scenario): every schema-valid
# ``event_id`` is pointed at the event, and the lists answer both, so that links from a
# list reach existing rows of both resources.
SEEDED_EVENT = {"name": "Seed", "starts_at": "2026-01-01T10:00:00Z"}
SEEDED_EVENT_ID = 1
SEEDED_IMAGE = {
    "url": "https://example.com/seed.jpg",
    "width": 640,
    "height": 480,
    "content_type": "image/jpeg",
    "event_id": SEEDED_EVENT_ID,
}


def _served_contract() -> dict[str, Any]:
    """What the app answers at /openapi.json; no request touches the database."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200, response.text
    contract: dict[str, Any] = response.json()
    return contract


def _config(mode: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": mode,
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # Every check is on (the default). Two refusals of schema-valid requests are
            # documented, as for `specbase fuzz`: a cursor no page answered (400), and a
            # reference to a row that is gone, e.g. deleted earlier in a scenario (422).
            "operations": acceptance_overrides(load_project(ROOT)),
        }
    )


def _refer_to_seeded_event(case: schemathesis.Case[Any]) -> None:
    """Point a schema-valid ``event_id`` at the seeded event.

    Any positive integer satisfies the contract, but only an existing row satisfies
    the database: without this every valid image would be the documented 422 for a
    missing reference. Invalid values (negative data) are sent as generated.
    """
    body = case.body
    if isinstance(body, dict) and _is_row_id(body.get("event_id")):
        body["event_id"] = SEEDED_EVENT_ID
    _leave_unseeded_references_empty(case)


def _leave_unseeded_references_empty(case: schemathesis.Case[Any]) -> None:
    """No venue or performer is seeded: their optional references are left empty."""
    body = case.body
    for reference in ("venue_id", "performer_id"):
        if isinstance(body, dict) and _is_row_id(body.get(reference)):
            body[reference] = None


def _is_row_id(value: object) -> bool:
    """Whether ``value`` is a valid id in the contract: a whole number in [1, 2**63 - 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value == int(value) and 1 <= value <= INT64_MAX


def _schema(mode: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(CONTRACT, config=_config(mode))


def _operations(contract: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"POST /events": operation, ...}``, every operation of the contract."""
    return {
        f"{method.upper()} {path}": operation
        for path, operations in contract["paths"].items()
        for method, operation in operations.items()
    }


def _without_input(contract: dict[str, Any]) -> dict[str, str]:
    """Operations with no parameter and no body (``/health``): no request can be invalid."""
    return {
        label: operation["operationId"]
        for label, operation in _operations(contract).items()
        if not operation.get("parameters") and "requestBody" not in operation
    }


CONTRACT = _served_contract()
positive = _schema("positive")
negative = _schema("negative").exclude(operation_id=list(_without_input(CONTRACT).values()))
every_mode = _schema("all")
# "POST /events" by "create_event", for the links, which name operations by id.
LABELS = {operation["operationId"]: label for label, operation in _operations(CONTRACT).items()}
# The operations declared under ``actions:``, by id, with the problem statuses their spec
# declares beyond the defaults (publish: 409).
ACTIONS = {
    op.id: op.action.declared_errors
    for resource in load_project(ROOT).resources
    for op in resource.endpoints
    if op.kind is OperationKind.ACTION and op.action is not None
}


def _seed(app: FastAPI) -> FastAPI:
    """Create the tables and the seeded rows, then end that lifespan."""
    with TestClient(app) as client:
        event = client.post("/events", json=SEEDED_EVENT)
        image = client.post("/images", json=SEEDED_IMAGE)
    assert event.status_code == 201, event.text
    assert event.json()["id"] == SEEDED_EVENT_ID
    assert image.status_code == 201, image.text
    return app


@pytest.fixture
def seeded_app(app: FastAPI) -> FastAPI:
    return _seed(app)


def _conformance_test(schema: schemathesis.BaseSchema, *dialects: str) -> Callable[..., Any]:
    """Every operation of ``schema`` called with generated data, checked against the
    contract, on ``dialects``; the server databases, slower per call, take fewer examples."""
    examples = max(EXAMPLES[dialect] for dialect in dialects)

    @pytest.mark.dialects(*dialects)
    @schema.parametrize()
    @settings(HYPOTHESIS, max_examples=examples)
    def conforms(case: schemathesis.Case[Any], seeded_app: FastAPI) -> None:
        _refer_to_seeded_event(case)
        case.call_and_validate(app=seeded_app)

    test: Callable[..., Any] = conforms  # the decorators are untyped
    return test


# The lists, whose query strings have the most to describe: arrays as repeated keys,
# escapes inside __in values, the cursor's shape. Valid and invalid queries, more of them.
# (Every operation is parametrized and the others skipped: with the config's per-operation
# settings, schemathesis 4 does not apply a schema's include filter.)
LISTS = {
    f"GET {path}"
    for path, item in CONTRACT["paths"].items()
    if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
}
list_queries = _schema("all")


@pytest.mark.dialects("sqlite")
@list_queries.parametrize()
@settings(HYPOTHESIS, max_examples=100)
def test_list_queries_agree_with_the_contract(
    case: schemathesis.Case[Any], seeded_app: FastAPI
) -> None:
    """Every list's query string, valid or not, answered as the contract says: a valid
    one is taken (or the documented 400 for a cursor no page answered), an invalid one
    refused."""
    if case.operation.label not in LISTS:
        pytest.skip("not a list: test_valid_requests_conform and the others test it")
    case.call_and_validate(app=seeded_app)


test_valid_requests_conform = _conformance_test(positive, "sqlite")
test_valid_requests_conform_on_servers = _conformance_test(positive, "postgresql", "mysql")
test_invalid_requests_are_rejected = _conformance_test(negative, "sqlite")
test_invalid_requests_are_rejected_on_servers = _conformance_test(negative, "postgresql", "mysql")


def _tested_operations(schema: schemathesis.BaseSchema) -> set[str]:
    return {
        result.ok().label if isinstance(result, Ok) else f"unloadable: {result.err()}"
        for result in schema.get_all_operations()
    }


def test_every_operation_is_tested() -> None:
    in_contract = set(_operations(CONTRACT))
    assert {"POST /events", "GET /events/by-location/{location}", "GET /health"} <= in_contract
    assert _tested_operations(positive) == in_contract
    assert _tested_operations(every_mode) == in_contract
    assert _tested_operations(negative) == in_contract - set(_without_input(CONTRACT))
    assert len(LISTS) == 9
    assert {"GET /events/{event_id}/images", "GET /venues/{venue_id}/upcoming-events"} <= LISTS


def _at_pointer(document: Any, expression: str) -> Any:
    """The value a link's ``$response.body#/a/b`` expression names in ``document``; the
    generator writes no other form of expression."""
    prefix = "$response.body#"
    assert expression.startswith(prefix), f"unexpected link expression {expression!r}"
    for token in filter(None, expression.removeprefix(prefix).split("/")):
        document = document[token.replace("~1", "/").replace("~0", "~")]
    return document


def _links(operation: schemathesis.APIOperation[Any, Any, Any, Any]) -> dict[str, dict[str, Any]]:
    """The links of an operation's 201 answer; the delete last, as it ends the row."""
    links: dict[str, dict[str, Any]] = operation.definition.raw["responses"]["201"]["links"]
    return dict(sorted(links.items(), key=lambda item: item[0].startswith("Delete")))


def _follow(link: dict[str, Any], created: Any, case: schemathesis.Case[Any]) -> dict[str, Any]:
    """Put into ``case`` what ``link`` takes from the ``created`` row; answers what the
    answer to ``case`` must show: the id the path names, the body's linked fields."""
    expected: dict[str, Any] = {}
    for name, expression in link.get("parameters", {}).items():
        assert case.path_parameters is not None
        case.path_parameters[name] = expected["id"] = _at_pointer(created, expression)
    body = {name: _at_pointer(created, expression)
            for name, expression in link.get("requestBody", {}).items()}  # fmt: skip
    if body:
        assert link["x-schemathesis"]["merge_body"]
        assert isinstance(case.body, dict)
        case.body.update(body)
        expected.update(body)
    # An If-Match or If-None-Match drawn at random is a precondition about another
    # version: answered 412 or 304, as test_valid_requests_conform checks.
    for header in ("If-Match", "If-None-Match"):
        if case.headers:
            case.headers.pop(header, None)
    return expected


def _linked_call(case: schemathesis.Case[Any], app: FastAPI) -> Any:
    """``case`` called and checked; an example is dropped when it is refused for a time
    the database cannot hold (``0001-01-01T00:00:00+01:00`` is in year 0 in UTC): the
    contract's date-time allows it, and test_valid_requests_conform checks that answer."""
    response = case.call_and_validate(app=app)
    if response.status_code == 422:
        errors = response.json()["errors"]
        if all("outside the years" in error["detail"] for error in errors):
            reject()
    return response


def _shows(response: Any, expected: dict[str, Any]) -> None:
    """The answer to a linked call is about the linked row (a delete shows nothing)."""
    if response.status_code != 204:
        row = response.json()
        assert {name: row[name] for name in expected} == expected, row


def _create_and_follow(
    data: st.DataObject,
    app: FastAPI,
    case: schemathesis.Case[Any],
    depth: int,
    expected: dict[str, Any] | None = None,
) -> list[str]:
    """Call the create ``case``, then every operation its answer's links lead to, with
    the new row's values, and so on ``depth`` creates deep: each call must succeed and
    conform. Answers the calls made, as ``POST /events -> POST /images -> GET ...``."""
    created = _linked_call(case, app)
    assert created.status_code == 201, (case.operation.label, case.body, created.text)
    _shows(created, expected or {})
    calls = [case.operation.label]
    for name, link in _links(case.operation).items():
        target = positive.find_operation_by_label(LABELS[link["operationId"]])
        assert target is not None, link
        step = data.draw(target.as_strategy(), label=f"{case.operation.label} -> {name}")
        _refer_to_seeded_event(step)
        linked = _follow(link, created.json(), step)
        # Every link the generator writes carries the new row's id, to the row's own
        # operations or as a child's reference.
        assert set(linked.values()) == {created.json()["id"]}, (name, link)
        if link["operationId"] not in ACTIONS and target.method.upper() == "POST" and depth > 1:
            chain = _create_and_follow(data, app, step, depth - 1, linked)
            calls += [f"{case.operation.label} -> {call}" for call in chain]
            continue
        response = _linked_call(step, app)
        if response.status_code in ACTIONS.get(link["operationId"], ()):
            # The action found the row and refused its state with a problem its spec
            # declares (publishing an event drawn as published is a 409); a link naming
            # the wrong row would answer 404, one naming a wrong value 422.
            calls.append(f"{case.operation.label} -> {target.label}")
            continue
        assert 200 <= response.status_code < 300, (name, step.body, response.text)
        _shows(response, linked)
        calls.append(f"{case.operation.label} -> {target.label}")
    return calls


def _creates_with_links() -> list[schemathesis.APIOperation[Any, Any, Any, Any]]:
    return [
        operation
        for label in _operations(CONTRACT)
        if label.startswith("POST ")
        and (operation := positive.find_operation_by_label(label)) is not None
        and "links" in operation.definition.raw["responses"].get("201", {})
    ]


@given(data=st.data())
@settings(HYPOTHESIS, max_examples=5)
def test_links_lead_to_valid_calls(data: st.DataObject, fresh_database: FreshDatabase) -> None:
    """Every link of the contract, followed with generated data: create -> get, replace,
    update, delete, and create_event -> create_image with the new event's id as the
    image's ``event_id``, then that image's own links. Each call must succeed (a link
    that names the wrong parameter or value would answer 404 or 422) and conform.

    The stateful test below explores the same links at random; this one follows each of
    them in every example, so that none can go unexercised.
    """
    app = _seed(
        create_app(Settings(database_url=fresh_database().render_as_string(hide_password=False)))
    )
    calls: list[str] = []
    try:
        for operation in _creates_with_links():
            case = data.draw(operation.as_strategy(), label=operation.label)
            _refer_to_seeded_event(case)
            calls += _create_and_follow(data, app, case, depth=2)
    finally:
        shutdown_lifespans()
    assert "POST /events -> POST /images -> DELETE /images/{image_id}" in calls
    assert {label.split(" -> ")[0] for label in calls} == {
        "POST /events",
        "POST /images",
        "POST /performers",
        "POST /venues",
    }


def test_linked_calls_conform(fresh_database: FreshDatabase) -> None:
    """Scenarios along the contract's links (and the ones schemathesis infers from list
    items), with schema-valid data, every check on: ``use_after_free`` and
    ``ensure_resource_availability`` among them.

    Each scenario starts on a fresh database: the data a scenario draws depends on
    the responses it got, which must not depend on earlier scenarios. Which links a
    scenario follows is left to schemathesis; test_links_lead_to_valid_calls follows
    every one of them.
    """
    # The scenarios explore the event and image operations, where the parent -> child
    # link is: the other resources' links are of the same shape and would take the
    # budget. Invalid data is sent to every operation by test_invalid_requests_are_rejected.
    paths = {p: ops for p, ops in CONTRACT["paths"].items()
             if p.split("/")[1] in ("events", "images")
             and (p.count("/") <= 2 or any(op.get("operationId") in ACTIONS
                                           for op in ops.values()))}  # fmt: skip
    scenarios = schemathesis.openapi.from_dict(
        {**CONTRACT, "paths": paths}, config=_config("positive")
    )

    class Workflow(scenarios.as_state_machine()):  # type: ignore[misc]  # a dynamic base
        def setup(self) -> None:
            url = fresh_database().render_as_string(hide_password=False)
            self.app = _seed(create_app(Settings(database_url=url)))

        def teardown(self) -> None:
            # The transport keeps a lifespan running per app until told otherwise.
            shutdown_lifespans()
            super().teardown()

        def step(self, step_input: StepInput) -> StepOutput:
            if (ParameterLocation.BODY, "event_id") in step_input.applied_parameters:
                _leave_unseeded_references_empty(step_input.case)  # the link's event
            else:
                _refer_to_seeded_event(step_input.case)
            output: StepOutput = super().step(step_input)
            return output

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            del case
            return {"app": self.app}

    Workflow.run(settings=STATEFUL)
