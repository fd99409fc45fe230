"""Resources are imported on first use in LOCAL, at start-up elsewhere; routing is the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.core.deferred import DeferredRoute, ResourceRoutes
from app.core.discovery import CustomExtensions
from app.core.registry import ResourceBinding, RouteSpec
from app.main import create_app
from generated.registry import RESOURCES

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: this one has imported every resource already.
_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])  # an empty custom/: the repository's imports what it extends
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


def _probe(environment: str, tmp_path: Path) -> dict[str, object]:
    (tmp_path / "custom").mkdir(exist_ok=True)
    (tmp_path / "custom" / "__init__.py").write_text("", encoding="utf-8")
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
    # A new database: its tables are made from the models (which need no schema).
    assert first["built"] == first["started"] == first["ready"] == []
    assert first["models"] == sorted(binding.module for binding in RESOURCES)
    # A restart on a database already at this schema reads one number to know it.
    seen = _probe("LOCAL", tmp_path)
    assert seen["built"] == seen["started"] == seen["ready"] == seen["models"] == []
    assert seen["status"] == 200
    assert "venue" in seen["after_request"]  # type: ignore[operator]


def test_deployed_environments_import_every_resource_before_they_are_ready(
    tmp_path: Path,
) -> None:
    seen = _probe("DEV", tmp_path)
    assert seen["built"] == []
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


def test_the_registry_lists_exactly_the_routes_each_router_makes() -> None:
    for binding in RESOURCES:
        router = binding.build_router(binding.repository, binding.service, {})
        made = [
            (frozenset(getattr(route, "methods", ())), getattr(route, "path", ""), route.name)  # type: ignore[attr-defined]
            for route in router.routes
        ]
        listed = [(spec.methods, spec.path, spec.name) for spec in binding.routes]
        assert made == listed, binding.name


def test_a_stand_in_answers_as_the_route_it_stands_for(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    app = create_app(settings)
    stand_ins = [route for route in app.router.routes if isinstance(route, DeferredRoute)]
    assert {route.binding.name for route in stand_ins} == {b.name for b in RESOURCES}
    with TestClient(app) as client:
        # HEAD is no generated operation: FastAPI answers it through the stand-in.
        head = client.head("/venues")
        assert head.status_code == 405
        assert head.headers["allow"] == "GET, POST"
        created = client.post("/venues", json={"name": "Hall", "city": "Oslo", "seats": 10})
        assert created.status_code == 201, created.text
        assert client.get(created.headers["location"]).json()["name"] == "Hall"


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
    routes = ResourceRoutes([stale], CustomExtensions())
    with pytest.raises(
        RuntimeError, match=r"generated/event/router.py .*; run `specbase generate`"
    ):
        routes.build_all()
