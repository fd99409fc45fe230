"""The SQLite dialect ends a transaction only when one is open, and loses no write; the
connections of our own for direct reads and writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text

from app.core.data.database import AsyncDBPool
from app.core.data.sqlite import QuietSQLiteDialect


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

    from app.core.data.sqlite import quiet_url

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


def test_an_in_memory_database_takes_writes_alone_in_its_one_connection() -> None:
    """A connection of our own would open another, empty, database: a create and a
    change alone go through the pool's connection, where the app reads them."""
    from sqlalchemy.engine import make_url

    from app.core.data.unit import CommitPolicy, UnitOfWork
    from app.core.domain.context import RequestContext
    from generated.event.repository import EventRepositoryBase
    from generated.event.schemas import EventCreate, EventUpdate
    from generated.event.service import EventServiceBase
    from tests.support.databases import run_on_schema

    def service(unit: UnitOfWork) -> Any:
        return EventServiceBase(EventRepositoryBase(unit), RequestContext(None))

    async def work(database: AsyncDBPool) -> tuple[str, str]:
        starts = "2030-01-01T09:30:00Z"
        alone = CommitPolicy.WITH_ONLY_WRITE
        async with UnitOfWork.opened(database, alone) as unit:
            data = EventCreate.model_validate({"name": "Made", "starts_at": starts})
            created = await service(unit).create(data)
        async with UnitOfWork.opened(database, alone) as unit:
            patch = EventUpdate.model_validate({"name": "Changed"})
            await service(unit).update(created.id, patch)
        async with UnitOfWork.opened(database) as unit:
            read = await service(unit).get(created.id)
        return created.name, read.name

    assert run_on_schema(make_url("sqlite+aiosqlite:///:memory:"), work) == ("Made", "Changed")


def test_the_direct_connections_are_our_own_and_closed_at_dispose(tmp_path: Path) -> None:
    """Neither needs the pool's connection (a session holds the only one here), and
    dispose closes them: once every connection is closed, SQLite removes the WAL file."""
    path = tmp_path / "own.db"
    database = AsyncDBPool(f"sqlite+aiosqlite:///{path}")
    direct, reads = database.direct_writes, database.direct_reads
    assert direct is not None
    assert reads is not None

    async def work() -> tuple[list[Any], bool, bool]:
        async with database.get_session() as session:
            await session.execute(text("SELECT 1"))  # holds the pool's one connection
            # A checkout would wait for the session to end: this would time out.
            await asyncio.wait_for(direct.fetch_committed("CREATE TABLE t (n INTEGER)", []), 5)
            await asyncio.wait_for(direct.fetch_committed("INSERT INTO t VALUES (7)", []), 5)
            rows = await asyncio.wait_for(reads.fetch("SELECT n FROM t", []), 5)
        open_wal = Path(f"{path}-wal").exists()
        await database.dispose()
        return rows, open_wal, Path(f"{path}-wal").exists()

    rows, open_wal, closed_wal = _run(database, work)
    assert [tuple(row) for row in rows] == [(7,)]
    assert open_wal
    assert not closed_wal


def test_a_transaction_holding_writes_reads_those_already_sent(tmp_path: Path) -> None:
    """Writes that commit themselves run on a thread of their own: those sent before a
    unit holds the writes are answered before its read, which sees every one of them;
    those sent after are refused (they would go to the pool)."""
    from app.core.data.unit import UnitOfWork

    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'held.db'}")
    direct = database.direct_writes
    assert direct is not None
    sent = 50

    async def work() -> tuple[list[Any], int, Any]:
        await _create_table(database)
        insert = "INSERT INTO t VALUES (?) RETURNING n"
        writes = [asyncio.ensure_future(direct.fetch_committed(insert, [n])) for n in range(sent)]
        await asyncio.sleep(0)  # every write is on its way to the thread
        async with UnitOfWork.opened(database) as unit:
            await unit.lock_rows()
            connection = await unit.writing()
            seen = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
            refused = await direct.fetch_committed(insert, [sent])
        return await asyncio.gather(*writes), seen, refused

    written, seen, refused = _run(database, work)
    assert sorted(row[0][0] for row in written) == list(range(sent))
    assert seen == sent
    assert refused is None


async def _create_table(database: AsyncDBPool) -> None:
    """The table, made through the write connection of our own."""
    assert database.direct_writes is not None
    await database.direct_writes.fetch_committed("CREATE TABLE t (n INTEGER NOT NULL)", [])


async def _numbers(database: AsyncDBPool) -> list[int]:
    async with database.read_engine.connect() as connection:
        return list((await connection.execute(text("SELECT n FROM t ORDER BY n"))).scalars())


