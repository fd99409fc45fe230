"""The app serves generated/openapi.yaml unchanged, and its routes are what it describes."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient

from app.config import Settings
from app.core.data.cursor import CURSOR_PATTERN
from app.core.data.query import Listing
from app.core.data.query_values import ESCAPED_CHARACTER
from app.core.data.repository import HasMany
from app.core.operations.registry import ResourceBinding
from app.main import create_app
from generated.registry import RESOURCES
from generator.ir import Action
from generator.naming import snake_case
from generator.pipeline import load_project
from tests.api.helpers import (
    CONTRACT,
    ServedRoute,
    assert_param_error,
    each_case,
    served_routes,
)

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength")


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in METHODS
    }


CONTRACT_OPERATIONS = _operations(CONTRACT)
operations = pytest.mark.parametrize(
    ("method", "path"), sorted(CONTRACT_OPERATIONS), ids=lambda v: str(v).strip("/")
)


# Nothing here writes, so one app serves the whole module.
@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("contract") / "contract.db"
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{database}"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def app(app_client: TestClient) -> FastAPI:
    assert isinstance(app_client.app, FastAPI)
    return app_client.app


@pytest.fixture(scope="module")
def served(app_client: TestClient) -> dict[str, Any]:
    response = app_client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _route_keys(route: ServedRoute) -> set[tuple[str, str]]:
    return {(method.lower(), route.path) for method in route.methods}


def _contract_routes(app: FastAPI) -> list[ServedRoute]:
    """The routes that serve contract operations: generated ones and the runtime's (health)."""
    return [r for r in served_routes(app) if not r.is_custom()]


def _custom(app: FastAPI) -> list[ServedRoute]:
    return [r for r in served_routes(app) if r.is_custom()]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# -- the served document ------------------------------------------------------------------------


@operations
def test_served_operation_is_the_contract_one(
    served: dict[str, Any], method: str, path: str
) -> None:
    assert served["paths"].get(path, {}).get(method) == CONTRACT_OPERATIONS[(method, path)]


def test_served_document_keeps_the_contract_components_and_info(served: dict[str, Any]) -> None:
    assert served["openapi"] == CONTRACT["openapi"]
    assert served["info"] == CONTRACT["info"]
    for kind, entries in CONTRACT["components"].items():
        for name, entry in entries.items():
            assert served["components"][kind].get(name) == entry, f"components/{kind}/{name}"


def test_every_ref_of_the_served_document_resolves(served: dict[str, Any]) -> None:
    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in set(refs(served)):
        assert ref.startswith("#/"), ref
        node: Any = served
        for part in ref[2:].split("/"):
            assert isinstance(node, dict), ref
            assert part in node, f"{ref} does not resolve"
            node = node[part]


# -- the app's routes against the contract ------------------------------------------------------


def test_routes_other_than_custom_are_exactly_the_contract_operations(app: FastAPI) -> None:
    routes = _contract_routes(app)
    assert any(r.generated for r in routes)
    keys = [key for route in routes for key in _route_keys(route)]
    assert len(keys) == len(set(keys)), "two routes serve one operation"
    assert set(keys) == set(CONTRACT_OPERATIONS)
    for route in routes:
        for key in _route_keys(route):
            assert route.operation_id == CONTRACT_OPERATIONS[key]["operationId"], key


def test_a_fixed_path_is_no_id_of_an_item_path(app_client: TestClient) -> None:
    """``/events/bulk`` is not an event id: the methods it does not serve answer 405
    naming its own, not the item operation's."""
    paths = [path for path in CONTRACT["paths"] if "{" not in path]
    items = [p for p in CONTRACT["paths"] if "{" in p]
    fixed = []
    for path in paths:
        shadowing = [p for p in items if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path)]
        if not shadowing:
            continue
        fixed.append(path)
        served = {m.upper() for m in CONTRACT["paths"][path] if m in METHODS}
        others = {m.upper() for p in shadowing for m in CONTRACT["paths"][p] if m in METHODS}
        for method in sorted(others - served):
            response = app_client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert set(response.headers["allow"].split(", ")) == served
    assert "/events/bulk" in fixed


def test_custom_routes_appear_in_the_served_document(app: FastAPI, served: dict[str, Any]) -> None:
    custom = _custom(app)
    assert ("get", "/events/by-location/{location}") in {
        key for route in custom for key in _route_keys(route)
    }
    served_operations = _operations(served)
    for route in custom:
        for key in _route_keys(route):
            assert key in served_operations, key
            assert served_operations[key].get("operationId") == route.operation_id, key
    every_route = {key for route in served_routes(app) for key in _route_keys(route)}
    assert set(served_operations) == every_route, "the document and the routes differ"


