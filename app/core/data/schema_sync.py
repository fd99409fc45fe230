"""LOCAL only: bring a development database up to the generated models at startup.

Missing tables are created and missing columns added, so that editing a spec and
restarting just works. Anything that could lose or invent data (a new NOT NULL
column with no default on a table that has rows, a changed type) is refused with
a message saying what to do; other environments change the schema only through
migrations.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import AddConstraint, CreateColumn, CreateIndex

from app.core.data.sqlite import in_memory
from app.core.data.uniques import for_dialect, refuse_unsupported

__all__ = ["SchemaDriftError", "sqlite_schema_is_current", "sync_schema"]


class SchemaDriftError(RuntimeError):
    """The development database cannot follow the models without losing data."""


async def sync_schema(
    engine: AsyncEngine, metadata: MetaData, *, fingerprint: int | None = None
) -> list[str]:
    """Create missing tables and add missing columns; answer what was done.

    A SQLite file keeps ``fingerprint`` (the generated registry's, of the tables the
    models define) as its ``user_version``, for :func:`sqlite_schema_is_current`.
    Models the database cannot keep raise :class:`~app.core.data.uniques.UnsupportedSchema`.
    """
    url = engine.url
    refuse_unsupported(metadata, url.get_backend_name())
    if url.get_backend_name() == "sqlite" and not in_memory(url):
        return await asyncio.to_thread(_sync_sqlite_file, url, metadata, fingerprint)
    async with engine.begin() as connection:
        return await connection.run_sync(_sync, metadata)


def sqlite_schema_is_current(url: URL, fingerprint: int, tables: Iterable[str]) -> bool:
    """Whether the SQLite file of ``url`` was last brought up to the models whose
    fingerprint this is, and still has every one of their ``tables``.

    Then start-up need not import every model to compare them with the database: a
    restart after a change elsewhere than the models costs one read.
    """
    if url.get_backend_name() != "sqlite" or in_memory(url) or not url.database:
        return False
    try:
        connection = sqlite3.connect(f"file:{quote(url.database)}?mode=ro", uri=True)
    except sqlite3.Error:  # no such file yet
        return False
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        present = {name for (name,) in found}
    except sqlite3.Error:  # not a database, or locked: compare the long way
        return False
    finally:
        connection.close()
    return bool(version == fingerprint and present.issuperset(tables))


def _sync_sqlite_file(url: URL, metadata: MetaData, fingerprint: int | None) -> list[str]:
    """The same, on a connection of Python's own sqlite3, in one transaction.

    Through aiosqlite every statement of it is a hop to the connection's thread and
    back: for a few hundred tables, thousands of hops, seconds of start-up. sqlite3
    would also commit each DDL statement on its own; here one BEGIN covers them all,
    so that a refused change leaves the database as it was.
    """
    engine = create_engine(url.set(drivername="sqlite"), poolclass=NullPool)

    def manual_transactions(dbapi_connection: Any, connection_record: Any) -> None:
        del connection_record
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", manual_transactions)
    event.listen(engine, "begin", begin)
    try:
        with engine.begin() as connection:
            done = _sync(connection, metadata)
            if fingerprint is not None:  # in the same transaction as the changes
                connection.exec_driver_sql(f"PRAGMA user_version = {int(fingerprint)}")
            return done
    finally:
        engine.dispose()


def _sync(connection: Connection, metadata: MetaData) -> list[str]:
    dialect = connection.dialect
    refuse_unsupported(metadata, dialect.name, dialect.server_version_info)
    inspector = inspect(connection)
    existing_tables = set(inspector.get_table_names())
    done = [
        f"created table {t.name}" for t in metadata.sorted_tables if t.name not in existing_tables
    ]
    metadata.create_all(connection)
    for table in metadata.sorted_tables:
        if table.name not in existing_tables:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c for c in table.columns if c.name not in present]
        if missing and _needs_rebuild(connection, table, missing):
            # An empty SQLite table cannot take a NOT NULL column: rebuild it, nothing is lost.
            table.drop(connection)
            table.create(connection)
            done.append(f"rebuilt empty table {table.name}")
            continue
        for column in missing:
            _add_column(connection, table, column)
            done.append(f"added column {table.name}.{column.name}")
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes and for_dialect(index, connection.dialect.name):
                connection.execute(CreateIndex(index))
    return done


def _needs_rebuild(connection: Connection, table: Table, missing: list[Column[object]]) -> bool:
    if connection.dialect.name != "sqlite":
        return False
    if all(c.nullable or c.server_default is not None for c in missing):
        return False
    return connection.execute(select(func.count()).select_from(table)).scalar_one() == 0


def _add_column(connection: Connection, table: Table, column: Column[object]) -> None:
    if not column.nullable and column.server_default is None:
        rows = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if rows:
            raise SchemaDriftError(
                f"{table.name}.{column.name} is new, required and has no default, and "
                f"{table.name} already holds {rows} rows. Give the field a default or make "
                "it optional in its spec, or start from an empty database."
            )
    dialect = connection.dialect
    table_name = dialect.identifier_preparer.format_table(table)
    definition = str(CreateColumn(column).compile(dialect=dialect))
    if dialect.name == "sqlite" and column.computed is not None and column.computed.persisted:
        # SQLite adds no STORED column to a table that has rows; a VIRTUAL one answers
        # the same values (the soft-deleted tables' ``live``, which an index can cover).
        definition = definition.replace(" STORED", " VIRTUAL")
    ddl = f"ALTER TABLE {table_name} ADD COLUMN {definition}"
    connection.exec_driver_sql(ddl)
    for constraint in column.foreign_keys:
        if connection.dialect.name != "sqlite":  # SQLite cannot add constraints to a table
            connection.execute(AddConstraint(constraint.constraint))  # type: ignore[arg-type]
