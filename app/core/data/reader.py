"""Reads compiled once per dialect and run on the driver's own connection.

A generated read knows its table, its columns and their types ahead of time, so the
work SQLAlchemy's ORM and Core would redo on every request (building the statement,
its cache key, the ORM's identity map and instance state) is done once: the statement
is compiled to the dialect's SQL at first use, with its parameter order and the type
processors of its binds and columns, and each request sends that SQL through the
driver's connection of the request's own session, inside its transaction.

Drivers with no direct path here run the same compiled SQL through SQLAlchemy.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, Table, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

from app.core.data.sqlite import DirectConnection

__all__ = ["CompiledSelect", "row_type"]

Processor = Callable[[Any], Any] | None


@cache
def row_type(table: Table) -> Callable[[Sequence[Any]], Any]:
    """A tuple class whose attributes are the table's columns: rows read without the ORM
    still answer ``row.name`` as the ORM's do (hooks, entity tags, ``from_attributes``)."""
    # One class per table, made once: the same rows whichever repository reads them.
    cls = namedtuple(f"{table.name}_row", [column.key for column in table.c])  # type: ignore[misc]
    make: Callable[[Sequence[Any]], Any] = cls._make
    return make


# The drivers a compiled statement is sent through directly; any other runs it through
# SQLAlchemy (which compiles it once too, and caches that).
DIRECT_DRIVERS = frozenset({"aiosqlite", "asyncpg", "aiomysql"})


@dataclass(frozen=True, slots=True)
class CompiledSelect:
    """One SELECT (or INSERT or UPDATE … RETURNING) in one dialect's SQL: what to send,
    and how to read what comes back."""

    statement: Executable
    make: Callable[[Sequence[Any]], Any]
    sql: str = ""  # empty: the driver is not one of DIRECT_DRIVERS
    binds: tuple[str, ...] = ()  # the statement's parameter names, in the driver's order
    # The values of the parameters a request does not give (a LIMIT, a literal).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    bind_processors: tuple[Processor, ...] = ()
    # (index, processor) of the result columns whose type reads the driver's value.
    processors: tuple[tuple[int, Callable[[Any], Any]], ...] = ()

    @classmethod
    def of(
        cls,
        statement: Select[Any] | Insert | Update,
        dialect: Dialect,
        make: Callable[[Sequence[Any]], Any],
        *,
        drivers: frozenset[str] | None = None,
    ) -> CompiledSelect:
        """``statement`` compiled for ``dialect``; sent through the driver itself when
        the driver is one of ``drivers`` (by default, :data:`DIRECT_DRIVERS`)."""
        compiled = statement.compile(dialect=dialect)
        direct = DIRECT_DRIVERS if drivers is None else drivers
        if dialect.driver not in direct or not compiled.positional:
            return cls(statement, make)
        binds = tuple(compiled.positiontup or ())
        bind_processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in binds
        )
        try:
            processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in _result_columns(statement)
            )
        except (SQLAlchemyError, TypeError, ValueError, KeyError, NotImplementedError):
            # A type whose reading depends on what the server says it sent (asyncpg's
            # numerics): SQLAlchemy reads the cursor's description for it.
            return cls(statement, make)
        fixed = {name: compiled.binds[name].effective_value for name in binds}
        fixed = {name: value for name, value in fixed.items() if value is not None}
        # Most columns are taken as the driver gives them.
        active = tuple((index, p) for index, p in enumerate(processors) if p is not None)
        return cls(statement, make, compiled.string, binds, fixed, bind_processors, active)

    async def all(self, connection: AsyncConnection, params: Mapping[str, Any]) -> list[Any]:
        """Every row the statement answers for ``params``, as ``make`` builds them."""
        if not self.sql:
            return [self.make(row) for row in await connection.execute(self.statement, params)]
        return self._made(await _fetch(connection, self.sql, self._args(params)))

    async def all_direct(self, direct: DirectConnection, params: Mapping[str, Any]) -> list[Any]:
        """As :meth:`all`, sent to SQLite's read connection of our own (no checkout)."""
        return self._made(await direct.fetch(self.sql, self._args(params)))

    async def all_committed(
        self, direct: DirectConnection, params: Mapping[str, Any]
    ) -> list[Any] | None:
        """As :meth:`all`, committed with its statement in the same call on SQLite's
        write connection of our own (see :meth:`DirectConnection.fetch_committed`);
        None, having left nothing, when a transaction holds the writes."""
        rows = await direct.fetch_committed(self.sql, self._args(params))
        return None if rows is None else self._made(rows)

    def _args(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            value if process is None else process(value)
            for value, process in zip(
                (params[name] if name in params else self.fixed[name] for name in self.binds),
                self.bind_processors,
                strict=True,
            )
        ]

    def _made(self, rows: Sequence[Any]) -> list[Any]:
        make, processors = self.make, self.processors
        if not processors:
            return [make(row) for row in rows]
        made = []
        for row in rows:
            values = list(row)
            for index, process in processors:
                values[index] = process(values[index])
            made.append(make(values))
        return made


def _result_columns(statement: Select[Any] | Insert | Update) -> Sequence[Any]:
    if isinstance(statement, Select):
        return list(statement.selected_columns)
    return [column["expr"] for column in statement.returning_column_descriptions]


async def _fetch(connection: AsyncConnection, sql: str, args: list[Any]) -> Sequence[Any]:
    """The rows of ``sql``, sent through the driver's own connection."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        fairy = sync.connection  # held already: no round trip through a greenlet
    else:
        fairy = await connection.get_raw_connection()
    driver: Any = fairy.driver_connection
    if connection.dialect.driver == "asyncpg":
        rows: Sequence[Any] = await driver.fetch(sql, *args)
    elif connection.dialect.driver == "aiomysql":
        async with driver.cursor() as cursor:
            await cursor.execute(sql, args)
            rows = await cursor.fetchall()
    else:  # aiosqlite
        rows = await driver.execute_fetchall(sql, args)
    return rows
