"""The database every app of one run shares: a fresh SQLite file or PostgreSQL database.

The schema is the generated app's (it creates it at start-up in LOCAL); the rows are
seeded here, through the generated model's table so that every column is stored
exactly as the generated app stores it.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = [
    "DATABASES",
    "DEFAULT_POSTGRES_URL",
    "SEED_ROWS",
    "DatabaseUnavailable",
    "fresh_database",
    "scratch_directory",
    "seed",
    "seed_rows",
]

DATABASES = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SEED_ROWS = 10_000
_LOCATIONS = ("Lyon", "Paris", "Berlin", "Madrid", None)
_STATUSES = ("draft", "published", "cancelled")


class DatabaseUnavailable(RuntimeError):
    """This kind of database cannot be used here; the run skips it."""


@contextmanager
def fresh_database(kind: str, work_dir: Path) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database of ``kind``, removed on the way out."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{work_dir / 'bench.db'}"
        return
    server_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    name = f"bench_{os.getpid()}"
    asyncio.run(_create_postgres(server_url, name))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_drop_postgres(server_url, name))


def _driver_dsn(server_url: str) -> str:
    """asyncpg's own form of a SQLAlchemy URL."""
    url = make_url(server_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _create_postgres(server_url: str, name: str) -> None:
    try:
        import asyncpg
    except ImportError:
        raise DatabaseUnavailable("asyncpg is not installed (uv sync --extra postgres)") from None
    try:
        connection = await asyncpg.connect(_driver_dsn(server_url), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        shown = make_url(server_url).render_as_string(hide_password=True)
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {shown} ({exc}); set BENCH_POSTGRES_URL"
        ) from None
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_postgres(server_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_driver_dsn(server_url), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def seed_rows(count: int) -> list[dict[str, Any]]:
    """``count`` varied events, the same ones every run; a third of them published."""
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    created = datetime(2024, 12, 1, tzinfo=UTC)
    return [
        {
            "name": f"Seeded event {number:05d}",
            "location": rng.choice(_LOCATIONS),
            "starts_at": start + timedelta(minutes=rng.randrange(525_600)),
            "capacity": rng.randrange(10, 5_000),
            "status": _STATUSES[number % 3],
            "contact": f"host{number}@example.com" if number % 2 else None,
            "tags": ["music", "outdoor"][: number % 3],
            "venue_id": None,
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }
        for number in range(1, count + 1)
    ]


def seed(database_url: str, count: int = SEED_ROWS) -> None:
    """Insert ``count`` events (ids 1..count in an empty table) in one executemany."""
    asyncio.run(_seed(database_url, count))


async def _seed(database_url: str, count: int) -> None:
    from generated.event.models import Event
    from generated.event.schemas import EventStatus

    rows = seed_rows(count)
    for row in rows:
        row["status"] = EventStatus(row["status"])
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(Event.metadata.tables["events"]), rows)
            # Fresh statistics, so that every app's queries get the same good plans.
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


def scratch_directory() -> tempfile.TemporaryDirectory[str]:
    """Where a run keeps its SQLite file and the servers' output."""
    return tempfile.TemporaryDirectory(prefix="specbase-bench-")
