"""The process's pooled outbound HTTP client: HTTP/2, timeouts, and retries with backoff.

The lifespan owns one :class:`HttpClientPool`: it starts it on startup, stores it on
``app.state.http_client_pool`` and closes it on shutdown; handlers reach the client
through :func:`get_http_client`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpx
from starlette.requests import Request

__all__ = [
    "IDEMPOTENT_METHODS",
    "ClientConfig",
    "HttpClientNotStartedError",
    "HttpClientPool",
    "PoolConfig",
    "RetryConfig",
    "RetryTransport",
    "Sleep",
    "TimeoutConfig",
    "get_http_client",
    "retry_after_seconds",
]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
QueryValue = str | int | float | bool | None

# RFC 9110 §9.2.2: repeating these leaves the server as one request would have.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True, slots=True)
class TimeoutConfig:
    """Seconds allowed for each phase of a request; ``None`` waits forever."""

    connect: float | None = 5.0
    read: float | None = 30.0
    write: float | None = 30.0
    pool: float | None = 5.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How many connections the process keeps, and for how long idle ones live."""

    max_connections: int | None = 100
    max_keepalive: int | None = 20
    keepalive_expiry: float | None = 30.0

    def to_httpx(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_keepalive,
            keepalive_expiry=self.keepalive_expiry,
        )


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """When idempotent requests are tried again, and how long to wait in between.

    Retry ``n`` (from 1) waits ``backoff_factor * 2 ** (n - 1)`` seconds, capped by
    ``backoff_max``; ``jitter`` is the share of that wait drawn at random, so that
    clients failed by the same outage do not all come back at once. A ``Retry-After``
    header replaces the computed wait, still capped by ``backoff_max``.
    """

    max_retries: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_statuses: tuple[int, ...] = (429, 502, 503, 504)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.backoff_factor < 0 or self.backoff_max < 0:
            raise ValueError("backoff_factor and backoff_max must be 0 or more")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if any(not 100 <= status <= 599 for status in self.retry_statuses):
            raise ValueError("retry_statuses must be HTTP status codes")

    def backoff(self, retry: int, *, draw: Callable[[], float] = random.random) -> float:
        """The wait before retry number ``retry``; ``draw`` answers in [0, 1)."""
        # The exponent is clamped so that a large retry count cannot overflow a float.
        ceiling = min(self.backoff_max, self.backoff_factor * 2.0 ** min(retry - 1, 64))
        # Jitter applies after the cap, so that waits at the cap are spread out as well.
        return ceiling * (1.0 - self.jitter * draw())


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything the pooled client is built from, with defaults fit for production.

    ``verify`` takes an ``ssl.SSLContext`` to trust a private CA. ``proxy`` is the only
    way to a proxy: the environment's proxy variables are ignored, because httpx
    would send those requests around the retrying transport.
    """

    timeout: TimeoutConfig = field(default_factory=TimeoutConfig)
    pool: PoolConfig = field(default_factory=PoolConfig)
    retry: RetryConfig = field(default_factory=RetryConfig)
    http2: bool = True
    base_url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    verify: ssl.SSLContext | bool = True
    proxy: str | None = None


def retry_after_seconds(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, in either form; ``None`` if unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; parsedate leaves "-0000" naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryTransport(httpx.AsyncBaseTransport):
    """Wraps a transport to retry idempotent requests that failed for a passing reason.

    Retried: failures to connect (refused, unreachable, timed out connecting), where
    the request never reached the server, and the statuses of ``RetryConfig``. Not
    retried: other methods (a POST is sent once), read or write timeouts, and other
    statuses. When retries run out, the last response is returned as it is, or the
    last connection error raised. A body is sent again on each try, so it must be
    replayable (``content=`` or ``json=``, not an async generator).

        transport = RetryTransport(httpx.AsyncHTTPTransport(), RetryConfig(max_retries=5))
        async with httpx.AsyncClient(transport=transport) as client: ...
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        config: RetryConfig | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport
        self._config = config or RetryConfig()
        self._sleep = sleep
        self._draw = draw

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in IDEMPOTENT_METHODS:
            return await self._transport.handle_async_request(request)
        retries = 0
        while True:
            try:
                response = await self._transport.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if retries == self._config.max_retries:
                    raise
                delay = self._config.backoff(retries + 1, draw=self._draw)
                reason = repr(exc)
            else:
                if (
                    response.status_code not in self._config.retry_statuses
                    or retries == self._config.max_retries
                ):
                    return response
                delay = self._delay(retries + 1, response.headers.get("Retry-After"))
                reason = str(response.status_code)
                await response.aclose()  # gives the connection back before waiting
            retries += 1
            logger.info(
                "retry %d/%d of %s %s in %.2fs after %s",
                retries,
                self._config.max_retries,
                request.method,
                request.url,
                delay,
                reason,
            )
            await self._sleep(delay)

    def _delay(self, retry: int, retry_after: str | None) -> float:
        waited = retry_after_seconds(retry_after) if retry_after is not None else None
        if waited is None:
            return self._config.backoff(retry, draw=self._draw)
        return min(waited, self._config.backoff_max)

    async def aclose(self) -> None:
        await self._transport.aclose()


