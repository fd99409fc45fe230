"""Reads: a row by id (compiled, or the ORM's for a change) and keyset pages of a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from app.core.data import keyset
from app.core.data.query import Condition, ListQuery
from app.core.data.reader import CompiledSelect
from app.core.data.repository.base import DIRECT_WRITES, ModelT, Page, RepositoryState, Row

__all__ = ["Reads"]

# Shapes of list query kept compiled per repository class (the oldest goes first).
_MAX_SHAPES = 256


class Reads(RepositoryState[ModelT]):
    """A repository's reads; compiled or through the ORM as its :attr:`strategy` says."""

    async def get(self, row_id: Any) -> ModelT | None:
        """The row, or None when there is none (or it was soft-deleted), as an ORM object
        for a change: replace, delete and the writes of :attr:`Strategy.ORM` take it.
        Overriding it adds row rules to those (and, with ``Strategy.ORM``, to reads)."""
        row: ModelT | None = await self.session.get(self.model, row_id)
        if row is not None and self.soft_delete and row.deleted_at is not None:  # type: ignore[attr-defined]
            return None
        return row

    async def get_for_update(self, row_id: Any) -> ModelT | None:
        """As :meth:`get`, the row locked until the transaction ends (SELECT … FOR
        UPDATE; on SQLite, see :meth:`UnitOfWork.lock_rows`), read as it is now: no
        other write through this app can come between this read and the change. The
        locked row is then asked of :meth:`get`, which finds it in the session."""
        await self.unit.lock_rows()
        await self.session.get(self.model, row_id, with_for_update=True, populate_existing=True)
        return await self.get(row_id)

    async def read_for_update(self, row_id: Any) -> Row | None:
        """As :meth:`read`, the row locked as :meth:`get_for_update` locks it, read in
        the request's transaction (a change without the ORM tried again)."""
        if not self.compiled:
            return await self.get_for_update(row_id)  # type: ignore[return-value]
        dialect = self.unit.dialect
        compiled = self._by_id.get((dialect.name, True)) or self._compile_by_id(dialect, lock=True)
        rows = await self.unit.fetch_locked(compiled, {"row_id": row_id})
        return rows[0] if rows else None

    async def read(self, row_id: Any, *, include_deleted: bool = False) -> Row | None:
        """The row to show, or None: with :attr:`Strategy.COMPILED`, a compiled row read
        with SQL compiled once per dialect, without the ORM; with ``Strategy.ORM``,
        :meth:`get`'s. ``include_deleted``: a soft-deleted row too (nested lists of it
        ask for it)."""
        if not self.compiled:
            return await self.get(row_id)  # type: ignore[return-value]
        dialect = self.unit.dialect
        key = (dialect.name, "any") if include_deleted else dialect.name
        compiled = self._by_id.get(key) or self._compile_by_id(dialect, key=key)
        rows = await self.unit.fetch(compiled, {"row_id": row_id})
        return rows[0] if rows else None

    @classmethod
    def _compile_by_id(cls, dialect: Any, *, key: Any = None, lock: bool = False) -> CompiledSelect:
        """The read by id, compiled for ``dialect`` and kept under ``key``: the dialect's
        name for the live row, ``(name, "any")`` for a soft-deleted one too, and
        ``(name, True)`` for the live row locked (``lock``)."""
        key = (dialect.name, True) if lock else key or dialect.name
        table = cls.model.__table__
        statement = select(*table.c).where(table.c.id == bindparam("row_id", type_=table.c.id.type))
        if cls.soft_delete and key != (dialect.name, "any"):
            statement = statement.where(table.c.deleted_at.is_(None))
        if not lock:
            compiled = CompiledSelect.of(statement, dialect, cls._row_type())
            cls._by_id[key] = compiled
            return compiled
        # In the transaction, so sent as writes are (a server driver keeps SQLAlchemy's
        # execution, which opens the transaction); SQLite's SQL has no FOR UPDATE, which
        # SQLAlchemy leaves out there.
        statement = statement.with_for_update()
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=DIRECT_WRITES)
        cls._by_id[key] = compiled
        return compiled

    def visible(self, statement: Select[Any], *, include_deleted: bool = False) -> Select[Any]:
        """``statement`` without soft-deleted rows (unless asked for)."""
        if self.soft_delete and not include_deleted:
            return statement.where(self.model.deleted_at.is_(None))
        return statement

    def ordered(self, statement: Select[Any], query: ListQuery | None = None) -> Select[Any]:
        """``statement`` in the list's order (the default one without ``query``)."""
        order = query.order if query is not None else self.listing.default_order
        columns = [getattr(self.model, name) for name, _ in order]
        nullable = self._nullable(order)
        dialect = self.unit.dialect.name if any(nullable) else ""
        return statement.order_by(*keyset.order_terms(columns, nullable, order, dialect))

    def condition(self, condition: Condition) -> ColumnElement[bool]:
        """The SQL of one filter."""
        column = getattr(self.model, condition.field)
        value = condition.value
        match condition.operator:
            case "eq":
                return column == value  # type: ignore[no-any-return]
            case "ne":  # null differs from every value
                return column.is_distinct_from(value)  # type: ignore[no-any-return]
            case "lt":
                return column < value  # type: ignore[no-any-return]
            case "lte":
                return column <= value  # type: ignore[no-any-return]
            case "gt":
                return column > value  # type: ignore[no-any-return]
            case "gte":
                return column >= value  # type: ignore[no-any-return]
            case "in":
                return column.in_(value)  # type: ignore[no-any-return]
            case "contains" | "icontains":
                dialect = self.unit.dialect.name
                if not isinstance(value, BindParameter):  # else bound by _bound, as operand
                    value = literal(_text_operand(condition.operator, value, dialect), String())
                return _text_match(column, condition.operator, value, dialect)
            case "is_null":
                return column.is_(None) if value else column.is_not(None)  # type: ignore[no-any-return]
        raise ValueError(f"unknown operator {condition.operator!r}")

    def filtered(self, query: ListQuery, *where: ColumnElement[bool]) -> Select[Any]:
        """All rows that ``query``'s filters (and ``where``) admit, in no order; the
        statement selects the table's columns (Core, not ORM entities)."""
        conditions = (self.condition(c) for c in query.conditions)
        statement = select(*self.model.__table__.c).where(*conditions, *where)
        return self.visible(statement, include_deleted=query.include_deleted)

    async def page(self, query: ListQuery, *where: ColumnElement[bool]) -> Page[ModelT]:
        """One page in keyset order, after the row ``query.cursor`` names.

        ``where`` narrows the list further: a custom query composes its own conditions
        with the client's filters, sort and cursor this way. Without it, and with
        :attr:`Strategy.COMPILED`, the statement is compiled once per shape of query
        (which filters and operators, which sort, a cursor or not, the limit) and only
        the values change from request to request; else it is built per request through
        :meth:`filtered`, :meth:`ordered` and the other builders.
        """
        bound_to = f"{self.model.__tablename__}:{query.fingerprint()}"
        key = None
        if query.cursor is not None:
            key = self.listing.cursor.decode(query.cursor, query.order, bound_to)
        if where or not self.compiled:
            async with self.unit.reading() as connection:
                rows, total = await self._page_rows(connection, query, key, where)
        else:
            compiled, counted, params = self._compiled_page(self.unit.dialect, query, key)
            rows = await self.unit.fetch(compiled, params)
            total = None
            if counted is not None:
                total = (await self.unit.fetch(counted, params))[0][0]
        if len(rows) <= query.limit:
            return Page(rows, None, total)
        last = rows[query.limit - 1]
        next_key = tuple(getattr(last, name) for name, _ in query.order)
        cursor = self.listing.cursor.encode(query.order, bound_to, next_key)
        return Page(rows[: query.limit], cursor, total)

    async def _page_rows(
        self,
        connection: AsyncConnection,
        query: ListQuery,
        key: tuple[Any, ...] | None,
        where: Sequence[ColumnElement[bool]],
    ) -> tuple[list[Any], int | None]:
        """A page's rows (one more than the limit) and total, with conditions of the caller's."""
        statement = self.filtered(query, *where)
        total = None
        if query.count:
            counted = select(func.count()).select_from(statement.subquery())
            total = (await connection.execute(counted)).scalar_one()
        if key is not None:
            statement = statement.where(self._after(query.order, key))
        statement = self.ordered(statement, query).limit(query.limit + 1)
        make = self._row_type()
        return [make(row) for row in await connection.execute(statement)], total

    def _compiled_page(
        self, dialect: Any, query: ListQuery, key: tuple[Any, ...] | None
    ) -> tuple[CompiledSelect, CompiledSelect | None, dict[str, Any]]:
        """The compiled statements of this shape of query (made on its first use) and the
        values of their parameters for this one."""
        params: dict[str, Any] = {}
        shape: list[Any] = [dialect.name, query.order, query.limit, query.include_deleted]
        for index, condition in enumerate(query.conditions):
            values, form = _bound_values(condition, f"f{index}_", dialect.name)
            params.update(values)
            shape.append((condition.field, condition.operator, form))
        # A null in the key is SQL of its own (IS NULL), not a value: part of the shape.
        nulls = key is not None and (None not in key or tuple(v is None for v in key))
        shape += [nulls, query.count]
        cache_key = tuple(shape)
        found = self._pages.get(cache_key)
        if found is None:
            clauses = [
                self._bound(condition, f"f{index}_")
                for index, condition in enumerate(query.conditions)
            ]
            found = self._compile_page(dialect, query, clauses, key)
            if len(self._pages) >= _MAX_SHAPES:
                self._pages.pop(next(iter(self._pages)))  # the oldest shape goes
            self._pages[cache_key] = found
        if key is not None:
            params.update((f"k{i}", value) for i, value in enumerate(key) if value is not None)
        return found[0], found[1], params

    def _compile_page(
        self,
        dialect: Any,
        query: ListQuery,
        clauses: list[ColumnElement[bool]],
        key: tuple[Any, ...] | None,
    ) -> tuple[CompiledSelect, CompiledSelect | None]:
        columns = self.model.__table__.c
        statement = select(*columns).where(*clauses)
        statement = self.visible(statement, include_deleted=query.include_deleted)
        counted = None
        if query.count:
            count = select(func.count()).select_from(statement.subquery())
            counted = CompiledSelect.of(count, dialect, tuple)
        if key is not None:
            bounds = tuple(
                None if value is None else bindparam(f"k{index}", type_=columns[name].type)
                for index, ((name, _), value) in enumerate(zip(query.order, key, strict=True))
            )
            statement = statement.where(self._after(query.order, bounds))
        statement = self.ordered(statement, query).limit(query.limit + 1)
        return CompiledSelect.of(statement, dialect, self._row_type()), counted

    def _bound(self, condition: Condition, prefix: str) -> ColumnElement[bool]:
        """The SQL of one filter with its value as parameters named from ``prefix`` (the
        values are :func:`_bound_values`)."""
        column = self.model.__table__.c[condition.field]
        value = condition.value
        operator = condition.operator
        clause: ColumnElement[bool]
        if operator == "in":
            clause = column.in_([bindparam(f"{prefix}{i}", type_=column.type)
                                 for i in range(len(value))])  # fmt: skip
            return clause
        if operator == "is_null":
            clause = column.is_(None) if value else column.is_not(None)
            return clause
        # A text match's operand is a plain string (see _text_match).
        bound_type = String() if operator in ("contains", "icontains") else column.type
        return self.condition(Condition(condition.field, operator,
                                        bindparam(prefix, type_=bound_type)))  # fmt: skip

    def _after(
        self, order: tuple[tuple[str, bool], ...], key: tuple[Any, ...]
    ) -> ColumnElement[bool]:
        """Rows strictly after ``key`` in ``order`` (``None`` in ``key``: a null)."""
        columns = [getattr(self.model, name) for name, _ in order]
        return keyset.after(columns, self._nullable(order), order, key)

    @classmethod
    def _nullable(cls, order: tuple[tuple[str, bool], ...]) -> list[bool]:
        """Which of the sort's columns may hold null."""
        table = cls.model.__table__.c
        return [bool(table[name].nullable) for name, _ in order]


