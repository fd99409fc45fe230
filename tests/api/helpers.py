"""Shared helpers of the API tests: bodies, problem checks, paging and database snapshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import fastapi.routing
import httpx2
import yaml
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app.config import Settings
from app.core.operations.router import Operation, ResourceOperations
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PATH = ROOT / "generated" / "openapi.yaml"
FIXTURES = "tests.api.fixtures"

INT64_MAX = 2**63 - 1
UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
# What the server sets and a body never sends (deleted_at only on soft-deleted resources).
SERVER_FIELDS = ("id", "created_at", "updated_at", "version", "deleted_at")
# What a driver's error text looks like; none of it may reach a client.
SQL_MARKERS = (
    "select ",
    "insert ",
    "update events",
    "update images",
    "delete from",
    "constraint failed",
    "integrityerror",
    "sqlalchemy",
    "sqlite",
    "events.",
    "images.",
    "uq_events",
    "fk_images",
)
MERGE_PATCH = "application/merge-patch+json"


def load_contract() -> dict[str, Any]:
    contract: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text("utf-8"))
    return contract


CONTRACT = load_contract()


def contract_validator(schema_name: str) -> Draft202012Validator:
    """A validator of one ``components.schemas`` entry, its ``$ref``s resolved in the contract."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": CONTRACT["components"]}
    return Draft202012Validator(root)


def assert_matches_schema(body: Any, schema_name: str) -> None:
    errors = [e.message for e in contract_validator(schema_name).iter_errors(body)]
    assert errors == [], f"{schema_name}: {errors} in {body!r}"


# -- bodies -------------------------------------------------------------------------------------

# Unique event names, so that helpers never collide on the (name, starts_at) constraint.
_event_names = iter(range(10**9))


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Launch", "starts_at": "2026-01-01T10:00:00Z"}
    body.update(overrides)
    return body


def image_body(event_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": "https://cdn.example.com/a.png",
        "width": 640,
        "height": 480,
        "content_type": "image/png",
        "event_id": event_id,
    }
    body.update(overrides)
    return body


def create_event(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/events", json=event_body(**overrides))
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


def create_image(
    client: TestClient, event_id: int | None = None, **overrides: Any
) -> dict[str, Any]:
    if event_id is None:
        event_id = create_event(client, name=f"Host {next(_event_names)}")["id"]
    response = client.post("/images", json=image_body(event_id, **overrides))
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


@dataclass(frozen=True)
class Resource:
    """One resource as the tests drive it: where it lives and how to make a valid body."""

    name: str
    path: str
    id_param: str
    make_body: Callable[[TestClient], dict[str, Any]]
    schema: str

    def create(self, client: TestClient) -> dict[str, Any]:
        response = client.post(self.path, json=self.make_body(client))
        assert response.status_code == 201, response.text
        row: dict[str, Any] = response.json()
        return row

    def url(self, row_id: int | str) -> str:
        return f"{self.path}/{row_id}"


def _new_event_body(client: TestClient) -> dict[str, Any]:
    del client
    return event_body(name=f"Event {next(_event_names)}", location="Lyon", contact="a@b.example")


def _new_image_body(client: TestClient) -> dict[str, Any]:
    event_id = create_event(client, name=f"Host {next(_event_names)}")["id"]
    return image_body(event_id, caption="A caption")


EVENTS = Resource("Event", "/events", "event_id", _new_event_body, "EventRead")
IMAGES = Resource("Image", "/images", "image_id", _new_image_body, "ImageRead")
RESOURCES = [EVENTS, IMAGES]


# -- reading back -------------------------------------------------------------------------------


def parse_utc(value: Any) -> datetime:
    """A date-time the API answered: RFC 3339 in UTC, written with ``Z``."""
    assert isinstance(value, str), value
    assert UTC_DATETIME.match(value), f"not a UTC date-time ending in Z: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def all_pages(
    client: TestClient, path: str, limit: int = 100
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every row of a list, following ``next_cursor``; answers (rows, pages)."""
    rows: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        pages.append(page)
        rows.extend(page["items"])
        if page["next_cursor"] is None:
            return rows, pages
        assert len(pages) < 1000, "next_cursor never ends"
        params = {"limit": limit, "cursor": page["next_cursor"]}


def snapshot(client: TestClient) -> dict[str, list[dict[str, Any]]]:
    """Every stored row of every resource, as the API lists them."""
    return {r.path: all_pages(client, r.path)[0] for r in RESOURCES}


@contextmanager
def unchanged(
    client: TestClient, before: dict[str, list[dict[str, Any]]] | None = None
) -> Iterator[None]:
    """Asserts that the block, a failed write, left the database as it was (or as
    ``before``, a snapshot taken earlier, which saves listing it again)."""
    if before is None:
        before = snapshot(client)
    yield
    assert snapshot(client) == before, "a refused write changed the database"


# -- several cases in one test ------------------------------------------------------------------

T = TypeVar("T")


@dataclass
class _Check:
    """Records an assertion failure of one case instead of stopping the test there."""

    case: Any
    failures: list[str] = field(default_factory=list)

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        del tb
        if kind is not None and issubclass(kind, AssertionError):
            self.failures.append(f"case {self.case!r}: {error}")
            return True
        return False


def each_case(cases: Iterable[T]) -> Iterator[tuple[T, _Check]]:
    """``for case, check in each_case(cases): with check: ...`` checks every case, then
    fails once, listing each case that failed (so one test reports all of them)."""
    failures: list[str] = []
    for case in cases:
        yield case, _Check(case, failures)
    assert not failures, f"{len(failures)} case(s) failed:\n" + "\n".join(failures)


# -- problems -----------------------------------------------------------------------------------


def assert_problem(
    response: httpx2.Response, status: int, *, pointers: tuple[str, ...] = ()
) -> dict[str, Any]:
    """An RFC 9457 problem of ``status``; each of ``pointers`` is named in ``errors``."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    media_type = response.headers.get("content-type", "").partition(";")[0].strip()
    assert media_type == "application/problem+json", response.headers.get("content-type")
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("type"), str), body
    assert isinstance(body.get("title"), str), body
    assert body["title"], body
    assert body.get("status") == status, body
    assert_matches_schema(body, "Problem")
    if pointers:
        errors = body.get("errors")
        assert isinstance(errors, list), body
        assert errors, body
        for error in errors:
            assert set(error) == {"pointer", "detail"}, error
            assert isinstance(error["pointer"], str), error
            assert isinstance(error["detail"], str), error
            assert error["detail"], error
        named = {e["pointer"] for e in errors}
        for pointer in pointers:
            assert pointer in named, f"{pointer} not in {sorted(named)}"
    return body


