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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

__all__ = ["QuietSQLiteDialect", "in_memory", "quiet_url", "read_engine"]

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
