"""The raw floor: bare Starlette, the database driver, hand-written SQL and orjson.

No ORM and no validation: the least work that still answers the benchmark's four
operations with the same JSON as the other apps. What separates another app from this
one is the price of its framework layers. Served with
``BENCH_DATABASE_URL=... uvicorn benchmarks.http.floor:app``; the URL is SQLAlchemy's
(``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``).
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["app"]

COLUMNS = (
    "id, name, location, starts_at, capacity, status, contact, tags, venue_id, "
    "created_at, updated_at, version"
)
# Columns a PATCH may set: the body's keys are checked against it, never pasted blindly.
WRITABLE = frozenset(
    {"name", "location", "starts_at", "capacity", "status", "contact", "tags", "venue_id"}
)
GET_SQL = f"SELECT {COLUMNS} FROM events WHERE id = ?"
LIST_SQL = f"SELECT {COLUMNS} FROM events WHERE status = ? ORDER BY starts_at DESC, id DESC LIMIT ?"
INSERT_SQL = (
    "INSERT INTO events (name, location, starts_at, capacity, status, contact, tags, "
    "venue_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
    f"RETURNING {COLUMNS}"
)


class Backend(Protocol):
    """The few calls the floor makes, over one driver."""

    async def fetch_one(self, sql: str, *args: Any) -> dict[str, Any] | None: ...

    async def fetch_all(self, sql: str, *args: Any) -> list[dict[str, Any]]: ...

    def timestamp(self, value: datetime) -> Any:
        """A timestamp as the driver stores it."""
        ...

    async def close(self) -> None: ...


class SQLiteBackend:
    """One aiosqlite connection in autocommit mode: each statement is its own transaction."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection
        connection.row_factory = sqlite3.Row

    async def fetch_one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        async with self.connection.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _decoded(dict(row))

    async def fetch_all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        async with self.connection.execute(sql, args) as cursor:
            rows = await cursor.fetchall()
        return [_decoded(dict(row)) for row in rows]

    def timestamp(self, value: datetime) -> Any:
        # The generated app's format: naive UTC text, which every app here reads back.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")

    async def close(self) -> None:
        await self.connection.close()


class PostgresBackend:
    """A small asyncpg pool, sized as the generated app's SQLAlchemy pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def fetch_one(self, sql: str, *args: Any) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(_numbered(sql), *args)
        return None if row is None else _decoded(dict(row))

    async def fetch_all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(_numbered(sql), *args)
        return [_decoded(dict(row)) for row in rows]

    def timestamp(self, value: datetime) -> Any:
        return value

    async def close(self) -> None:
        await self.pool.close()


_NUMBERED: dict[str, str] = {}


def _numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, ...``, converted once per statement."""
    converted = _NUMBERED.get(sql)
    if converted is None:
        counter = iter(range(1, sql.count("?") + 1))
        converted = _NUMBERED[sql] = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
    return converted


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """Both drivers answer a JSON column as its text."""
    row["tags"] = orjson.loads(row["tags"])
    return row


async def open_backend(url: str) -> Backend:
    """The driver for a SQLAlchemy URL, without SQLAlchemy."""
    scheme, _, rest = url.partition("://")
    if scheme.startswith("sqlite"):
        connection = await aiosqlite.connect(rest.removeprefix("/"), isolation_level=None)
        return SQLiteBackend(connection)
    pool = await asyncpg.create_pool(f"postgresql://{rest}", min_size=5, max_size=15)
    return PostgresBackend(pool)


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code, media_type="application/json")


def _not_found() -> Response:
    return _json({"detail": "not found"}, 404)


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _cursor(row: Mapping[str, Any]) -> str:
    key = orjson.dumps([row["starts_at"], row["id"]])
    return base64.urlsafe_b64encode(key).decode()


async def list_events(request: Request) -> Response:
    limit = int(request.query_params.get("limit", "20"))
    status = request.query_params.get("status", "published")
    rows = await _backend(request).fetch_all(LIST_SQL, status, limit + 1)
    next_cursor = _cursor(rows[limit - 1]) if len(rows) > limit else None
    return _json({"items": rows[:limit], "next_cursor": next_cursor})


async def create_event(request: Request) -> Response:
    backend = _backend(request)
    data = orjson.loads(await request.body())
    now = backend.timestamp(datetime.now(UTC))
    row = await backend.fetch_one(
        INSERT_SQL,
        data["name"],
        data.get("location"),
        backend.timestamp(datetime.fromisoformat(data["starts_at"])),
        data.get("capacity", 100),
        data.get("status", "draft"),
        data.get("contact"),
        orjson.dumps(data.get("tags", [])).decode(),
        data.get("venue_id"),
        now,
        now,
    )
    return _json(row, 201)


async def get_event(request: Request) -> Response:
    row = await _backend(request).fetch_one(GET_SQL, request.path_params["event_id"])
    return _not_found() if row is None else _json(row)


async def update_event(request: Request) -> Response:
    backend = _backend(request)
    data = orjson.loads(await request.body())
    changes = {key: value for key, value in data.items() if key in WRITABLE}
    if "starts_at" in changes:
        changes["starts_at"] = backend.timestamp(datetime.fromisoformat(changes["starts_at"]))
    if "tags" in changes:
        changes["tags"] = orjson.dumps(changes["tags"]).decode()
    assignments = "".join(f"{column} = ?, " for column in changes)
    sql = (
        f"UPDATE events SET {assignments}updated_at = ?, version = version + 1 "
        f"WHERE id = ? RETURNING {COLUMNS}"
    )
    now = backend.timestamp(datetime.now(UTC))
    row = await backend.fetch_one(sql, *changes.values(), now, request.path_params["event_id"])
    return _not_found() if row is None else _json(row)


async def health(request: Request) -> Response:
    del request
    return _json({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.backend = await open_backend(os.environ["BENCH_DATABASE_URL"])
    try:
        yield
    finally:
        await app.state.backend.close()


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/events", list_events, methods=["GET"]),
        Route("/events", create_event, methods=["POST"]),
        Route("/events/{event_id:int}", get_event, methods=["GET"]),
        Route("/events/{event_id:int}", update_event, methods=["PATCH"]),
    ],
    lifespan=lifespan,
)
