"""A request hook declared once in custom/hooks.py runs before every operation:
generated ones, actions and custom routes alike, and a test replaces it through
``app.dependency_overrides``."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from app.config import Settings
from app.core.operations.discovery import ExtensionError
from app.main import create_app
from tests.api.fixtures.tenant_hook import hooks
from tests.api.helpers import FIXTURES, assert_problem, event_body, other_app_client

TENANT = {"X-Tenant": "acme"}


def test_the_hook_reaches_generated_operations_actions_and_custom_routes(tmp_path: Path) -> None:
    hooks.SEEN.clear()
    with other_app_client(tmp_path, custom_package=f"{FIXTURES}.tenant_hook") as client:
        for method, path, body in [
            ("POST", "/events", event_body()),
            ("GET", "/events", None),
            ("GET", "/events/1/images", None),
            ("POST", "/events/1/publish", {}),
            ("GET", "/events/stats", None),
            ("GET", "/events/featured", None),
        ]:
            refused = client.request(method, path, json=body)
            assert_problem(refused, 400)
            assert "X-Tenant" in refused.json()["detail"]
        assert client.get("/events").status_code == 400
        assert client.get("/events", params={"limit": 1}).status_code == 400
        created = client.post("/events", json=event_body(), headers=TENANT)
        assert created.status_code == 201, created.text
        assert client.get("/events/featured", headers=TENANT).json() == {"featured": "none"}
        assert client.get(created.headers["location"], headers=TENANT).status_code == 200
        published = client.post(f"{created.headers['location']}/publish", json={}, headers=TENANT)
        assert published.status_code == 200, published.text
        assert client.get("/events/stats", headers=TENANT).json() == {"count": 1}
        # The runtime's own routes are for probes and browsers: no tenant there.
        assert client.get("/health").status_code == 200
        assert client.get("/openapi.json").status_code == 200
    assert hooks.SEEN == [
        "POST /events",
        "GET /events/featured",
        f"GET {created.headers['location']}",
        f"POST {created.headers['location']}/publish",
        "GET /events/stats",
    ]


def test_a_refused_request_changes_nothing(tmp_path: Path) -> None:
    with other_app_client(tmp_path, custom_package=f"{FIXTURES}.tenant_hook") as client:
        assert client.post("/events", json=event_body()).status_code == 400
        listed = client.get("/events", headers=TENANT)
        assert listed.json()["items"] == []


def test_a_test_replaces_the_hook_as_any_dependency(tmp_path: Path) -> None:
    seen: list[str] = []

    async def any_tenant(request: Request) -> None:
        seen.append(request.url.path)

    client = other_app_client(tmp_path, custom_package=f"{FIXTURES}.tenant_hook")
    client.app.dependency_overrides[hooks.require_tenant] = any_tenant  # type: ignore[attr-defined]
    with client:
        assert client.post("/events", json=event_body()).status_code == 201
        assert client.get("/events/featured").status_code == 200
    assert seen == ["/events", "/events/featured"]


def test_a_hook_that_is_no_async_function_of_the_request_stops_start_up(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ExtensionError, match=r"sync_hook\.hooks\.REQUEST_HOOKS: require_tenant "
                       r"is not an async function"):  # fmt: skip
        create_app(settings, custom_package=f"{FIXTURES}.sync_hook")
