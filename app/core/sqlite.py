"""SQLite through aiosqlite: no COMMIT or ROLLBACK with nothing to end; reads on their own.

aiosqlite runs every call on its connection's own thread: each one is a hop there and
back. SQLAlchemy commits at the end of every request and rolls back when the pool takes
the connection back, reads included; Python's sqlite3 then finds no transaction open
(SQLite opens one only for a write) and does nothing, after two hops. This dialect asks
the connection first (``in_transaction`` is read without a hop) and ends only a
transaction that is open, which is exactly what sqlite3 itself would do.

URLs keep their ``sqlite+aiosqlite`` form; :func:`quiet_url` names this dialect for the
engine, and ``dialect.driver`` stays ``aiosqlite``.

Reads that no session has begun go to a connection of their own (:func:`read_engine`),
shared by all of them: aiosqlite runs their statements one after the other, in the order
they came, and in WAL mode they never wait for a write. They would otherwise queue for
the one pooled connection writes hold for their whole transaction, and an asyncio queue
lets a newcomer take a connection given back before the waiter it woke (under load, a
list's p99 reached a second).

A read, or a write committed in the same call, is sent to aiosqlite without checking its
connection out of the pool (:class:`DirectConnection`): aiosqlite runs one call at a time
on the connection's thread, so such a call is whole by itself, and a checkout and check-in
(a greenlet, the pool's queue, its events) cost as much as the trip to the thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

__all__ = ["DirectConnection", "QuietSQLiteDialect", "in_memory", "quiet_url", "read_engine"]

_NAME = "specbase_aiosqlite"


class QuietSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite, ending a transaction only when SQLite has one open."""

    supports_statement_cache = True

    def do_commit(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            dbapi_connection.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            dbapi_connection.rollback()


def _in_transaction(dbapi_connection: Any) -> bool:
    # A closed connection (or one whose thread stopped) is left to aiosqlite to report.
    driver = dbapi_connection.driver_connection
    if getattr(driver, "_connection", None) is None:
        return True
    return bool(driver.in_transaction)


class DirectConnection:
    """The one connection of a SQLite engine (a pool of one, or a static pool), used
    without checking it out, for calls that are whole on aiosqlite's thread.

    aiosqlite runs a connection's calls one after the other on its own thread: a read
    (one SELECT, which opens no transaction) or a write that commits in the same call
    cannot be interleaved with anything. What the pool would add is mutual exclusion
    between transactions, which such a call does not need, as long as no transaction
    is open when it runs: a write checks that on the thread, and leaves the connection
    to its holder (answering None) when one is. Another request's statements may then
    come before or after it, as they would from another connection.

    The connection is taken from the pool once, and again if it was closed (the engine
    disposed, or the connection invalidated).

    A transaction that reads a row it will change holds the connection's writes
    (:meth:`hold`): SQLite has no ``SELECT … FOR UPDATE``, and Python's sqlite3 opens
    no transaction for a read, so a write committed in one call could otherwise come
    between that read and the write that follows it. While any transaction holds them,
    such writes are left to the pool (answering None), where they wait their turn.
    """

    __slots__ = ("_driver", "_engine", "_holders")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._driver: aiosqlite.Connection | None = None
        self._holders = 0

    def hold(self) -> None:
        """Keep writes that commit themselves out until :meth:`release`."""
        self._holders += 1

    def release(self) -> None:
        self._holders -= 1

    async def _connection(self) -> aiosqlite.Connection:
        driver = self._driver
        if driver is None or getattr(driver, "_connection", None) is None:
            async with self._engine.connect() as connection:
                fairy = await connection.get_raw_connection()
                driver = fairy.driver_connection
            assert isinstance(driver, aiosqlite.Connection)
            self._driver = driver
        return driver

    async def fetch(self, sql: str, args: Sequence[Any]) -> Sequence[Any]:
        """The rows of a read."""
        driver = await self._connection()
        rows = await driver.execute_fetchall(sql, args)
        return cast("Sequence[Any]", rows)  # a list of sqlite3 rows

    async def fetch_committed(self, sql: str, args: Sequence[Any]) -> list[Any] | None:
        """The rows of a write, then COMMIT, in one call on the connection's thread; a
        failed statement is rolled back there, so that nothing of it stays. None, having
        sent nothing, when a transaction is open on the connection (someone holds it),
        or one that will write holds the writes (see :meth:`hold`)."""
        if self._holders:
            return None
        driver: Any = await self._connection()

        def write() -> list[Any] | None:
            database: sqlite3.Connection = driver._conn  # used on its own thread only
            if database.in_transaction:
                return None
            try:
                cursor = database.execute(sql, args)
                try:
                    rows: list[Any] = cursor.fetchall()
                finally:
                    cursor.close()
                database.commit()
            except BaseException:
                database.rollback()
                raise
            return rows

        # aiosqlite's own way of running a call on its thread (every method of it uses it).
        written: list[Any] | None = await driver._execute(write)
        return written


def in_memory(url: URL) -> bool:
    """A SQLite URL naming no file: the database lives in its one connection."""
    return url.database in (None, "", ":memory:")


def quiet_url(url: URL) -> URL:
    """``url`` (``sqlite+aiosqlite://…``) served by :class:`QuietSQLiteDialect`."""
    if url.get_backend_name() != "sqlite" or url.get_driver_name() != "aiosqlite":
        return url
    return url.set(drivername=f"sqlite+{_NAME}")


def read_engine(url: URL, *, on_connect: Callable[..., None], **options: Any) -> AsyncEngine:
    """An engine whose one connection every read shares. After ``on_connect`` (the
    pragmas every connection gets) it refuses to write (``query_only``), so that only
    SELECTs, which open no transaction, ever reach it."""
    engine = create_async_engine(url, poolclass=StaticPool, **options)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "connect", _query_only)
    return engine


def _query_only(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


registry.register(f"sqlite.{_NAME}", __name__, "QuietSQLiteDialect")