def assert_param_error(response: httpx2.Response, name: str) -> dict[str, Any]:
    """A 422 problem whose ``errors`` name the path or query parameter ``name``."""
    body = assert_problem(response, 422)
    pointers = [e["pointer"] for e in body.get("errors", [])]
    assert any(p.endswith(f"/{name}") for p in pointers), f"{name} not in {pointers}"
    return body


def assert_no_sql(body: Any) -> None:
    text = str(body).lower()
    leaked = [marker for marker in SQL_MARKERS if marker in text]
    assert leaked == [], f"SQL text {leaked} in {body!r}"


def other_app_client(
    tmp_path: Path, *, custom_package: str | None = "custom", **settings: Any
) -> TestClient:
    """A client of an app built with its own settings; use it as a context manager."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    app = create_app(Settings(database_url=database_url, **settings), custom_package=custom_package)
    return TestClient(app, raise_server_exceptions=False)


# -- routes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedRoute:
    """One operation as the app serves it: a FastAPI route (the runtime's own, or a
    custom one; ``target`` is what ``get_openapi`` takes), or a generated operation."""

    path: str
    methods: frozenset[str]
    operation_id: str | None
    module: str  # where its endpoint is defined
    route: APIRoute | None = None
    target: Any = None
    operation: Operation | None = None

    @property
    def generated(self) -> bool:
        return self.operation is not None

    def is_custom(self, package: str = "custom") -> bool:
        """Declared in the custom package rather than by the contract (generated or app.core)."""
        return self.module == package or self.module.startswith(f"{package}.")


def served_routes(app: FastAPI) -> list[ServedRoute]:
    """Every operation of the app: its FastAPI routes, included routers flattened, with
    their effective paths, and every generated operation (each resource built)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:  # a FastAPI that copies included routes into app.routes
        pairs = [(r, r) for r in app.routes if isinstance(r, APIRoute)]
    else:
        contexts = iter_contexts(app.routes)
        pairs = [(c, c.original_route) for c in contexts if isinstance(c.original_route, APIRoute)]
    served = [
        ServedRoute(str(target.path), frozenset(target.methods or ()), route.operation_id,
                    route.endpoint.__module__, route, target)
        for target, route in pairs
    ]  # fmt: skip
    resources: ResourceOperations = app.state.resources
    for binding in resources.bindings:
        for operation in resources.operations(binding).values():
            served.append(
                ServedRoute(operation.path, frozenset({operation.method}), operation.name,
                            operation.endpoint.__module__, operation=operation)
            )  # fmt: skip
    return served
