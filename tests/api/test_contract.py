"""The app serves generated/openapi.yaml unchanged, and its routes are what it describes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.helpers import CONTRACT, ServedRoute, served_routes

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
            assert route.route.operation_id == CONTRACT_OPERATIONS[key]["operationId"], key


def test_custom_routes_appear_in_the_served_document(app: FastAPI, served: dict[str, Any]) -> None:
    custom = _custom(app)
    assert ("get", "/events/by-location/{location}") in {
        key for route in custom for key in _route_keys(route)
    }
    served_operations = _operations(served)
    for route in custom:
        for key in _route_keys(route):
            assert key in served_operations, key
            assert served_operations[key].get("operationId") == route.route.operation_id, key
    every_route = {key for route in served_routes(app) for key in _route_keys(route)}
    assert set(served_operations) == every_route, "the document and the routes differ"


def _flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter schema with ``anyOf: [T, null]`` (optional parameters) reduced to T."""
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(branches) == 1:
        return {**branches[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _parameter_facts(parameters: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    facts = {}
    for parameter in parameters:
        schema = _flatten(parameter.get("schema", {}))
        facts[(parameter["in"], parameter["name"])] = {
            "required": parameter.get("required", False),
            "type": schema.get("type"),
            "default": schema.get("default"),
            **{bound: schema.get(bound) for bound in BOUNDS},
        }
    return facts


def _route_of(app: FastAPI, method: str, path: str) -> ServedRoute:
    routes = [r for r in _contract_routes(app) if (method, path) in _route_keys(r)]
    assert len(routes) == 1, f"{len(routes)} routes serve {method} {path}"
    return routes[0]


@operations
def test_route_parameters_match_the_contract(app: FastAPI, method: str, path: str) -> None:
    route = _route_of(app, method, path)
    derived = _operations(get_openapi(title="x", version="1", routes=[route.target]))
    assert set(derived) == {(method, path)}
    got = _parameter_facts(derived[(method, path)].get("parameters", []))
    assert got == _parameter_facts(CONTRACT_OPERATIONS[(method, path)].get("parameters", []))


@operations
def test_route_success_status_is_the_contract_one(app: FastAPI, method: str, path: str) -> None:
    route = _route_of(app, method, path)
    responses = CONTRACT_OPERATIONS[(method, path)]["responses"]
    declared = [code for code in responses if int(code) < 400]
    assert declared == [str(route.route.status_code or 200)]


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
