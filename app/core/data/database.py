"""The async engine, sessions, and the column types generated models share."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from fastapi import Request
from pydantic_core import from_json, to_json
from sqlalchemy import DateTime, MetaData, String, Text, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from app.core.data.sqlite import DirectConnection, in_memory, quiet_url, read_engine
from app.core.data.unit import CommitPolicy, UnitOfWork

__all__ = [
    "AsyncDBPool",
    "Base",
    "ExactString",
    "PoolOptions",
    "UTCDateTime",
    "enum_column",
    "get_db_session",
    "request_unit",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every generated model; constraint names are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp on every dialect, always answered in UTC.

    PostgreSQL keeps the offset itself; SQLite and MySQL store naive UTC, which is
    given its offset back on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give it a UTC offset")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        del dialect
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, the stored text read in one step: ``fromisoformat`` of it as UTC is
        a tenth of SQLAlchemy's regular expression then ``replace(tzinfo=UTC)`` (rows
        carry three timestamps or more). Text of another shape (an offset of its own, a
        date alone) is read as before."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        slow = super().result_processor(dialect, coltype)
        assert slow is not None
        parse = datetime.fromisoformat

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return parse(value + "+00:00")
            except (TypeError, ValueError):
                stored: datetime | None = slow(value)
                return stored

        return process


# MySQL sums a row's VARCHARs, at 4 bytes a character, against 65,535 bytes: longer
# strings are LONGTEXT there (no index takes more characters anyway).
_MYSQL_MAX_VARCHAR = 768


class ExactString(TypeDecorator[str]):
    """A string column that compares and sorts by code point on every dialect.

    SQLite (BINARY) already does. MariaDB and MySQL default to collations that ignore
    case and trailing spaces, so that ``"Launch"``, ``"launch"`` and ``"launch "`` would
    be one value to a unique constraint or a filter there: the column gets a binary
    collation that does not pad (``utf8mb4_nopad_bin``; ``utf8mb4_0900_bin`` on MySQL 8).
    PostgreSQL compares exactly but sorts by its locale: the column gets ``"C"``.
    ``ExactString(200)`` is a VARCHAR(200); ``ExactString()`` is unbounded text (on
    MySQL LONGTEXT, as is any string past 768 characters: TEXT stops at 64 KB).
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(self._column_type(dialect))

    def _column_type(self, dialect: Dialect) -> Any:
        length = self.length
        if dialect.name in ("mysql", "mariadb"):
            mariadb = bool(getattr(dialect, "is_mariadb", False))
            options = {
                "charset": "utf8mb4",
                "collation": "utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin",
            }
            if length is None or length > _MYSQL_MAX_VARCHAR:
                return mysql.LONGTEXT(**options)
            return mysql.VARCHAR(length, **options)
        if dialect.name == "postgresql":
            if length is None:
                return postgresql.TEXT(collation="C")
            return postgresql.VARCHAR(length, collation="C")
        return Text() if length is None else String(length)