def test_a_direct_write_leaves_an_open_transaction_to_its_holder(tmp_path: Path) -> None:
    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'direct.db'}")
    direct = database.direct_writes
    assert direct is not None
    insert = "INSERT INTO t VALUES (?) RETURNING n"

    async def work() -> tuple[Any, list[int], Any, list[int]]:
        await _create_table(database)
        async with database.sessionmaker() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))  # a transaction opens
            # It holds SQLite's write lock: the write is refused at once, leaving
            # nothing, for the pool (where it would wait for the transaction's end).
            refused = await direct.fetch_committed(insert, [2])
            during = await _numbers(database)
            await session.rollback()  # the request failed
        return refused, during, await direct.fetch_committed(insert, [3]), await _numbers(database)

    refused, during, written, after = _run(database, work)
    assert refused is None
    assert during == []
    assert [tuple(row) for row in written] == [(3,)]
    assert after == [3]  # 1 was rolled back with its request; 2 was never sent


def test_a_direct_write_does_not_wait_for_a_holder_outside_a_transaction(tmp_path: Path) -> None:
    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'direct.db'}")
    direct = database.direct_writes
    assert direct is not None

    async def work() -> tuple[Any, list[int], list[int]]:
        await _create_table(database)
        async with database.get_session() as session:
            await session.execute(text("SELECT count(*) FROM t"))  # holds the connection
            # A checkout would wait for the session to end: this would time out.
            written = await asyncio.wait_for(
                direct.fetch_committed("INSERT INTO t VALUES (?) RETURNING n", [4]), 5
            )
            during = await _numbers(database)  # committed already
        return written, during, await _numbers(database)

    written, during, after = _run(database, work)
    assert [tuple(row) for row in written] == [(4,)]
    assert during == after == [4]


def test_a_failed_direct_write_leaves_nothing_open(tmp_path: Path) -> None:
    import sqlite3

    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'direct.db'}")
    direct = database.direct_writes
    assert direct is not None

    async def work() -> tuple[Any, list[int]]:
        await _create_table(database)
        with pytest.raises(sqlite3.IntegrityError):
            await direct.fetch_committed("INSERT INTO t VALUES (?) RETURNING n", [None])
        # Rolled back on the thread: the next write is not refused as in a transaction.
        written = await direct.fetch_committed("INSERT INTO t VALUES (?) RETURNING n", [5])
        return written, await _numbers(database)

    written, after = _run(database, work)
    assert [tuple(row) for row in written] == [(5,)]
    assert after == [5]


def test_a_direct_read_takes_the_connection_again_once_it_was_closed(tmp_path: Path) -> None:
    database = AsyncDBPool(f"sqlite+aiosqlite:///{tmp_path / 'direct.db'}")
    reads = database.direct_reads
    assert reads is not None

    async def work() -> tuple[list[Any], list[Any]]:
        await _create_table(database)
        await database.direct_writes.fetch_committed("INSERT INTO t VALUES (6)", [])  # type: ignore[union-attr]
        first = list(await reads.fetch("SELECT n FROM t", []))
        await database.dispose()  # closes every pooled connection, the one reads kept too
        return first, list(await reads.fetch("SELECT n FROM t", []))

    first, again = _run(database, work)
    assert [tuple(row) for row in first] == [tuple(row) for row in again] == [(6,)]


@pytest.mark.parametrize(
    "stored",
    [
        "2030-01-01 09:30:00.000000",  # the shape SQLAlchemy writes
        "2030-01-01 09:30:00.250000",
        "0999-12-31 23:59:59.999999",
        "2030-01-01 09:30:00",
        "2030-01-01 11:30:00+02:00",  # text of other shapes, written by other tools
        "2030-01-01T09:30:00Z",
    ],
)
def test_a_timestamp_is_read_as_sqlalchemy_reads_it_then_in_utc(stored: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import DateTime

    from app.core.data.database import UTCDateTime

    dialect = QuietSQLiteDialect()
    read = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    plain = DateTime(timezone=True).dialect_impl(dialect).result_processor(dialect, None)
    assert read is not None
    assert plain is not None
    value = read(stored)
    assert isinstance(value, datetime)
    assert value.tzinfo is UTC
    expected = plain(stored)
    assert isinstance(expected, datetime)
    expected = expected.replace(tzinfo=UTC) if expected.tzinfo is None else expected
    assert value == expected.astimezone(UTC)
    assert read(None) is None


def test_json_columns_are_read_whatever_orjson_refuses() -> None:
    from app.core.data.database import _json_value

    assert _json_value('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert _json_value(b'["bytes"]') == ["bytes"]
    assert _json_value('{"big": 123456789012345678901234567890}') == {
        "big": 123456789012345678901234567890
    }
    assert _json_value('["\\ud800"]') == ["\ud800"]  # a lone surrogate
