"""Generated operations are served by the app's own router, mounted after its other
routes: resources are imported on first use in LOCAL, at start-up elsewhere, and what
no route serves is answered as FastAPI answers it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.core.operations.discovery import CustomExtensions
from app.core.operations.registry import ResourceBinding, RouteSpec
from app.core.operations.router import OperationRouter, ResourceOperations
from app.main import create_app
from generated.registry import RESOURCES

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: this one has imported every resource already.
_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])  # a custom/ that extends Event alone (its actions)
from fastapi.testclient import TestClient

def loaded(kinds=(".schemas", ".router")):
    return sorted({m.split(".")[1] for m in sys.modules
                  if m.startswith("generated.") and m.endswith(kinds)})

from app.main import app  # built from the environment, as uvicorn does

import time
seen = {"built": loaded()}
with TestClient(app) as client:
    seen["started"] = loaded()
    seen["health"] = client.get("/health").status_code  # at once, warming up or not
    deadline = time.monotonic() + 60
    while client.get("/health/ready").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    seen["ready"] = loaded()
    seen["models"] = loaded((".models",))
    seen["status"] = client.get("/venues").status_code
    seen["after_request"] = loaded()
print(json.dumps(seen))
"""


# Event's actions, which specs/event.yaml declares: a custom package must implement them.
_EVENT_SERVICE = """
from app.core.domain.errors import Problem
from generated.event.schemas import (
    EventPublishRequest, EventRead, EventStatsQuery, EventStatsResponse,
)
from generated.event.service import EventServiceBase


class EventService(EventServiceBase):
    async def publish(self, event_id: int, body: EventPublishRequest) -> EventRead:
        raise Problem(409, "not here")

    async def stats(self, query: EventStatsQuery) -> EventStatsResponse:
        return EventStatsResponse(count=0)
"""


