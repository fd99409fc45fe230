"""Soft delete as delete for every purpose: what it does to the rows that refer to the
deleted one, the parents a write may name, and the column that keeps unique keys unique
among live rows only.

A foreign key's ``ON DELETE`` is the database's to apply when a row is deleted for good;
a soft delete only sets ``deleted_at``, so it applies the same rules itself, in the
request's transaction: ``CASCADE`` soft-deletes the referring rows that can be
(recursively) and deletes the others (whose own foreign keys the database applies),
``SET NULL`` clears the key, ``RESTRICT`` refuses while live rows refer. The rules are
read from the models' foreign keys, once per table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    SmallInteger,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from app.core.data.reader import CompiledSelect
from app.core.domain.errors import Problem

__all__ = [
    "LIVE",
    "Referrer",
    "apply_on_delete",
    "live_flag",
    "live_parent",
    "referrers",
    "soft_parents",
]

# The generated column of a soft-deletable table with unique keys: 1 while the row is
# live, NULL once deleted. MariaDB/MySQL have no partial index: their unique keys end with
# it, and NULLs never collide. (generator.naming.LIVE_COLUMN names it for the generator.)
LIVE = "live"
_DELETED_AT = "deleted_at"
# Keys sent in one IN (…): far below every driver's limit of parameters.
_CHUNK = 500


class LiveFlag(ColumnElement[int]):
    """``CASE WHEN deleted_at IS NULL THEN 1 END``, written as each database shows it
    back, so that Alembic's comparison of the generated column finds nothing changed."""

    type = SmallInteger()
    inherit_cache = True


@compiles(LiveFlag)
def _live_flag(element: LiveFlag, compiler: SQLCompiler, **kw: Any) -> str:
    del element, compiler, kw
    return "CASE WHEN deleted_at IS NULL THEN 1 END"


@compiles(LiveFlag, "postgresql")
def _live_flag_postgresql(element: LiveFlag, compiler: SQLCompiler, **kw: Any) -> str:
    del element, compiler, kw
    return "CASE WHEN deleted_at IS NULL THEN 1 ELSE NULL::integer END"


def live_flag() -> LiveFlag:
    """The expression of the ``live`` column, ``Computed(live_flag(), persisted=True)``:
    stored, since PostgreSQL indexes no virtual column."""
    return LiveFlag()


@dataclass(frozen=True)
class Referrer:
    """A foreign key of ``table`` (``column``) that refers to another table's id."""

    table: Table
    column: Column[Any]
    on_delete: str  # CASCADE, SET NULL, RESTRICT or NO ACTION

    @property
    def soft(self) -> bool:
        return _DELETED_AT in self.table.c


@cache
def referrers(table: Table) -> tuple[Referrer, ...]:
    """Every foreign key of the models' tables (link tables too) that refers to
    ``table``, in a stable order."""
    found = [
        Referrer(other, fk.parent, (fk.ondelete or "NO ACTION").upper())
        for other in table.metadata.sorted_tables
        for fk in sorted(other.foreign_keys, key=lambda fk: fk.parent.key)
        if fk.column.table is table
    ]
    return tuple(found)


@cache
def soft_parents(table: Table) -> tuple[tuple[str, Table], ...]:
    """``table``'s foreign keys to soft-deletable tables: (column, table referred to)."""
    found = {
        (fk.parent.key, fk.column.table)
        for fk in table.foreign_keys
        if _DELETED_AT in fk.column.table.c
    }
    return tuple(sorted(found, key=lambda pair: pair[0]))


async def apply_on_delete(
    session: AsyncSession, table: Table, ids: Sequence[Any], now: datetime
) -> None:
    """What deleting the rows ``ids`` of ``table`` does to the rows referring to them,
    now that they are soft-deleted: a 409 problem while live rows refer by a
    ``RESTRICT`` key. The caller maps an integrity error (a row deleted here that the
    database keeps for its own referrers) to a problem."""
    for referrer in referrers(table):
        column, child = referrer.column, referrer.table
        if referrer.on_delete == "SET NULL":  # as the database would, on every row
            for chunk in _chunks(ids):
                changed = update(child).where(column.in_(chunk))
                await session.execute(changed.values({column.key: None, **_touched(child, now)}))
        elif referrer.on_delete == "CASCADE" and referrer.soft:
            live = [
                row_id
                for chunk in _chunks(ids)
                for row_id in await session.scalars(
                    _locking(
                        select(child.c.id).where(column.in_(chunk), child.c.deleted_at.is_(None))
                    )
                )
            ]
            for chunk in _chunks(live):
                marked = update(child).where(child.c.id.in_(chunk))
                await session.execute(marked.values(deleted_at=now, **_touched(child, now)))
            if live:
                await apply_on_delete(session, child, live, now)
        elif referrer.on_delete == "CASCADE":
            for chunk in _chunks(ids):
                await session.execute(delete(child).where(column.in_(chunk)))
        else:  # RESTRICT, NO ACTION: live rows block; soft-deleted ones do not
            for chunk in _chunks(ids):
                found = select(child.c[column.key]).where(column.in_(chunk))
                if referrer.soft:
                    found = found.where(child.c.deleted_at.is_(None))
                if (await session.execute(_locking(found.limit(1)))).first() is not None:
                    raise Problem(409, "Other rows still refer to this one; delete them first.")


def _locking(statement: Select[Any]) -> Select[Any]:
    """``statement`` reading the newest committed rows, with a shared lock on them: on
    MariaDB/MySQL a plain read sees the transaction's first snapshot, which may predate
    a row that a concurrent write, which this delete waited for, made to refer."""
    return statement.with_for_update(read=True)


def _touched(table: Table, now: datetime) -> Mapping[str, Any]:
    """What every change of a row of ``table`` sets besides its own values."""
    values: dict[str, Any] = {}
    if "updated_at" in table.c:
        values["updated_at"] = now
    if "version" in table.c:  # the next entity tag: the row changed
        values["version"] = table.c.version + 1
    return values


def _chunks(ids: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# The lookup of a live parent, per dialect and table, compiled at first use.
_LIVE_PARENTS: dict[tuple[str, str], CompiledSelect] = {}


async def live_parent(connection: AsyncConnection, parent: Table, row_id: Any) -> bool:
    """Whether ``parent`` has a live row ``row_id``, read in the request's transaction
    with a shared lock on it (on PostgreSQL and MariaDB/MySQL), so that a concurrent
    soft delete of that row waits for this transaction, or is seen by it."""
    dialect = connection.dialect
    key = (dialect.name, parent.name)
    compiled = _LIVE_PARENTS.get(key)
    if compiled is None:
        statement = (
            select(parent.c.id)
            .where(
                parent.c.id == bindparam("row_id", type_=parent.c.id.type),
                parent.c.deleted_at.is_(None),
            )
            .with_for_update(read=True)
        )
        compiled = _LIVE_PARENTS[key] = CompiledSelect.of(statement, dialect, tuple)
    return bool(await compiled.all(connection, {"row_id": row_id}))