def _bound_values(condition: Condition, prefix: str, dialect: str) -> tuple[dict[str, Any], Any]:
    """The parameters of one filter (named from ``prefix``), and what of its value shapes
    the SQL: how many values ``in`` has, whether ``is_null`` asks for null."""
    value = condition.value
    operator = condition.operator
    if operator == "in":
        return {f"{prefix}{i}": v for i, v in enumerate(value)}, len(value)
    if operator == "is_null":
        return {}, bool(value)
    if operator in ("contains", "icontains"):
        return {prefix: _text_operand(operator, value, dialect)}, None
    return {prefix: value}, None


def _text_operand(operator: str, value: str, dialect: str) -> str:
    """What :func:`_text_match` compares with: the text itself for instr(), else a LIKE
    pattern in which ``value`` matches literally (escaped as SQLAlchemy's autoescape)."""
    if operator == "contains" and dialect == "sqlite":
        return value
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _text_match(
    column: Any, operator: str, operand: ColumnElement[Any], dialect: str
) -> ColumnElement[bool]:
    """``contains`` (exact) and ``icontains`` (case folded by lower()). SQLite's LIKE ignores
    ASCII case, so it finds exact text with instr(). The operand is a plain string: a
    length in its type would cut a long pattern in PostgreSQL's cast."""
    if operator == "contains" and dialect == "sqlite":
        return func.instr(column, operand) > 0
    if operator == "contains":
        return column.like(operand, escape="/")  # type: ignore[no-any-return]
    return func.lower(column).like(func.lower(operand), escape="/")