def _probe(environment: str, tmp_path: Path) -> dict[str, object]:
    (tmp_path / "custom" / "event").mkdir(parents=True, exist_ok=True)
    (tmp_path / "custom" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "custom" / "event" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "custom" / "event" / "service.py").write_text(_EVENT_SERVICE, encoding="utf-8")
    env = {
        **os.environ,
        "ENVIRONMENT": environment,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return seen


def test_local_imports_a_resource_on_its_first_request(tmp_path: Path) -> None:
    first = _probe("LOCAL", tmp_path)
    # Only what custom/ extends is imported at start-up (it imports its bases).
    # A new database: its tables are made from the models (which need no schema).
    assert first["built"] == first["started"] == first["ready"] == ["event"]
    assert first["models"] == sorted(binding.module for binding in RESOURCES)
    # A restart on a database already at this schema reads one number to know it.
    seen = _probe("LOCAL", tmp_path)
    assert seen["built"] == seen["started"] == seen["ready"] == seen["models"] == ["event"]
    assert seen["status"] == 200
    assert "venue" in seen["after_request"]  # type: ignore[operator]


def test_deployed_environments_import_every_resource_before_they_are_ready(
    tmp_path: Path,
) -> None:
    seen = _probe("DEV", tmp_path)
    assert seen["built"] == ["event"]
    assert seen["health"] == 200
    assert seen["ready"] == sorted(binding.module for binding in RESOURCES)


@pytest.mark.parametrize(
    ("environment", "given", "expected"),
    [
        (Environment.LOCAL, None, False),
        (Environment.DEV, None, True),
        (Environment.PROD, None, True),
        (Environment.LOCAL, True, True),
        (Environment.PROD, False, False),
    ],
)
def test_preloading_follows_the_environment_unless_set(
    environment: Environment, given: bool | None, expected: bool
) -> None:
    settings = Settings(environment=environment, preload_resources=given)
    assert settings.preloads_resources is expected


def test_the_registry_lists_exactly_the_operations_each_router_makes() -> None:
    for binding in RESOURCES:
        operations = binding.build_operations(binding.repository, binding.service, {})
        made = [(operation.method, operation.path, operation.name) for operation in operations]
        listed = [
            (m, spec.path, spec.name) for spec in binding.routes for m in sorted(spec.methods)
        ]
        assert made == listed, binding.name


def _app(tmp_path: Path, **settings: Any) -> FastAPI:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    return create_app(Settings(database_url=url, **settings))


def test_the_operations_route_is_the_apps_first(tmp_path: Path) -> None:
    app = _app(tmp_path)
    first = app.routes[0]
    assert isinstance(first, OperationRouter)
    assert [r for r in app.routes if isinstance(r, OperationRouter)] == [first]
    resources: ResourceOperations = app.state.resources
    assert resources.built == 0  # nothing imported until a request needs it
    with TestClient(app) as client:
        created = client.post("/venues", json={"name": "Hall", "city": "Oslo", "seats": 10})
        assert created.status_code == 201, created.text
        assert client.get(created.headers["location"]).json()["name"] == "Hall"
        # A custom route for a path a template takes wins: /events/by-location is no id.
        assert client.get("/events/by-location/Lyon").status_code == 200
    assert resources.built == 1


# (method, path, status, Allow or Location): what no operation serves, answered as
# FastAPI's router answers it, and literal segments before parameters.
UNSERVED = [
    ("HEAD", "/venues", 405, "GET, POST"),
    ("TRACE", "/events/1", 405, "DELETE, GET, PATCH, PUT"),
    ("GET", "/events/bulk", 405, "POST"),
    ("PUT", "/events/bulk", 405, "POST"),
    ("POST", "/health", 405, "GET"),
    ("GET", "/events/", 307, "http://testserver/events"),
    ("GET", "/events/1/", 307, "http://testserver/events/1"),
    ("GET", "/health/", 307, "http://testserver/health"),
    ("GET", "/nowhere", 404, None),
    ("GET", "/events/1/nothing", 404, None),
    ("GET", "/", 404, None),
]


@pytest.mark.parametrize(("method", "path", "status", "header"), UNSERVED)
def test_what_no_operation_serves(
    tmp_path: Path, method: str, path: str, status: int, header: str | None
) -> None:
    with TestClient(_app(tmp_path), raise_server_exceptions=False) as client:
        response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status, response.text
    if status == 405:
        assert response.headers["allow"] == header
    if status == 307:
        assert response.headers["location"] == header
    if status in (404, 405) and method != "HEAD":
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


def test_an_invalid_path_id_is_a_problem_naming_it(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        for value in ("abc", "0", str(2**63)):
            response = client.get(f"/events/{value}")
            assert response.status_code == 422, value
            pointers = [e["pointer"] for e in response.json()["errors"]]
            assert pointers == ["path:/event_id"], value


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


def test_operations_pass_the_apps_middleware(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.add_middleware(_Stamp)
    with TestClient(app) as client:
        created = client.post("/venues", json={"name": "Hall", "city": "Oslo", "seats": 10})
        for response in (created, client.get("/health"), client.get("/nowhere")):
            assert response.headers["x-stamp"] == "yes"
            assert response.headers["x-request-id"]
    assert created.status_code == 201


def test_operations_are_served_under_a_proxys_prefix(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app, root_path="/api") as client:
        created = client.post("/venues", json={"name": "Hall", "city": "Oslo", "seats": 10})
        assert created.status_code == 201, created.text
        row_id = created.json()["id"]
        assert client.get(f"/venues/{row_id}").json()["id"] == row_id


def test_a_router_out_of_step_with_the_registry_is_named() -> None:
    event = next(binding for binding in RESOURCES if binding.name == "Event")
    stale = ResourceBinding(
        name=event.name,
        module=event.module,
        plural=event.plural,
        spec=event.spec,
        operations=event.operations,
        routes=(RouteSpec(frozenset({"GET"}), "/events/{event_id}", "get_event"),),
    )
    operations = ResourceOperations([stale], CustomExtensions())
    with pytest.raises(
        RuntimeError, match=r"generated/event/router.py .*; run `specbase generate`"
    ):
        operations.build(stale)
