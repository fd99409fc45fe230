"""The pooled HTTP client against real local servers: retries, backoff, HTTP/2, lifecycle."""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import ASGIFramework
from starlette.requests import Request

from app.core.tools.http_client import (
    ClientConfig,
    HttpClientNotStartedError,
    HttpClientPool,
    RetryConfig,
    get_http_client,
    retry_after_seconds,
)

Message = dict[str, Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Seen:
    method: str
    path: str
    http_version: str
    headers: dict[str, str]


@dataclass
class Upstream:
    """An ASGI app answering ``statuses`` in turn, then 200, and recording every request."""

    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # sent with the scripted statuses
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], scope["path"], scope["http_version"], headers))
        while (await receive()).get("more_body", False):
            pass
        await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        answered = self.headers if status != 200 else {}
        raw = [(k.encode(), v.encode()) for k, v in answered.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b"ok" if status == 200 else b"busy"})


@asynccontextmanager
async def served(app: Upstream, *, pem: Path | None = None) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn on a free loopback port, answering its base URL."""
    # Bound and listening before hypercorn starts: no port race, no wait for readiness.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]
    config.graceful_timeout = 2.0
    if pem is not None:
        config.certfile = config.keyfile = str(pem)
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve(cast(ASGIFramework, app), config, shutdown_trigger=stop.wait)
    )
    try:
        yield f"{'https' if pem else 'http'}://127.0.0.1:{port}"
    finally:
        stop.set()
        await server


class Sleeps(list[float]):
    """A sleep that records how long it was asked to wait, and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def pool_for(base_url: str, sleep: Sleeps, **retry: Any) -> HttpClientPool:
    config = ClientConfig(base_url=base_url, retry=RetryConfig(**retry))
    return HttpClientPool(config, sleep=sleep)