def _flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema with ``anyOf: [T, null]`` (optional parameters) reduced to T."""
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(branches) == 1:
        return {**branches[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


# What a value's schema says about the values a parameter takes (not its title or prose;
# ``not: {pattern: NUL}`` neither: the runtime refuses NUL in every parameter).
SCHEMA_FACTS = (
    "type",
    "format",
    "pattern",
    "default",
    *BOUNDS,
    "minItems",
    "maxItems",
    "uniqueItems",
)


def _schema_facts(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """The facts of ``schema``, its ``$ref``s resolved in ``root`` (the document it is in)."""
    schema = _flatten(_resolve(root, schema))
    facts = {key: schema[key] for key in SCHEMA_FACTS if key in schema}
    if "enum" in schema:
        facts["enum"] = sorted(schema["enum"], key=repr)
    if "items" in schema:
        facts["items"] = _schema_facts(schema["items"], root)
    return facts


def _parameter_facts(
    parameters: list[dict[str, Any]], root: dict[str, Any]
) -> dict[tuple[str, str], dict[str, Any]]:
    facts = {}
    for parameter in parameters:
        parameter = _resolve(root, parameter)
        schema = _schema_facts(parameter.get("schema", {}), root)
        facts[(parameter["in"], parameter["name"])] = {
            "required": parameter.get("required", False),
            **({"style": parameter.get("style", "form"), "explode": parameter.get("explode", True)}
               if parameter["in"] == "query" and schema.get("type") == "array" else {}),
            "schema": schema,
        }  # fmt: skip
    return facts


def _route_of(app: FastAPI, method: str, path: str) -> ServedRoute:
    routes = [r for r in _contract_routes(app) if (method, path) in _route_keys(r)]
    assert len(routes) == 1, f"{len(routes)} routes serve {method} {path}"
    return routes[0]


# -- what the runtime reads besides the parameters FastAPI declares -----------------------------
#
# A list route reads its query string with its repository's ``Listing`` (filters, sort,
# cursor...), a get reads only ``?expand=``, and a versioned resource's routes read
# If-None-Match and If-Match themselves; every other operation refuses any query
# parameter. FastAPI cannot document these, so their facts are taken from the runtime
# objects that parse them and compared with the contract like the declared ones.

BINDINGS = {binding.plural: binding for binding in RESOURCES}
ITEM_OPERATIONS = {"get": "get", "put": "replace", "patch": "update", "delete": "delete"}


def _operation_kind(method: str, path: str) -> tuple[str, ResourceBinding] | None:
    """("list", the listed resource), (get|replace|update|delete, the resource), or None
    for an operation that takes no query parameter or header (create, bulk, link...)."""
    segments = path.strip("/").split("/")
    if segments[0] not in BINDINGS:
        return None
    last = segments[-1]
    if method == "get" and not last.startswith("{") and last in BINDINGS:
        return "list", BINDINGS[last]  # /events, and nested: /events/{event_id}/images
    if len(segments) == 2 and last.startswith("{") and method in ITEM_OPERATIONS:
        return ITEM_OPERATIONS[method], BINDINGS[segments[0]]
    return None


def _bound_repository(app: FastAPI, binding: ResourceBinding) -> type[Any]:
    """The (possibly custom) repository class the resource's services are built with."""
    repository: type[Any] = app.state.resources.extensions.repository_for(binding)
    return repository


def _array(items: dict[str, Any], **bounds: Any) -> dict[str, Any]:
    return {"required": False, "style": "form", "explode": True,
            "schema": {"type": "array", "items": items, **bounds}}  # fmt: skip


def _listing_facts(listing: Listing) -> dict[tuple[str, str], dict[str, Any]]:
    """The query parameters ``listing`` parses, with the facts its parser enforces."""
    sort_keys = sorted(f"{sign}{name}" for name in listing.sortable for sign in ("", "-"))
    schemas: dict[str, dict[str, Any]] = {
        "limit": {"type": "integer", "minimum": 1, "maximum": listing.max_limit,
                  "default": listing.default_limit},
        "cursor": {"type": "string", "maxLength": listing.max_cursor_length,
                   "pattern": CURSOR_PATTERN},
        "count": {"type": "boolean", "default": False},
    }  # fmt: skip
    if listing.soft_delete:
        schemas["include_deleted"] = {"type": "boolean", "default": False}
    for name, parsed in listing.filters.items():
        schema = parsed.adapter.json_schema()
        schemas[name] = _schema_facts(schema, schema)
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    for name, schema in schemas.items():
        if schema.get("type") == "array":  # ?field__in=a&field__in=b, or a,b
            items = _as_written(schema["items"])
            facts[("query", name)] = _array(items, **_without_items(schema))
        else:
            facts[("query", name)] = {"required": False, "schema": schema}
    string = {"type": "string"}
    facts[("query", "sort")] = _array(
        {**string, "enum": sort_keys}, minItems=1, maxItems=len(sort_keys)
    )
    if listing.expandable:
        facts[("query", "expand")] = _expand_facts(listing)
    assert {name for _, name in facts} == listing.parameters
    return facts


