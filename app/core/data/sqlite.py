"""SQLite: a dialect that ends a transaction only when one is open, and connections of
our own, on threads of our own, for the reads and writes that need no SQLAlchemy.

aiosqlite runs every call on its connection's own thread: each one is a hop there and
back. SQLAlchemy commits at the end of every request and rolls back when the pool takes
the connection back, reads included; Python's sqlite3 then finds no transaction open
(SQLite opens one only for a write) and does nothing, after two hops. This dialect asks
the connection first (aiosqlite's ``in_transaction`` is read without a hop) and ends
only a transaction that is open, which is exactly what sqlite3 itself would do.

URLs keep their ``sqlite+aiosqlite`` form; :func:`quiet_url` names this dialect for the
engine, and ``dialect.driver`` stays ``aiosqlite``.

Reads that no session has begun go to a connection of their own (:func:`read_engine`),
shared by all of them: its statements run one after the other, in the order they came,
and in WAL mode they never wait for a write. They would otherwise queue for the one
pooled connection writes hold for their whole transaction, and an asyncio queue lets a
newcomer take a connection given back before the waiter it woke (under load, a list's
p99 reached a second).

A compiled read, and a compiled write that commits in the same call, need neither a
checkout nor SQLAlchemy: they go to a :class:`DirectConnection`, a sqlite3 connection
of ours on a thread of ours (a checkout and check-in, a greenlet, the pool's queue and
its events, cost as much as the trip to a thread). Only public APIs are used: sqlite3
itself, on the thread that opened the connection. A write and its COMMIT are one call
there; the write connection never waits for the lock SQLite gives one writer at a time
(``busy_timeout`` 0): when the pooled connection holds it (a request's transaction has
written), the write is refused, having left nothing, and goes to the pool, where it
waits its turn behind that transaction as it always did. A unit of work's transaction
without the ORM, or one that reads a row it will change, holds these writes off before it
begins (:meth:`DirectConnection.hold`), so that it never waits for that lock either; an
ORM session whose first write comes while one of these is being committed waits for it
(SQLite's ``busy_timeout``), as long as that one write takes. In-memory databases live
in their one connection, the pool's, and have no direct connections.

Why not aiosqlite's own thread: running a write and its COMMIT there in one call, after
checking that no transaction is open, needs its private parts (the sqlite3 connection
and the function that queues a call); two public calls (the write, then COMMIT) could be
interleaved with the pooled session's statements on that same connection, committing
its work with ours. A connection of our own owns its thread, its calls and their order.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from queue import SimpleQueue
from threading import Thread
from typing import Any

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
    try:
        return bool(dbapi_connection.driver_connection.in_transaction)
    except (ValueError, sqlite3.ProgrammingError):
        # Closed (aiosqlite, or sqlite3 under it, says so): left to aiosqlite to report.
        return True


class DirectConnection:
    """A sqlite3 connection of our own on a thread of our own: reads, or writes that
    commit in the same call, sent without SQLAlchemy and without a checkout.

    The connection is opened on the thread at its first call, with the arguments the
    engine's dialect gives sqlite3 for its URL and ``on_connect`` (the pragmas), and
    closed by :meth:`close` (the database disposed); a call after that opens it anew.
    Calls run one after the other, in the order they came.

    Writes (``writes=True``): the statement and its COMMIT run in one call, so nothing
    comes between them. The connection is not the pool's, so it never commits anyone
    else's work; SQLite lets one connection write at a time, and this one does not wait
    for the lock (``busy_timeout`` 0): while the pooled connection holds it (a request's
    transaction has written), the write is refused, rolled back, and left to the pool.

    A transaction that reads a row it will change holds the writes (:meth:`hold`, then
    :meth:`settled`): SQLite has no ``SELECT … FOR UPDATE``, and Python's sqlite3 opens no
    transaction for a read, so a write committed here could otherwise come between that
    read and the write that follows it. While any transaction holds them, writes are
    refused at once (answering None) and go to the pool, where they wait their turn;
    :meth:`settled` waits for those already sent, so that the read sees them.
    """

    __slots__ = ("_arguments", "_calls", "_done", "_holders", "_name", "_on_connect", "_sent",
                 "_writes")  # fmt: skip

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        on_connect: Callable[[sqlite3.Connection], None],
        writes: bool,
    ) -> None:
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        self._arguments: tuple[list[Any], dict[str, Any]] = (list(args), dict(kwargs))
        self._on_connect = on_connect
        self._writes = writes
        self._name = f"specbase-sqlite-{'writes' if writes else 'reads'}"
        self._calls: SimpleQueue[_Call] | None = None
        self._holders = 0
        # Writes are numbered as they are sent; the thread notes the last one it ran.
        self._sent = 0
        self._done = 0

    def hold(self) -> None:
        """Refuse writes that commit themselves until :meth:`release`."""
        self._holders += 1

    def release(self) -> None:
        self._holders -= 1

    async def settled(self) -> None:
        """Once every write sent before it (see :meth:`hold`) has run on the thread."""
        if self._done != self._sent:
            await self._call(_nothing)  # the thread runs its calls in order

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        """The rows of a read."""
        rows: list[Any] = await self._call(partial(_fetch, sql, args))
        return rows

    async def fetch_committed(self, sql: str, args: Sequence[Any]) -> list[Any] | None:
        """The rows of a write, then COMMIT, in one call on the connection's thread; a
        failed statement is rolled back there, so that nothing of it stays. None, having
        left nothing, when a transaction holds the writes (see :meth:`hold`) or the
        pooled connection holds SQLite's write lock."""
        assert self._writes, "a read-only connection"
        if self._holders:
            return None
        self._sent += 1
        written: list[Any] | None = await self._call(partial(self._commit, self._sent, sql, args))
        return written

    async def close(self) -> None:
        """Close the connection and end its thread, after the calls sent before."""
        calls, self._calls = self._calls, None
        if calls is not None:
            await self._send(calls, None)

    def _call(self, work: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        calls = self._calls
        if calls is None:
            calls = self._calls = SimpleQueue()
            Thread(target=_serve, args=(calls, self._connect), name=self._name, daemon=True).start()
        return self._send(calls, work)

    def _send(
        self, calls: SimpleQueue[_Call], work: Callable[[sqlite3.Connection], Any] | None
    ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        calls.put((future, work))
        return future

    def _connect(self) -> sqlite3.Connection:
        """On the thread: the connection, opened as the engine's dialect opens its own."""
        args, kwargs = self._arguments
        database: sqlite3.Connection = sqlite3.connect(*args, **kwargs)
        try:
            self._on_connect(database)
            if self._writes:
                database.execute("PRAGMA busy_timeout=0")
            else:
                database.execute("PRAGMA query_only=ON")
        except BaseException:
            database.close()
            raise
        return database

    def _commit(
        self, number: int, sql: str, args: Sequence[Any], database: sqlite3.Connection
    ) -> list[Any] | None:
        """On the thread: write ``number``, committed (see :func:`_commit_alone`)."""
        try:
            return _commit_alone(sql, args, database)
        finally:
            self._done = number


# A call for the thread: the future to answer, and the work (None: close the connection).
_Call = tuple["asyncio.Future[Any]", Callable[[sqlite3.Connection], Any] | None]


def _serve(calls: SimpleQueue[_Call], connect: Callable[[], sqlite3.Connection]) -> None:
    """The thread of a :class:`DirectConnection`: its calls, in order, until closed."""
    database: sqlite3.Connection | None = None
    while True:
        future, work = calls.get()
        result: Any = None
        error: BaseException | None = None
        try:
            if work is None:
                if database is not None:
                    database.close()
            else:
                if database is None:
                    database = connect()
                result = work(database)
        except BaseException as exc:  # answered to the caller, whatever it is
            error = exc
        try:
            future.get_loop().call_soon_threadsafe(_answer, future, result, error)
        except RuntimeError:  # the event loop was closed: no one waits any more
            pass
        if work is None:
            return


def _answer(
    future: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    if future.done():  # cancelled
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _nothing(database: sqlite3.Connection) -> None:
    del database


def _fetch(sql: str, args: Sequence[Any], database: sqlite3.Connection) -> list[Any]:
    cursor = database.execute(sql, args)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _commit_alone(sql: str, args: Sequence[Any], database: sqlite3.Connection) -> list[Any] | None:
    """On the thread: the write and its COMMIT, or nothing at all."""
    try:
        rows = _fetch(sql, args, database)
        database.commit()
    except sqlite3.OperationalError as error:
        database.rollback()
        if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            return None  # another connection writes: the pool's turn
        raise
    except BaseException:
        database.rollback()
        raise
    return rows


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
