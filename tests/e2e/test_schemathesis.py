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
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.python.asgi import shutdown_lifespans

from app.config import Settings
from app.core.types import INT64_MAX
from app.main import create_app
from generator.fuzz import acceptance_overrides
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


def _linked_event_id(step: StepInput) -> Any:
    """The ``event_id`` the ``CreateImage`` link (create_event -> create_image) put in
    this step's body, or ``None`` when the step did not follow that link."""
    body = step.case.body
    if (
        step.transition is None
        or step.case.operation.label != "POST /images"
        or (ParameterLocation.BODY, "event_id") not in step.applied_parameters
        or not isinstance(body, dict)
    ):
        return None
    return body.get("event_id")


def test_linked_calls_conform(fresh_database: FreshDatabase) -> None:
    """Scenarios along the contract's links: create -> get/replace/update/delete, and
    create_event -> create_image with the new event's id as the image's event_id.

    Each scenario starts on a fresh database: the data a scenario draws depends on
    the responses it got, which must not depend on earlier scenarios. The test also
    asserts that the parent -> child link is followed: some scenario creates an image
    of an event it created itself, then reaches that image's own operations.
    """
    # Statuses of create_image calls whose event_id came from the link, by case id.
    linked_images: dict[str, int] = {}
    # Operations called on an image that a linked create_image created.
    reached: set[str] = set()

    # The scenarios explore the event and image operations, where the links under test
    # are: the other resources' links are of the same shape and would take the budget.
    # Their data is schema-valid, so that links carry rows forward; invalid data is sent
    # to every operation by test_invalid_requests_are_rejected.
    paths = {p: ops for p, ops in CONTRACT["paths"].items()
             if p.split("/")[1] in ("events", "images") and p.count("/") <= 2}  # fmt: skip
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
            event_id = _linked_event_id(step_input)
            if event_id is None:
                _refer_to_seeded_event(step_input.case)
            else:  # the link's fresh event, not the seeded one
                assert event_id != SEEDED_EVENT_ID, step_input.case.body
                _leave_unseeded_references_empty(step_input.case)
            output: StepOutput = super().step(step_input)
            if event_id is not None:
                linked_images[step_input.case.id] = output.response.status_code
            elif (
                step_input.transition is not None
                and linked_images.get(step_input.transition.parent_id) == 201
            ):
                reached.add(step_input.case.operation.label)
            return output

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            del case
            return {"app": self.app}

    # More scenarios than the default: whether one follows the parent -> child link
    # depends on the rows earlier calls answered, which vary from run to run.
    Workflow.run(settings=settings(STATEFUL, max_examples=150))
    assert 201 in linked_images.values(), f"no image created from the link: {linked_images}"
    assert reached & {
        "GET /images/{image_id}",
        "PUT /images/{image_id}",
        "PATCH /images/{image_id}",
        "DELETE /images/{image_id}",
    }, f"no operation of a linked image was reached: {reached}"
