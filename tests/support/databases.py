"""Throwaway databases on the PostgreSQL and MariaDB/MySQL servers the tests may use.

Each test session gets a database of its own on each server (``specbase_<random>``),
so that runs never see each other's tables, and drops it at the end. Between tests
the database is emptied, ids restarting at 1, as a fresh SQLite file would be; the
tables themselves stay (the app's LOCAL lifespan creates what is missing).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextlib import closing
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

__all__ = [
    "DIALECTS",
    "SERVER_URL_VARIABLES",
    "Database",
    "FreshDatabase",
    "SQLiteFile",
    "ServerDatabase",
    "run_on_schema",
    "server_url",
    "skip_reason",
]

DIALECTS = ("sqlite", "postgresql", "mysql")
SERVER_URL_VARIABLES = {"postgresql": "TEST_POSTGRES_URL", "mysql": "TEST_MYSQL_URL"}
_SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}
# Alembic's bookkeeping survives emptying: the tables it describes survive too.
_KEPT_TABLES = frozenset({"alembic_version"})

T = TypeVar("T")

# Answers the URL of a clean database each time it is called (the ``fresh_database`` fixture).
FreshDatabase = Callable[[], URL]


class Database(Protocol):
    """A database a test may empty and reuse, where its app keeps running."""

    @property
    def url(self) -> URL: ...

    def empty(self) -> None: ...


def server_url(dialect: str) -> str | None:
    """The server URL the environment names for ``dialect``, if any."""
    return os.environ.get(SERVER_URL_VARIABLES[dialect]) or None


def skip_reason(dialect: str) -> str:
    return f"{SERVER_URL_VARIABLES[dialect]} is not set: {_SERVER_NAMES[dialect]} tests skipped"


class SQLiteFile:
    """A SQLite file, emptied in place (an app serving it may keep it open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = make_url(f"sqlite+aiosqlite:///{path}")

    def empty(self) -> None:
        # Foreign keys are off on a new sqlite3 connection: any order does. A rowid
        # id restarts at 1 once its table is empty.
        with closing(sqlite3.connect(self.path, timeout=10)) as connection, connection:
            tables = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            for (table,) in tables:
                if table not in _KEPT_TABLES:
                    connection.execute(f'DELETE FROM "{table}"')


class ServerDatabase:
    """One database created on a server for this test session.

    All its I/O runs on a private event loop (the tests are synchronous; the app runs
    in its own loop), through one connection kept open between tests.
    """

    def __init__(self, server: str | URL, *, prefix: str = "specbase") -> None:
        self.server = make_url(server)
        self.dialect = self.server.get_backend_name()
        self.name = f"{prefix}_{secrets.token_hex(5)}"
        self.url = self.server.set(database=self.name)
        self._runner = asyncio.Runner()
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def create(self) -> None:
        self._run(self._on_server(f"CREATE DATABASE {self.name}"))

    def empty(self) -> None:
        """Delete every row of every table and restart the ids at 1."""
        self._run(self._empty())

    def drop(self) -> None:
        try:
            self._run(self._close())
            drop = f"DROP DATABASE IF EXISTS {self.name}"
            if self.dialect == "postgresql":
                drop += " WITH (FORCE)"  # an app a failed test left running holds connections
            self._run(self._on_server(drop))
        finally:
            self._runner.close()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    async def _on_server(self, statement: str) -> None:
        # PostgreSQL runs CREATE/DROP DATABASE only outside a transaction.
        engine = create_async_engine(self.server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    async def _empty(self) -> None:
        if self._connection is None:
            self._engine = create_async_engine(self.url, poolclass=NullPool)
            self._connection = await self._engine.connect()
            if self.dialect == "mysql" and not getattr(self._engine.dialect, "is_mariadb", True):
                # MySQL 8 caches information_schema's AUTO_INCREMENT, for a day by default.
                await self._connection.execute(
                    text("SET SESSION information_schema_stats_expiry = 0")
                )
        connection = self._connection
        try:
            if self.dialect == "postgresql":
                await _empty_postgresql(connection)
            else:
                await _empty_mysql(connection)
            await connection.commit()
        except BaseException:
            await self._close()
            raise

    async def _close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


async def _empty_postgresql(connection: AsyncConnection) -> None:
    # DELETE in foreign-key order and a sequence restart take a few milliseconds;
    # TRUNCATE takes tens, for new files on disk.
    tables = set(
        (
            await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ).scalars()
    )
    references = (
        await connection.execute(
            text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
            )
        )
    ).all()
    used_sequences = (
        await connection.execute(
            text(
                "SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
    ).scalars()
    for table in _referring_first(tables - _KEPT_TABLES, references):
        await connection.execute(text(f'DELETE FROM "{table}"'))
    for sequence in used_sequences:
        await connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


async def _empty_mysql(connection: AsyncConnection) -> None:
    # TRUNCATE restarts AUTO_INCREMENT; it is skipped for tables never written to,
    # which a plain DELETE empties just as well (an id-less or UUID table too).
    tables = (
        await connection.execute(
            text(
                "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
            )
        )
    ).all()
    await connection.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
    try:
        for table, next_id in tables:
            if table in _KEPT_TABLES:
                continue
            if next_id is not None and next_id > 1:
                await connection.execute(text(f"TRUNCATE TABLE `{table}`"))
            else:
                await connection.execute(text(f"DELETE FROM `{table}`"))
    finally:
        await connection.execute(text("SET FOREIGN_KEY_CHECKS = 1"))


def _referring_first(tables: set[str], references: Iterable[Any]) -> list[str]:
    """``tables`` ordered so that a table comes before every table it refers to."""
    graph: dict[str, set[str]] = {table: set() for table in tables}
    for referring, referred in references:
        table, target = str(referring).strip('"'), str(referred).strip('"')
        if table in graph and target in graph and table != target:
            graph[target].add(table)  # the referring rows go first
    return list(TopologicalSorter(graph).static_order())


def run_on_schema(url: URL, work: Callable[[Any], Awaitable[T]], *, deadline: float = 20.0) -> T:
    """``work`` given the runtime's database pool on ``url``, with the generated schema
    created; a wait past ``deadline`` seconds fails (a connection never given back)."""
    from app.core.data.database import AsyncDBPool
    from app.core.data.schema_sync import sync_schema
    from app.core.operations.registry import models_metadata

    async def main() -> T:
        database = AsyncDBPool(url)
        try:
            await sync_schema(database.engine, models_metadata())
            return await asyncio.wait_for(work(database), deadline)
        finally:
            await database.dispose()

    return asyncio.run(main())