# -- waits --------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    config = RetryConfig(backoff_factor=0.5, backoff_max=5.0, jitter=0.0)
    assert [config.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert config.backoff(10_000) == 5.0  # no float overflow however long it goes on


def test_jitter_draws_each_wait_within_its_share() -> None:
    config = RetryConfig(backoff_factor=1.0, backoff_max=8.0, jitter=0.25)
    draw = random.Random(7).random
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        waits = [config.backoff(retry, draw=draw) for _ in range(200)]
        assert all(0.75 * ceiling <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 100  # spread out, not one value
    assert config.backoff(2, draw=lambda: 0.0) == 2.0
    assert config.backoff(2, draw=lambda: 1.0) == 1.5


@pytest.mark.parametrize(
    "bad",
    [{"max_retries": -1}, {"backoff_factor": -1}, {"jitter": 1.5}, {"retry_statuses": (42,)}],
)
def test_retry_config_refuses_unsafe_values(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryConfig(**bad)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(" 7 ") == 7.0
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:42 GMT", now=now) == 42.0
    assert retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-3") is None


# -- retries against a live server ----------------------------------------------------------


@pytest.mark.anyio
async def test_a_get_succeeds_after_failures_within_max_retries() -> None:
    upstream = Upstream(statuses=[503, 502, 504])
    sleeps = Sleeps()
    async with served(upstream) as url:
        config = ClientConfig(base_url=url, headers={"X-Caller": "specbase"})
        async with HttpClientPool(config, sleep=sleeps) as pool:
            response = await pool.fetch_url("/items", params={"page": 2})
    assert (response.status_code, response.text) == (200, "ok")
    assert len(upstream.seen) == 4
    assert len(sleeps) == 3
    assert {seen.path for seen in upstream.seen} == {"/items"}
    assert all(seen.headers["x-caller"] == "specbase" for seen in upstream.seen)


@pytest.mark.anyio
async def test_backoff_really_waits_between_tries() -> None:
    upstream = Upstream(statuses=[503, 503])
    config = ClientConfig(retry=RetryConfig(backoff_factor=0.1, jitter=0.0))
    async with served(upstream) as url, HttpClientPool(config) as pool:
        started = time.monotonic()
        response = await pool.fetch_url(url)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert len(upstream.seen) == 3
    assert 0.3 <= elapsed < 2.0  # 0.1 s, then 0.2 s


@pytest.mark.anyio
async def test_retries_stop_at_max_retries_and_answer_the_last_response() -> None:
    upstream = Upstream(statuses=[503, 503, 429, 200])
    sleeps = Sleeps()
    async with served(upstream) as url, pool_for(url, sleeps, max_retries=2) as pool:
        response = await pool.fetch_url("/")
    assert response.status_code == 429
    assert len(upstream.seen) == 3
    assert len(sleeps) == 2


@pytest.mark.anyio
async def test_a_refused_connection_is_retried_then_raised() -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{closed_port()}"
    async with pool_for(url, sleeps, max_retries=3, jitter=0.0) as pool:
        with pytest.raises(httpx.ConnectError):
            await pool.fetch_url("/")
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_non_idempotent_request_is_sent_once(method: str) -> None:
    upstream = Upstream(statuses=[503, 503])
    sleeps = Sleeps()
    async with served(upstream) as url, pool_for(url, sleeps) as pool:
        response = await pool.fetch_url("/items", method=method, json={"name": "x"})
        with pytest.raises(httpx.ConnectError):
            await pool.fetch_url(f"http://127.0.0.1:{closed_port()}/", method=method)
    assert response.status_code == 503
    assert [seen.method for seen in upstream.seen] == [method]
    assert sleeps == []


@pytest.mark.anyio
async def test_a_read_timeout_is_not_retried() -> None:
    upstream = Upstream(delay=0.5)
    sleeps = Sleeps()
    async with served(upstream) as url, pool_for(url, sleeps) as pool:
        with pytest.raises(httpx.ReadTimeout):
            await pool.fetch_url("/", timeout=0.05)  # the request may have reached the server
    assert len(upstream.seen) == 1
    assert sleeps == []


@pytest.mark.anyio
async def test_retry_after_in_seconds_replaces_the_backoff() -> None:
    upstream = Upstream(statuses=[429], headers={"Retry-After": "1"})
    sleeps = Sleeps()
    async with served(upstream) as url, pool_for(url, sleeps, backoff_factor=0.0) as pool:
        response = await pool.fetch_url("/")
    assert response.status_code == 200
    assert sleeps == [1.0]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("ahead", "backoff_max", "low", "high"),
    [(timedelta(seconds=3), 30.0, 1.0, 3.0), (timedelta(hours=1), 2.0, 2.0, 2.0)],
    ids=["honoured", "capped"],
)
async def test_retry_after_as_an_http_date(
    ahead: timedelta, backoff_max: float, low: float, high: float
) -> None:
    when = format_datetime(datetime.now(UTC) + ahead, usegmt=True)
    upstream = Upstream(statuses=[503], headers={"Retry-After": when})
    sleeps = Sleeps()
    async with served(upstream) as url, pool_for(url, sleeps, backoff_max=backoff_max) as pool:
        response = await pool.fetch_url("/")
    assert response.status_code == 200
    assert len(sleeps) == 1
    assert low <= sleeps[0] <= high


# -- HTTP/2 ---------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("http2", "version"), [(True, "HTTP/2"), (False, "HTTP/1.1")])
async def test_http2_is_negotiated_when_both_sides_offer_it(
    tmp_path: Path, http2: bool, version: str
) -> None:
    ca = trustme.CA()
    pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    upstream = Upstream()
    async with served(upstream, pem=pem) as url:
        config = ClientConfig(base_url=url, http2=http2, verify=trusted)
        async with HttpClientPool(config) as pool:
            first = await pool.fetch_url("/one")
            second = await pool.fetch_url("/two")
    assert first.http_version == second.http_version == version
    assert [seen.http_version for seen in upstream.seen] == [version.removeprefix("HTTP/")] * 2


# -- lifecycle ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_pool_starts_once_and_closes_once() -> None:
    pool = HttpClientPool()
    with pytest.raises(HttpClientNotStartedError, match=r"call start\(\) first"):
        _ = pool.client
    client = pool.start()
    assert pool.start() is client
    assert pool.client is client
    await pool.aclose()
    assert client.is_closed
    assert not pool.started
    await pool.aclose()  # a lifespan may close in a finally without care
    with pytest.raises(HttpClientNotStartedError):
        await pool.fetch_url("http://127.0.0.1/")


@pytest.mark.anyio
async def test_the_dependency_opens_the_pool_on_first_use_and_keeps_it() -> None:
    pool = HttpClientPool()
    app = SimpleNamespace(state=SimpleNamespace(http_client_pool=pool))
    request = Request({"type": "http", "app": app})
    before = pool.started  # the lifespan only creates it
    client = get_http_client(request)
    assert (before, pool.started) == (False, True)
    assert get_http_client(request) is client is pool.client
    await pool.aclose()
    assert client.is_closed