def _enum_values(enum_class: type[Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def enum_column(enum_class: type[Enum], *, length: int, name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the values."""
    return SAEnum(
        enum_class,
        name=name,
        length=length,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=_enum_values,
    )


@dataclass(frozen=True)
class PoolOptions:
    """Connection pool sizing for server databases; SQLite always uses one connection.

    The pool opens connections as load asks for them, up to ``size + max_overflow``, and
    keeps each one it opened until ``recycle`` seconds have passed.
    """

    size: int = 5
    max_overflow: int = 10
    recycle: int = 1800
    timeout: float = 30.0
    # Ping a connection before use once it has been idle (see _ping_idle_connections).
    pre_ping: bool = True


class AsyncDBPool:
    """One async engine per process and the session factory bound to it."""

    def __init__(
        self, url: str | URL, *, pool: PoolOptions | None = None, echo: bool = False
    ) -> None:
        self.url = make_url(url)
        self.engine: AsyncEngine = _create_engine(self.url, pool or PoolOptions(), echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # Where reads outside a session go: on a SQLite file, a connection of their own.
        self.read_engine: AsyncEngine = self.engine
        # On a SQLite file, connections of our own for the compiled reads and the writes
        # that commit themselves (app.core.data.sqlite); an in-memory database has none.
        self.direct_reads: DirectConnection | None = None
        self.direct_writes: DirectConnection | None = None
        if self.url.get_backend_name() == "sqlite" and not in_memory(self.url):
            self.read_engine = read_engine(quiet_url(self.url), on_connect=_sqlite_pragmas,
                                           echo=echo, json_serializer=_json_text,
                                           json_deserializer=_json_value)  # fmt: skip
            self.direct_reads = DirectConnection(self.engine, on_connect=_pragmas, writes=False)
            self.direct_writes = DirectConnection(self.engine, on_connect=_pragmas, writes=True)

    @asynccontextmanager
    async def get_session(self) -> AsyncIterator[AsyncSession]:
        """A session for scripts: committed on success, rolled back on any error."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def dispose(self) -> None:
        """Close every connection (the next use opens them anew)."""
        for direct in (self.direct_reads, self.direct_writes):
            if direct is not None:
                await direct.close()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        await self.engine.dispose()


def _json_text(value: Any) -> str:
    """A JSON column's text: a shared model dumps date-times, UUIDs and enums inside it."""
    return to_json(value).decode()


def _json_value(text: str | bytes) -> Any:
    """A JSON column's value, parsed by pydantic's parser (a fifth of the standard
    library's time, and integers past 64 bits kept whole, which orjson makes floats);
    what it refuses (a lone surrogate escape) by the standard library."""
    try:
        return from_json(text)
    except ValueError:
        return json.loads(text)


def _create_engine(url: URL, pool: PoolOptions, *, echo: bool) -> AsyncEngine:
    if url.get_backend_name() != "sqlite":
        engine = create_async_engine(
            url,
            echo=echo,
            json_serializer=_json_text,
            json_deserializer=_json_value,
            # Every connection opened is kept (a fixed-size pool, as HikariCP advises):
            # SQLAlchemy would close each one past pool_size as soon as it is given back,
            # and open a new one (TLS and all) at the next burst. Under steady load above
            # pool_size that was a third of a PostgreSQL read's CPU. pool_recycle renews them.
            pool_size=pool.size + pool.max_overflow,
            max_overflow=0,
            pool_recycle=pool.recycle,
            pool_timeout=pool.timeout,
        )
        if pool.pre_ping:
            _ping_idle_connections(engine)
        return engine
    url = quiet_url(url)
    if in_memory(url):
        # An in-memory database lives in its one connection: share it.
        engine = create_async_engine(
            url,
            echo=echo,
            json_serializer=_json_text,
            json_deserializer=_json_value,
            poolclass=StaticPool,
        )
    else:
        # One pooled connection serves SQLite best: writes are serialized by the file
        # lock anyway, and a larger pool only adds lock waits (measured: 734 vs 431 rps).
        engine = create_async_engine(
            url,
            echo=echo,
            json_serializer=_json_text,
            json_deserializer=_json_value,
            pool_size=1,
            max_overflow=0,
        )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


# A connection given back to the pool this recently is not pinged again: a request that
# reads then writes borrows one twice in a row (HikariCP's aliveBypassWindowMs: 500 ms).
PING_AFTER_IDLE_SECONDS = 0.5


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Before a pooled connection is used, ping it, unless it was in use moments ago.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: on asyncpg that is three
    round trips (BEGIN, a ping, ROLLBACK), more than the statement the request came
    for. A connection that fails its ping is dropped and the pool gives another one.
    """
    dialect = engine.dialect

    def stamp(dbapi_connection: Any, record: Any, *rest: Any) -> None:
        del dbapi_connection, rest
        record.info["idle_since"] = time.monotonic()

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        del proxy
        idle_since = record.info.get("idle_since", 0.0)
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection
            raise DisconnectionError(f"the pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("the pooled connection failed its ping")

    event.listen(engine.sync_engine, "connect", stamp)
    event.listen(engine.sync_engine, "checkin", stamp)
    event.listen(engine.sync_engine, "checkout", ping)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    _pragmas(dbapi_connection)


def _pragmas(dbapi_connection: Any) -> None:
    """What every SQLite connection gets: a pooled one, or one of our own."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def request_session(request: Request) -> AbstractAsyncContextManager[AsyncSession]:
    """A session for ``request``: committed when the handler succeeds, rolled back otherwise."""
    database: AsyncDBPool = request.app.state.database
    return database.get_session()


def request_unit(
    request: Request, policy: CommitPolicy = CommitPolicy.AT_END
) -> AbstractAsyncContextManager[UnitOfWork]:
    """The database work of ``request`` (see :class:`app.core.data.unit.UnitOfWork`):
    committed when the handler succeeds (as ``policy`` says: the operation's, see
    :meth:`app.core.services.service.ResourceService.commit_policy`), rolled back otherwise."""
    database: AsyncDBPool = request.app.state.database
    return UnitOfWork.opened(database, policy)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, as a dependency (see :func:`request_session`)."""
    async with request_session(request) as session:
        yield session