def _as_written(value: dict[str, Any]) -> dict[str, Any]:
    """An ``__in`` item of free text as the client writes it: with its escapes, each
    counted as the one character it stands for (app.core.data.query_values)."""
    if value.get("type") != "string" or value.get("pattern") != "^[^\\u0000]*$":
        return value
    least, most = value.get("minLength", 0), value.get("maxLength", "")
    kept = {k: v for k, v in value.items() if k not in ("pattern", "minLength", "maxLength")}
    return {**kept, "pattern": f"^{ESCAPED_CHARACTER}{{{least},{most}}}$"}


def _without_items(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("type", "items")}


def _expand_facts(listing: Listing) -> dict[str, Any]:
    names = sorted(listing.expandable)
    return _array(
        {"type": "string", "enum": names}, uniqueItems=True, minItems=1, maxItems=len(names)
    )


# The actions of the example, by (method, path): the runtime reads their query parameters
# with the action's generated query class.
ACTIONS = {
    (op.method.lower(), op.path): op.action
    for resource in load_project(ROOT).resources
    for op in resource.endpoints
    if op.action is not None
}


def _action_query_facts(action: Action) -> dict[tuple[str, str], dict[str, Any]]:
    if action.query_class is None:
        return {}
    module = importlib.import_module(f"generated.{snake_case(action.resource)}.schemas")
    schema = getattr(module, action.query_class).model_json_schema()
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    for name, value in schema["properties"].items():
        if value.get("type") == "array":
            facts[("query", name)] = _array(
                _schema_facts(value["items"], schema),
                **_without_items(_schema_facts(value, schema)),
            )
        else:
            facts[("query", name)] = {"required": False, "schema": _schema_facts(value, schema)}
    return facts


