"""CORS preflight: allowed for a configured origin, refused for another."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    response = client.options(
        "/events",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    return {"status": str(response.status_code), **response.headers}


def test_preflight_allowed_only_for_configured_origins(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cors.db'}",
        cors_allow_origins=["https://app.example"],
        cors_allow_credentials=True,
    )
    with TestClient(create_app(settings)) as client:
        allowed = _preflight(client, "https://app.example")
        assert allowed["status"] == "200"
        assert allowed["access-control-allow-origin"] == "https://app.example"
        assert allowed["access-control-allow-credentials"] == "true"
        assert "POST" in allowed["access-control-allow-methods"]
        refused = _preflight(client, "https://evil.example")
        assert refused["status"] == "400"
        assert "access-control-allow-origin" not in refused
        simple = client.get("/events", headers={"Origin": "https://app.example"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
