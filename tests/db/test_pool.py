"""The pool of a server database: connections kept, pinged once idle, dead ones replaced.

Every connection the pool opens, up to its size plus its overflow, is kept for the next
burst. A connection given back moments ago is used without a ping (it costs three round
trips on asyncpg); one idle for longer is pinged, and when the server has dropped it the
pool opens another, so the request never sees the dead connection.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from app.core.data import database as database_module
from app.core.data.database import AsyncDBPool, PoolOptions

pytestmark = pytest.mark.dialects("postgresql", "mysql")

_BACKEND_ID = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
_KILL = {"postgresql": "SELECT pg_terminate_backend({})", "mysql": "KILL {}"}


def _counting_pings(database: AsyncDBPool, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    pings: list[bool] = []
    dialect = database.engine.sync_engine.dialect
    do_ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        alive = False
        try:
            alive = do_ping(dbapi_connection)
        finally:
            pings.append(alive)
        return alive

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def _backend_id(database: AsyncDBPool, dialect: str) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(_BACKEND_ID[dialect]))).scalar_one())


def test_recently_used_connections_are_not_pinged(
    database_url: URL, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = AsyncDBPool(database_url, pool=PoolOptions(size=1, max_overflow=0))
    pings = _counting_pings(database, monkeypatch)

    async def work() -> tuple[list[bool], list[bool]]:
        try:
            for _ in range(3):
                await _backend_id(database, dialect)
            recent = list(pings)
            monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
            await _backend_id(database, dialect)
            return recent, list(pings)
        finally:
            await database.dispose()

    recent, after_idle = asyncio.run(work())
    assert recent == []  # a new connection, then one given back moments ago
    assert after_idle == [True]


def test_a_connection_the_server_dropped_is_replaced(
    database_url: URL, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = AsyncDBPool(database_url, pool=PoolOptions(size=1, max_overflow=0))
    killer = AsyncDBPool(database_url, pool=PoolOptions(pre_ping=False))
    pings = _counting_pings(database, monkeypatch)
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)

    async def work() -> tuple[int, int]:
        try:
            first = await _backend_id(database, dialect)
            async with killer.engine.connect() as connection:
                await connection.execute(text(_KILL[dialect].format(first)))
            await asyncio.sleep(0.2)
            return first, await _backend_id(database, dialect)
        finally:
            await database.dispose()
            await killer.dispose()

    first, second = asyncio.run(work())
    assert second != first
    # The dropped connection failed its ping; the pool opened a new one, which passed.
    assert pings[-2:] == [False, True]


def test_connections_opened_under_load_are_kept(database_url: URL, dialect: str) -> None:
    database = AsyncDBPool(database_url, pool=PoolOptions(size=1, max_overflow=2))

    async def burst() -> set[int]:
        async with AsyncExitStack() as stack:
            connections = [
                await stack.enter_async_context(database.engine.connect()) for _ in range(3)
            ]
            ids = [(await c.execute(text(_BACKEND_ID[dialect]))).scalar_one() for c in connections]
        return {int(i) for i in ids}

    async def work() -> tuple[set[int], set[int]]:
        try:
            return await burst(), await burst()
        finally:
            await database.dispose()

    first, second = asyncio.run(work())
    assert len(first) == 3
    assert second == first  # the same three connections, none closed and reopened
