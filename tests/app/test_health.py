"""Liveness without I/O; readiness following the database down and back up."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Environment, Settings
from app.main import create_app
from tests.support.proxy import TcpProxy


def test_liveness_answers_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readiness_reports_the_database_and_its_pool(
    client: TestClient, dialect: str, settings: Settings
) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"]["dialect"] == dialect
    # SQLite is served best by one connection; a server keeps every connection it opens,
    # up to the pool size plus its overflow.
    kept = settings.database_pool_size + settings.database_max_overflow
    size = 1 if dialect == "sqlite" else kept
    assert body["database"]["pool"]["size"] == size
    assert body["database"]["latency_ms"] >= 0


@pytest.fixture
def proxied_postgres() -> Iterator[tuple[TcpProxy, str]]:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set: no PostgreSQL to cut off")
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    proxied = target.set(host="127.0.0.1", port=proxy.port)
    yield proxy, proxied.render_as_string(hide_password=False)
    proxy.close()


def test_readiness_goes_503_while_the_database_is_away_and_recovers(
    proxied_postgres: tuple[TcpProxy, str],
) -> None:
    proxy, url = proxied_postgres
    settings = Settings(database_url=url, environment=Environment.DEV, database_pool_size=2)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/ready").status_code == 200
        proxy.stop()
        down = client.get("/health/ready")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["status"] == 503
        assert client.get("/health").status_code == 200  # liveness does no I/O
        proxy.start()
        back = client.get("/health/ready")
        assert back.status_code == 200
        assert back.json()["database"]["dialect"] == "postgresql"


def test_the_password_never_reaches_logs_or_health(caplog: pytest.LogCaptureFixture) -> None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set: no PostgreSQL to connect with a password")
    secret = "hunter2-do-not-log"
    target = make_url(url)  # trust authentication accepts and ignores the password
    settings = Settings(
        environment=Environment.DEV,
        database_host=target.host,
        database_port=target.port,
        database_user=target.username,
        database_name=target.database,
        database_password=secret,
        database_echo=True,
    )
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert secret not in ready.text
    assert caplog.records, "the app logged nothing, so the check proves nothing"
    assert all(secret not in record.getMessage() for record in caplog.records)
    assert secret not in caplog.text
    assert secret not in repr(settings)
