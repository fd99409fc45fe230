"""Request ids in and out, the access line, and JSON log lines."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.core.http.logs import JsonFormatter, _RequestIdFilter
from app.main import create_app


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.access"]


def test_a_client_request_id_is_returned_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    caplog.handler.addFilter(_RequestIdFilter())
    response = client.get("/events", headers={"X-Request-ID": "trace-42.a"})
    assert response.headers["x-request-id"] == "trace-42.a"
    (record,) = _access_records(caplog)
    assert record.request_id == "trace-42.a"  # type: ignore[attr-defined]
    assert (record.method, record.path, record.status) == ("GET", "/events", 200)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]


def test_an_id_is_generated_when_absent_or_unsafe(client: TestClient) -> None:
    generated = client.get("/events").headers["x-request-id"]
    assert len(generated) == 32
    assert int(generated, 16) >= 0
    unsafe = client.get("/events", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    assert len(unsafe.headers["x-request-id"]) == 32


def test_errors_carry_the_request_id_too(client: TestClient) -> None:
    missing = client.get("/events/999", headers={"X-Request-ID": "abc"})
    assert missing.status_code == 404
    assert missing.headers["x-request-id"] == "abc"
    assert missing.headers["content-type"] == "application/problem+json"


def test_every_line_of_a_request_carries_its_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(_RequestIdFilter())
    client.post("/events", json={"name": "x", "starts_at": "2026-01-01T00:00:00Z"},
                headers={"X-Request-ID": "req-1"})  # fmt: skip
    lines = [r for r in caplog.records if r.name.startswith("app")]
    assert lines
    assert {getattr(r, "request_id", None) for r in lines} == {"req-1"}


def test_json_formatter_writes_one_object_per_line() -> None:
    record = logging.makeLogRecord(
        {"name": "app.access", "levelname": "INFO", "msg": "GET %s", "args": ("/x",),
         "request_id": "r1", "status": 200, "duration_ms": 1.5}
    )  # fmt: skip
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "GET /x"
    assert parsed["request_id"] == "r1"
    assert (parsed["status"], parsed["duration_ms"]) == (200, 1.5)
    assert parsed["level"] == "INFO"


def test_an_unexpected_error_is_a_logged_500_problem_with_the_id(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, custom_package="tests.app.fixtures.boom")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "boom-1"
    assert response.json()["status"] == 500
    assert "secret internal detail" not in response.text
    errors = [r for r in caplog.records if r.name == "app.errors"]
    assert errors
    assert errors[0].exc_info is not None
