"""Deployed environments build every resource on the event loop after start-up; the app
answers meanwhile, and is ready only once all are built."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.core.operations.discovery import CustomExtensions
from app.core.operations.registry import ResourceBinding
from app.core.operations.router import ResourceOperations
from app.core.operations.warmup import WarmUp
from app.main import create_app
from generated.registry import RESOURCES


def test_resources_are_built_one_per_turn_of_the_loop() -> None:
    routes = ResourceOperations(RESOURCES, CustomExtensions())
    warm_up = WarmUp(routes)
    seen: list[int] = []

    async def watch() -> None:
        warm_up.start()
        while not warm_up.done:
            seen.append(routes.built)
            await asyncio.sleep(0)

    asyncio.run(watch())
    assert routes.built == len(RESOURCES) > 1
    # The watcher ran between every two builds: it saw each count on the way.
    assert seen == sorted(seen)
    assert sorted(set(seen)) == list(range(len(RESOURCES)))
    assert warm_up.state() is None


def test_a_resource_that_fails_to_build_keeps_the_app_unready(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = next(binding for binding in RESOURCES if binding.name == "Event")
    broken = ResourceBinding(
        name="Broken",
        module="no_such_module",
        plural="brokens",
        spec="specs/broken.yaml",
        operations=event.operations,
        routes=event.routes,
    )
    warm_up = WarmUp(ResourceOperations([*RESOURCES[:1], broken], CustomExtensions()))

    async def run() -> None:
        warm_up.start()
        for _ in range(100):
            await asyncio.sleep(0)

    asyncio.run(run())
    state = warm_up.state()
    assert state is not None
    assert state.startswith("A resource failed to load: ModuleNotFoundError")
    assert "warm-up failed" in caplog.text
    assert not warm_up.done


def test_readiness_waits_for_the_warm_up(tmp_path: Path) -> None:
    settings = Settings(
        environment=Environment.DEV, database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    )
    app = create_app(settings)
    with TestClient(app) as client:
        warm_up: WarmUp = app.state.warm_up
        assert warm_up.started
        assert client.portal is not None
        pending = client.portal.call(_stalled)  # as if the warm-up were not done yet
        real, warm_up._task = warm_up._task, pending
        loading = client.get("/health/ready")
        assert loading.status_code == 503
        assert loading.headers["content-type"] == "application/problem+json"
        assert loading.json()["detail"].startswith("Loading the resources (")
        assert client.get("/health").status_code == 200
        warm_up._task = real
        warm_up.error = "ImportError: no module named x"
        failed = client.get("/health/ready")
        assert failed.status_code == 503
        assert "failed to load: ImportError" in failed.json()["detail"]
        warm_up.error = None
        assert client.get("/health/ready").status_code == 200
        pending.cancel()


async def _stalled() -> asyncio.Task[None]:
    async def forever() -> None:
        await asyncio.Event().wait()

    return asyncio.get_running_loop().create_task(forever())
