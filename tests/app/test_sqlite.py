"""The SQLite dialect ends a transaction only when one is open, and loses no write."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text

from app.core.database import AsyncDBPool
from app.core.sqlite import QuietSQLiteDialect


class _Calls:
    """Counts the COMMIT and ROLLBACK calls that reach aiosqlite."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.commits = 0
        self.rollbacks = 0
        commit, rollback = aiosqlite.Connection.commit, aiosqlite.Connection.rollback

        async def counted_commit(connection: aiosqlite.Connection) -> None:
            self.commits += 1
            await commit(connection)

        async def counted_rollback(connection: aiosqlite.Connection) -> None:
            self.rollbacks += 1
            await rollback(connection)

        monkeypatch.setattr(aiosqlite.Connection, "commit", counted_commit)
        monkeypatch.setattr(aiosqlite.Connection, "rollback", counted_rollback)


def _run(database: AsyncDBPool, work: Any) -> Any:
    async def main() -> Any:
        try:
            return await work()
        finally:
            await database.dispose()

    return asyncio.run(main())


def test_reads_end_nothing_and_writes_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'quiet.db'}")
    assert isinstance(database.engine.dialect, QuietSQLiteDialect)
    assert database.engine.dialect.driver == "aiosqlite"
    calls = _Calls(monkeypatch)

    async def failed_insert() -> None:
        async with database.get_session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the request failed")

    async def work() -> tuple[int, int, int, int, list[int]]:
        async with database.get_session() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        async with database.get_session() as session:
            await session.execute(text("SELECT count(*) FROM t"))
        read_commits, read_rollbacks = calls.commits, calls.rollbacks
        async with database.get_session() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(RuntimeError, match="the request failed"):
            await failed_insert()
        async with database.get_session() as session:
            kept = list((await session.execute(text("SELECT n FROM t"))).scalars())
        return read_commits, read_rollbacks, calls.commits, calls.rollbacks, kept

    read_commits, read_rollbacks, commits, rollbacks, kept = _run(database, work)
    # CREATE TABLE opens no transaction in sqlite3's default mode; the read neither.
    assert (read_commits, read_rollbacks) == (0, 0)
    assert (commits, rollbacks) == (1, 1)  # the insert kept, the failed one undone
    assert kept == [1]


def test_other_urls_are_left_alone() -> None:
    from sqlalchemy.engine import make_url

    from app.core.sqlite import quiet_url

    postgres = make_url("postgresql+asyncpg://u@h/db")
    assert quiet_url(postgres) is postgres
    assert quiet_url(make_url("sqlite+aiosqlite:///x.db")).drivername == "sqlite+specbase_aiosqlite"


def test_reads_have_a_connection_of_their_own(tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}")
    assert database.read_engine is not database.engine

    async def read_count() -> int:
        async with database.read_engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM t"))).scalar_one())

    async def work() -> tuple[int, int, int]:
        async with database.get_session() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        async with database.get_session() as writing:
            await writing.execute(text("INSERT INTO t VALUES (2)"))
            # The writer holds the one pooled connection, in a transaction: reads neither
            # wait for it nor see what it has not committed.
            during = await asyncio.wait_for(read_count(), 5)
        after = await read_count()
        async with database.read_engine.connect() as connection:
            with pytest.raises(OperationalError, match="readonly"):
                await connection.execute(text("INSERT INTO t VALUES (3)"))
        return during, after, await read_count()

    during, after, last = _run(database, work)
    assert (during, after, last) == (1, 2, 2)


def test_an_in_memory_database_is_read_where_it_is_written() -> None:
    database = AsyncDBPool("sqlite+aiosqlite:///:memory:")
    assert database.read_engine is database.engine
    asyncio.run(database.dispose())
