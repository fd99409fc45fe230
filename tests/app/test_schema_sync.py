"""LOCAL start-up brings a development SQLite database up to the models, losing nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Computed,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.data.schema_sync import SchemaDriftError, sqlite_schema_is_current, sync_schema
from app.core.data.softdelete import live_flag


def _tables(*extra: Column[object]) -> MetaData:
    metadata = MetaData()
    Table(
        "things",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        *extra,
    )
    return metadata


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}")
    yield engine
    asyncio.run(engine.dispose())


async def _rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM things ORDER BY id"))
        return [tuple(row) for row in result]


async def _insert(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO things (id, name) VALUES (1, 'kept')"))


def test_creates_missing_tables_once(engine: AsyncEngine) -> None:
    assert asyncio.run(sync_schema(engine, _tables())) == ["created table things"]
    assert asyncio.run(sync_schema(engine, _tables())) == []


def test_adds_optional_and_defaulted_columns_to_a_filled_table(engine: AsyncEngine) -> None:
    asyncio.run(sync_schema(engine, _tables()))
    asyncio.run(_insert(engine))
    newer = _tables(
        Column("note", String(20), nullable=True),
        Column("size", BigInteger, nullable=False, server_default=text("7")),
    )
    done = asyncio.run(sync_schema(engine, newer))
    assert done == ["added column things.note", "added column things.size"]
    assert asyncio.run(_rows(engine)) == [(1, "kept", None, 7)]


def test_adds_a_stored_generated_column_to_a_filled_table(engine: AsyncEngine) -> None:
    """The ``live`` column a soft-deletable table gets with its unique keys (SQLite adds
    it as a virtual column: it cannot add a stored one to a table that has rows)."""

    def deleted() -> Column[object]:
        return Column("deleted_at", String(30), nullable=True)

    asyncio.run(sync_schema(engine, _tables(deleted())))
    asyncio.run(_insert(engine))
    live: Column[object] = Column("live", SmallInteger(), Computed(live_flag(), persisted=True))
    done = asyncio.run(sync_schema(engine, _tables(deleted(), live)))
    assert done == ["added column things.live"]
    assert asyncio.run(_rows(engine)) == [(1, "kept", None, 1)]


def test_refuses_a_required_column_without_default_on_rows(engine: AsyncEngine) -> None:
    asyncio.run(sync_schema(engine, _tables()))
    asyncio.run(_insert(engine))
    newer = _tables(Column("owner", String(20), nullable=False))
    with pytest.raises(SchemaDriftError, match=r"things\.owner is new, required.*1 rows"):
        asyncio.run(sync_schema(engine, newer))
    assert asyncio.run(_rows(engine)) == [(1, "kept")]


def test_rebuilds_an_empty_table_for_a_required_column(engine: AsyncEngine) -> None:
    asyncio.run(sync_schema(engine, _tables()))
    newer = _tables(Column("owner", String(20), nullable=False))
    assert asyncio.run(sync_schema(engine, newer)) == ["rebuilt empty table things"]
    assert asyncio.run(sync_schema(engine, newer)) == []


def test_a_refused_change_leaves_the_database_as_it_was(engine: AsyncEngine) -> None:
    asyncio.run(sync_schema(engine, _tables()))
    asyncio.run(_insert(engine))
    newer = _tables(Column("note", String(20)), Column("owner", String(20), nullable=False))
    Table("others", newer, Column("id", Integer, primary_key=True))
    with pytest.raises(SchemaDriftError, match=r"things\.owner"):
        asyncio.run(sync_schema(engine, newer))
    # Neither the new table nor the column added before the refusal stays.
    assert asyncio.run(sync_schema(engine, _tables(Column("note", String(20))))) == [
        "added column things.note"
    ]
    assert asyncio.run(_rows(engine)) == [(1, "kept", None)]


def test_an_in_memory_database_is_brought_up_on_its_own_connection() -> None:
    async def run() -> tuple[list[str], list[tuple[object, ...]]]:
        from sqlalchemy.pool import StaticPool

        memory = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
        try:
            done = await sync_schema(memory, _tables())
            async with memory.connect() as connection:
                names = await connection.execute(text("SELECT name FROM sqlite_master"))
                return done, [tuple(row) for row in names]
        finally:
            await memory.dispose()

    done, names = asyncio.run(run())
    assert done == ["created table things"]
    assert ("things",) in names


def test_a_file_synced_with_a_fingerprint_is_known_current_until_it_changes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    url = engine.url
    assert not sqlite_schema_is_current(url, 7, ["things"])  # no file yet
    asyncio.run(sync_schema(engine, _tables(), fingerprint=7))
    assert sqlite_schema_is_current(url, 7, ["things"])
    assert not sqlite_schema_is_current(url, 8, ["things"])  # other models
    assert not sqlite_schema_is_current(url, 7, ["things", "others"])  # a table missing

    async def drop() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE things"))

    asyncio.run(drop())
    assert not sqlite_schema_is_current(url, 7, ["things"])
    (tmp_path / "junk.db").write_text("not a database", encoding="utf-8")
    junk = url.set(database=str(tmp_path / "junk.db"))
    assert not sqlite_schema_is_current(junk, 7, [])


def test_a_refused_change_keeps_the_old_fingerprint(engine: AsyncEngine) -> None:
    asyncio.run(sync_schema(engine, _tables(), fingerprint=7))
    asyncio.run(_insert(engine))
    required = _tables(Column("size", BigInteger, nullable=False))
    with pytest.raises(SchemaDriftError):
        asyncio.run(sync_schema(engine, required, fingerprint=9))
    assert sqlite_schema_is_current(engine.url, 7, ["things"])
    assert not sqlite_schema_is_current(engine.url, 9, ["things"])


def test_only_a_sqlite_file_has_a_fingerprint() -> None:
    from sqlalchemy.engine import make_url

    assert not sqlite_schema_is_current(make_url("sqlite+aiosqlite://"), 7, [])
    assert not sqlite_schema_is_current(make_url("postgresql+asyncpg://u@h/db"), 7, [])