def _read_by_the_runtime(
    app: FastAPI, method: str, path: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """The query parameters and headers an operation reads from the request itself."""
    action = ACTIONS.get((method, path))
    if action is not None:  # its query class: what app.core.http.params.read_query validates
        return _action_query_facts(action)
    kind = _operation_kind(method, path)
    if kind is None:
        return {}
    operation, binding = kind
    repository = binding.repository
    if path.count("{") == (0 if operation == "list" else 1):  # not nested: maybe custom
        repository = _bound_repository(app, binding)
        assert issubclass(repository, binding.repository), repository
    listing: Listing = repository.listing
    segments = path.strip("/").split("/")
    if len(segments) == 3:  # nested: the parent's reference is the path's, not a filter
        relation = BINDINGS[segments[0]].repository.relations[segments[2]]
        if isinstance(relation, HasMany):
            listing = listing.without(relation.column)
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    if operation == "list":
        facts.update(_listing_facts(listing))
    if operation == "get" and listing.expandable:
        facts[("query", "expand")] = _expand_facts(listing)
    if "version" in repository.model.__table__.c:  # what app.core.domain.etag compares
        header = "If-None-Match" if operation == "get" else "If-Match"
        if operation != "list":
            facts[("header", header)] = {"required": False, "schema": {"type": "string"}}
    return facts


def _route_parameters(
    app: FastAPI, route: ServedRoute, method: str, path: str
) -> dict[Any, dict[str, Any]]:
    """Every parameter the route takes: its path parameters (as FastAPI declares them for
    its routes, as their readers validate them for generated operations), and the query
    parameters and headers the runtime reads."""
    if route.operation is None:
        derived = get_openapi(title="x", version="1", routes=[route.target])
        operations = _operations(derived)
        assert set(operations) == {(method, path)}
        declared = _parameter_facts(operations[(method, path)].get("parameters", []), derived)
    else:
        declared = {}
        for value in route.operation.path_values:
            schema = value.adapter.json_schema()
            facts = {"required": True, "schema": _schema_facts(schema, schema)}
            declared[("path", value.name)] = facts
        assert [name for _, name in declared] == re.findall(r"\{(\w+)\}", path)
    own = _read_by_the_runtime(app, method, path)
    assert not set(declared) & set(own), "a parameter read twice"
    return {**declared, **own}


@operations
def test_route_parameters_match_the_contract(app: FastAPI, method: str, path: str) -> None:
    route = _route_of(app, method, path)
    got = _route_parameters(app, route, method, path)
    contract = CONTRACT_OPERATIONS[(method, path)].get("parameters", [])
    assert got == _parameter_facts(contract, CONTRACT)


def test_the_runtime_reads_parameters_of_every_kind() -> None:
    """The comparison above covers query parameters, headers and path parameters."""
    seen = {
        location
        for (method, path), operation in CONTRACT_OPERATIONS.items()
        for location, _ in _parameter_facts(operation.get("parameters", []), CONTRACT)
    }
    assert seen == {"path", "query", "header"}
    versioned = [b for b in RESOURCES if "version" in b.repository.model.__table__.c]
    assert versioned, "no versioned resource: the header comparison would compare nothing"
    assert len(versioned) < len(RESOURCES), "no unversioned resource to compare either"


@operations
def test_route_success_status_is_the_contract_one(app: FastAPI, method: str, path: str) -> None:
    route = _route_of(app, method, path)
    responses = CONTRACT_OPERATIONS[(method, path)]["responses"]
    if route.operation is not None:
        status = route.operation.status
    else:
        assert route.route is not None
        status = route.route.status_code or 200
    assert [code for code in responses if code.startswith("2")] == [str(status)]
    # 304 Not Modified, exactly where the route reads If-None-Match.
    conditional = ("header", "If-None-Match") in _route_parameters(app, route, method, path)
    assert [code for code in responses if code.startswith("3")] == (["304"] if conditional else [])


def _sample(schema: dict[str, Any]) -> str:
    """A value of ``schema`` as a query string writes it."""
    schema = _flatten(_resolve(CONTRACT, schema))
    if "default" in schema:
        return str(schema["default"]).lower()
    if "enum" in schema:
        return str(schema["enum"][0])
    kind = schema.get("type")
    if kind == "array":
        return _sample(schema["items"])
    if kind == "integer":
        return str(schema.get("minimum", 1))
    if kind == "boolean":
        return "true"
    assert kind == "string", schema
    return "2026-01-01T00:00:00Z" if schema.get("format") == "date-time" else "a"


@operations
def test_route_takes_the_contract_query_parameters_and_no_other(
    app_client: TestClient, app: FastAPI, method: str, path: str
) -> None:
    """Each query parameter the contract declares is read (a valid value is not a 422),
    and one it does not declare is refused, naming it."""
    if not _route_of(app, method, path).generated:
        pytest.skip("the runtime's own routes (health) take any query string")
    url = re.sub(r"\{[^}]+\}", "1", path)  # no row has the id 1: a 404 after the parameters
    declared = [
        p for p in CONTRACT_OPERATIONS[(method, path)].get("parameters", []) if p["in"] == "query"
    ]
    for parameter, check in each_case(declared):
        with check:
            value = _sample(parameter["schema"])
            response = app_client.request(method, url, params={parameter["name"]: value})
            assert response.status_code != 422, response.text
            assert response.status_code < 500, response.text
    response = app_client.request(method, url, params={"undeclared": "1"})
    assert_param_error(response, "undeclared")


def test_custom_operations_declare_their_errors_as_problem_json(
    app: FastAPI, served: dict[str, Any]
) -> None:
    """The app answers every error as application/problem+json, custom routes included,
    so the served document must not promise anything else for them."""
    served_operations = _operations(served)
    wrong = {}
    for route in _custom(app):
        for key in _route_keys(route):
            for code, response in served_operations[key].get("responses", {}).items():
                if not code.startswith(("4", "5")):
                    continue
                media_types = set(_resolve(served, response).get("content", {}))
                if media_types != {"application/problem+json"}:
                    wrong[(*key, code)] = sorted(media_types)
    assert wrong == {}


def test_custom_operation_error_is_what_the_document_says(
    app_client: TestClient, served: dict[str, Any]
) -> None:
    operation = served["paths"]["/events/by-location/{location}"]["get"]
    response = app_client.get("/events/by-location/Paris", params={"limit": 0})
    assert response.status_code == 422
    declared = _resolve(served, operation["responses"].get("422", {})).get("content", {})
    media_type = response.headers["content-type"].partition(";")[0]
    assert media_type in declared, f"answered {media_type}, documented {sorted(declared)}"