class HttpClientNotStartedError(RuntimeError):
    """The pool's client was asked for before ``start()`` or after ``aclose()``."""


class HttpClientPool:
    """Owns the process's one ``httpx.AsyncClient``, from ``start()`` to ``aclose()``.

    Both are idempotent, so a lifespan may close in a ``finally`` without care:

        pool = HttpClientPool(ClientConfig(base_url="https://api.example.com"))
        pool.start()
        try:
            response = await pool.fetch_url("/items", params={"page": 2})
        finally:
            await pool.aclose()

    ``sleep`` is how retries wait; tests pass one that records instead of sleeping.
    """

    def __init__(self, config: ClientConfig | None = None, *, sleep: Sleep = asyncio.sleep) -> None:
        self.config = config or ClientConfig()
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None

    @property
    def started(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise HttpClientNotStartedError(
                "The HTTP client pool is not started: call start() first, as the app's"
                " lifespan does, and do not use it after aclose()."
            )
        return self._client

    def start(self) -> httpx.AsyncClient:
        """Open the client if it is not open yet, and answer it."""
        if self._client is None:
            self._client = _build_client(self.config, self._sleep)
        return self._client

    async def aclose(self) -> None:
        """Close the client and its connections; closing twice does nothing more."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def fetch_url(
        self,
        url: str,
        *,
        method: str = "GET",
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, QueryValue | Sequence[QueryValue]] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Send one request, retried as ``RetryConfig`` says, and answer the read response.

        ``url`` may be relative to ``base_url``. ``timeout`` replaces the pool's for this
        request only. Error statuses are answered, not raised: check ``is_success``
        or call ``raise_for_status()``.
        """
        return await self.client.request(
            method.upper(),
            url,
            json=json,
            headers=headers,
            params=params,
            # None would mean "no timeout at all" to httpx; here it means the pool's.
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )


def _build_client(config: ClientConfig, sleep: Sleep) -> httpx.AsyncClient:
    connections = httpx.AsyncHTTPTransport(
        verify=config.verify,
        http2=config.http2,
        limits=config.pool.to_httpx(),
        proxy=config.proxy,
    )
    return httpx.AsyncClient(
        transport=RetryTransport(connections, config.retry, sleep=sleep),
        base_url=config.base_url,
        headers=dict(config.headers),
        timeout=config.timeout.to_httpx(),
        trust_env=False,
    )


def get_http_client(request: Request) -> httpx.AsyncClient:
    """The dependency answering the process's pooled client, opened on its first use; the
    lifespan closes it."""
    pool: HttpClientPool = request.app.state.http_client_pool
    return pool.start()
