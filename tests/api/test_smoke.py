"""The loop end to end: create an event and read it back."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_create_then_get_event(client: TestClient) -> None:
    body = {"name": "Launch", "starts_at": "2026-01-01T10:00:00+02:00"}
    created = client.post("/events", json=body)
    assert created.status_code == 201
    assert created.headers["location"] == f"/events/{created.json()['id']}"
    fetched = client.get(created.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json()["starts_at"] == "2026-01-01T08:00:00Z"
    assert fetched.json()["status"] == "draft"
