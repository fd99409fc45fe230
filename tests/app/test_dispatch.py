"""The operation dispatcher answers generated operations exactly as FastAPI's router would.

The same requests go to one app twice: once with the dispatcher's table in use, once with
every request sent on to FastAPI. Status, headers and body must be the same; and the
table must send to FastAPI what is not a generated operation (custom routes that come
first, HEAD, a trailing slash, a method the path does not serve, a mounted app).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from app.config import Settings
from app.core.dispatch import DispatchingFastAPI, OperationTable
from app.core.routing import OperationRoute
from app.main import create_app
from tests.api.helpers import create_event
from tests.support.databases import FreshDatabase

pytestmark = pytest.mark.dialects("sqlite")

REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/events/{id}", None),
    ("GET", "/events/{id}?expand=images", None),
    ("GET", "/events/0", None),
    ("GET", "/events/abc", None),
    ("GET", "/events/999999", None),
    ("GET", "/events?limit=2", None),
    ("GET", "/events?limit=0", None),
    ("GET", "/events?nope=1", None),
    ("GET", "/events/{id}/images", None),
    ("PATCH", "/events/{id}", {"capacity": 7}),
    ("PATCH", "/events/{id}", {"capacity": "seven"}),
    ("PUT", "/events/{id}", {"name": "Replaced", "starts_at": "2031-01-01T00:00:00Z"}),
    ("POST", "/events", {"name": "Another", "starts_at": "2031-02-01T00:00:00Z"}),
    ("POST", "/events", {"name": ""}),
    ("DELETE", "/events/999999", None),
    ("GET", "/events/by-location/Lyon", None),  # a custom route
    ("GET", "/health", None),
    ("TRACE", "/events/{id}", None),  # 405, with every method of the path
    ("GET", "/events/", None),
    ("HEAD", "/events/{id}", None),
]


def _undispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(table: OperationTable, scope: dict[str, Any]) -> None:
        del table, scope  # every request goes to FastAPI

    monkeypatch.setattr(OperationTable, "find", nothing)


# What differs between two runs of the same requests: the time and the request id.
_STAMPS = re.compile(rb'"(created_at|updated_at)":"[^"]*"')
_VARYING = frozenset({"x-request-id", "content-length"})


def _answers(app: FastAPI) -> Iterator[tuple[int, dict[str, str], bytes]]:
    with TestClient(app, raise_server_exceptions=False) as client:
        row = create_event(client, name="Dispatched")
        for method, target, body in REQUESTS:
            response = client.request(method, target.format(id=row["id"]), json=body)
            headers = {k: v for k, v in response.headers.items() if k not in _VARYING}
            yield response.status_code, headers, _STAMPS.sub(rb'"\1":"-"', response.content)


def test_answers_are_fastapis(
    fresh_database: FreshDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fresh_app() -> FastAPI:
        url = fresh_database().render_as_string(hide_password=False)
        return create_app(Settings(database_url=url))

    dispatched = list(_answers(fresh_app()))
    with monkeypatch.context() as patched:
        _undispatched(patched)
        expected = list(_answers(fresh_app()))
    assert len(dispatched) == len(REQUESTS)
    for request, got, want in zip(REQUESTS, dispatched, expected, strict=True):
        assert got == want, request
    assert {status for status, _, _ in dispatched} >= {200, 201, 404, 405, 422}


def _table(app: FastAPI) -> OperationTable:
    assert isinstance(app, DispatchingFastAPI)
    return app.operations


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path}


def test_generated_operations_are_found(app: FastAPI) -> None:
    table = _table(app)
    found = table.find(_scope("GET", "/events/12"))
    assert found is not None
    candidate, params = found
    assert params == {"event_id": "12"}
    assert isinstance(candidate.route, OperationRoute)
    assert candidate.route.name == "get_event"
    listed = table.find(_scope("POST", "/events"))
    assert listed is not None
    assert isinstance(listed[0].route, OperationRoute)
    assert listed[0].route.name == "create_event"
    nested = table.find(_scope("GET", "/events/3/images"))
    assert nested is not None
    assert nested[1] == {"event_id": "3"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/events/by-location/Lyon"),  # a custom route
        ("HEAD", "/events/1"),
        ("GET", "/events/"),
        ("TRACE", "/events/1"),
        ("GET", "/health"),
        ("GET", "/nowhere/1"),
        ("GET", "/events/bulk"),  # the 405 route before the item route
        ("GET", "/openapi.json"),
    ],
)
def test_everything_else_goes_to_fastapi(app: FastAPI, method: str, path: str) -> None:
    assert _table(app).find(_scope(method, path)) is None


def _generated_routes(table: OperationTable) -> list[Any]:
    return [c.route for candidates in table.by_segment.values() for c in candidates]


def test_an_earlier_route_wins_over_a_generated_one(app: FastAPI) -> None:
    async def featured() -> None: ...

    custom = Route("/events/featured", featured, methods=["GET"])
    table = _table(app)
    generated = _generated_routes(table)
    table.build([custom, *generated])
    assert table.find(_scope("GET", "/events/featured")) is None
    table.build([*generated, custom])  # after it, the generated item route takes the path
    found = table.find(_scope("GET", "/events/featured"))
    assert found is not None
    assert isinstance(found[0].route, OperationRoute)
    assert found[0].route.name == "get_event"


def test_routes_after_a_mount_go_to_fastapi(app: FastAPI) -> None:
    table = _table(app)
    operations = _generated_routes(table)
    assert table.find(_scope("GET", "/events/1")) is not None
    table.build([Mount("/static", app=FastAPI()), *operations])
    assert table.find(_scope("GET", "/events/1")) is None


def test_routes_after_one_that_takes_any_path_go_to_fastapi(app: FastAPI) -> None:
    async def anything() -> None: ...

    table = _table(app)
    operations = _generated_routes(table)
    table.build([*operations, Route("/{page}", anything, methods=["GET"])])
    assert table.find(_scope("GET", "/events/1")) is not None  # tried before it
    table.build([Route("/{page}/{item}", anything, methods=["GET"]), *operations])
    assert table.find(_scope("GET", "/events/1")) is None


def test_routes_with_typed_parameters_go_to_fastapi() -> None:
    async def endpoint() -> None: ...

    table = OperationTable()
    table.build([Route("/things/{thing_id:int}", endpoint, methods=["GET"])])
    assert table.find(_scope("GET", "/things/1")) is None


class _Stamp:
    """A project's own middleware: every response says it passed through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-stamp", b"yes")]
            await send(message)

        await self.app(scope, receive, stamped)


def test_operations_pass_the_apps_middleware(app: FastAPI) -> None:
    app.add_middleware(_Stamp)
    with TestClient(app) as client:
        row = create_event(client, name="Stamped")
        dispatched = client.get(f"/events/{row['id']}", headers={"Origin": "http://x.test"})
        other = client.get("/health")
    assert _table(app).find(_scope("GET", f"/events/{row['id']}")) is not None
    for response in (dispatched, other):
        assert response.headers["x-stamp"] == "yes"
        assert response.headers["x-request-id"]
    assert dispatched.status_code == 200
