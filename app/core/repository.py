"""The SQL every generated repository shares; a resource's own repository names its table."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import BindParameter

from app.core import keyset
from app.core.conflict import RowChanged, stale
from app.core.database import Base, utcnow
from app.core.errors import Problem
from app.core.query import Condition, Listing, ListQuery
from app.core.reader import CompiledSelect, row_type
from app.core.softdelete import LIVE, apply_on_delete, live_parent, referrers, soft_parents
from app.core.unit import UnitOfWork

__all__ = [
    "BelongsTo",
    "Constraint",
    "HasMany",
    "ManyToMany",
    "Page",
    "RowChanged",
    "SQLRepository",
    "stale",
]

ModelT = TypeVar("ModelT", bound=Base)

# Shapes of list query kept compiled per repository class (the oldest goes first).
_MAX_SHAPES = 256
# What a list statement is built with: a subclass overriding one is not compiled per shape.
_STATEMENT_BUILDERS = ("filtered", "visible", "condition", "ordered", "_after")


@dataclass(frozen=True)
class Constraint:
    """A named constraint of the table and the fields it covers, for precise errors."""

    name: str
    kind: str  # "unique" or "foreign_key"
    fields: tuple[str, ...]
    target: str | None = None
    # The columns of an index that stands for a unique constraint over ``fields`` in
    # some rows (SQLite's partial index of `nulls: equal`), when they are not all of them.
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    # Read without the ORM: tuples with the columns as attributes (app.core.reader).
    rows: Sequence[Any]
    next_cursor: str | None
    total: int | None = None


@dataclass(frozen=True)
class BelongsTo:
    """``?expand=<name>``: the row this one's ``column`` refers to (or None)."""

    target: type[Any]
    column: str


@dataclass(frozen=True)
class HasMany:
    """``?expand=<name>``: the rows of ``target`` whose ``column`` refers to this one."""

    target: type[Any]
    column: str


@dataclass(frozen=True)
class ManyToMany:
    """The rows of ``target`` linked to this one through ``table``."""

    target: type[Any]
    table: Table
    own_column: str
    target_column: str


Relation = BelongsTo | HasMany | ManyToMany


class SQLRepository(Generic[ModelT]):
    """All SQL for one table. It holds the session and never commits.

    Generated subclasses set the class variables; ``custom/`` subclasses add queries
    and can use ``self.session`` and ``self.model`` freely.
    """

    model: ClassVar[type[Any]]
    listing: ClassVar[Listing]
    constraints: ClassVar[tuple[Constraint, ...]] = ()
    relations: ClassVar[Mapping[str, Relation]] = {}
    soft_delete: ClassVar[bool] = False

    # The read by id of each dialect, compiled at its first use (see app.core.reader);
    # keyed by (dialect, True) the read that locks the row (FOR UPDATE).
    _by_id: ClassVar[dict[Any, CompiledSelect]]
    # The list statements of each shape of query, compiled at first use.
    _pages: ClassVar[dict[tuple[Any, ...], tuple[CompiledSelect, CompiledSelect | None]]]
    _compiles_pages: ClassVar[bool] = True
    _reads_directly: ClassVar[bool] = True
    # The INSERT … RETURNING of each dialect and set of columns given, compiled at first use.
    _inserts: ClassVar[dict[tuple[str, frozenset[str]], CompiledSelect]]
    _inserts_directly: ClassVar[bool] = True
    # The UPDATE … RETURNING of each dialect and set of columns changed (and whether it
    # names the version read), likewise.
    _updates: ClassVar[dict[tuple[str, frozenset[str], bool], CompiledSelect]]
    _updates_directly: ClassVar[bool] = True

    def __init__(self, session: AsyncSession | UnitOfWork) -> None:
        # A request's unit makes its session on first use; reads before it need none.
        self.unit = session if isinstance(session, UnitOfWork) else UnitOfWork.of(session)

    @property
    def session(self) -> AsyncSession:
        """The request's ORM session (made on first use)."""
        return self.unit.session

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._by_id = {}
        cls._pages = {}
        cls._inserts = {}
        cls._updates = {}
        # A repository with its own insert (row rules) stores rows through it.
        cls._inserts_directly = cls.insert is SQLRepository.insert
        # Likewise its own update, or its own get (which the ORM update reads through).
        cls._updates_directly = cls.update is SQLRepository.update and cls.get is SQLRepository.get
        # A repository with its own get (row rules) is read through it.
        cls._reads_directly = cls.get is SQLRepository.get
        # A repository that builds its statements its own way is not compiled per shape.
        cls._compiles_pages = all(
            getattr(cls, name) is getattr(SQLRepository, name) for name in _STATEMENT_BUILDERS
        )

    @classmethod
    def _row_type(cls) -> Callable[[Sequence[Any]], Any]:
        """Makes this table's rows as reads answer them."""
        return row_type(cls.model.__table__)

    async def get(self, row_id: Any) -> ModelT | None:
        """The row, or None when there is none (or it was soft-deleted), as an ORM object
        for a change: the writes and their hooks take it."""
        row: ModelT | None = await self.session.get(self.model, row_id)
        if row is not None and self.soft_delete and row.deleted_at is not None:  # type: ignore[attr-defined]
            return None
        return row

    async def get_for_update(self, row_id: Any) -> ModelT | None:
        """As :meth:`get`, the row locked until the transaction ends (SELECT … FOR
        UPDATE; on SQLite, see :meth:`UnitOfWork.lock_rows`), read as it is now: no
        other write through this app can come between this read and the change."""
        await self.unit.lock_rows()
        row: ModelT | None = await self.session.get(
            self.model, row_id, with_for_update=True, populate_existing=True
        )
        if self._reads_directly:
            if row is not None and self.soft_delete and row.deleted_at is not None:  # type: ignore[attr-defined]
                return None
            return row
        # A get of its own decides which rows are seen: it finds this one, locked,
        # in the session (or reads it again its own way).
        return await self.get(row_id)

    async def read_for_update(self, row_id: Any) -> Any | None:
        """As :meth:`read`, the row locked as :meth:`get_for_update` locks it, read in
        the request's transaction (a change without the ORM tried again)."""
        if not self._reads_directly:
            return await self.get_for_update(row_id)
        dialect = self.unit.dialect
        compiled = self._by_id.get((dialect.name, True)) or self._compile_by_id(dialect, lock=True)
        rows = await self.unit.fetch_locked(compiled, {"row_id": row_id})
        return rows[0] if rows else None

    async def read(self, row_id: Any, *, include_deleted: bool = False) -> Any | None:
        """The row to show, or None: a tuple with the columns as attributes, read with SQL
        compiled once per dialect, without the ORM. A repository that overrides
        :meth:`get` (to add its own row rules) is read through it instead.
        ``include_deleted``: a soft-deleted row too (nested lists of it ask for it)."""
        if not self._reads_directly:
            return await self.get(row_id)
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
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=_DIRECT_WRITES)
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
        with the client's filters, sort and cursor this way. Without it, the statement is
        compiled once per shape of query (which filters and operators, which sort, a
        cursor or not, the limit) and only the values change from request to request.
        """
        bound_to = f"{self.model.__tablename__}:{query.fingerprint()}"
        key = None
        if query.cursor is not None:
            key = self.listing.cursor.decode(query.cursor, query.order, bound_to)
        if where or not self._compiles_pages:
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

    async def expand(
        self, rows: Sequence[ModelT], names: Sequence[str]
    ) -> dict[str, dict[Any, Any]]:
        """For each relation named, ``{row id: related row(s)}``: one query per relation,
        however many rows, so a page never costs a query per row."""
        out: dict[str, dict[Any, Any]] = {}
        if not rows:
            return {name: {} for name in names}
        ids = [row.id for row in rows]  # type: ignore[attr-defined]
        for name in names:
            relation = self.relations[name]
            target = relation.target
            if isinstance(relation, BelongsTo):
                keys = {getattr(row, relation.column) for row in rows} - {None}
                found = {}
                if keys:
                    statement = _visible(target, select(target).where(target.id.in_(keys)))
                    found = {r.id: r for r in (await self.session.scalars(statement)).all()}
                out[name] = {row.id: found.get(getattr(row, relation.column)) for row in rows}  # type: ignore[attr-defined]
            elif isinstance(relation, HasMany):
                column = getattr(target, relation.column)
                statement = _visible(target, select(target).where(column.in_(ids))).order_by(
                    target.id
                )
                grouped: dict[Any, list[Any]] = {row_id: [] for row_id in ids}
                for child in (await self.session.scalars(statement)).all():
                    grouped[getattr(child, relation.column)].append(child)
                out[name] = grouped
            else:
                own = relation.table.c[relation.own_column]
                other = relation.table.c[relation.target_column]
                statement = _visible(
                    target,
                    select(target, own)
                    .join(relation.table, other == target.id)
                    .where(own.in_(ids)),
                ).order_by(target.id)
                linked: dict[Any, list[Any]] = {row_id: [] for row_id in ids}
                for related, owner in (await self.session.execute(statement)).all():
                    linked[owner].append(related)
                out[name] = linked
        return out

    def linked(self, name: str, row_id: Any) -> ColumnElement[bool]:
        """The condition on the related resource's rows that are linked to ``row_id``."""
        relation = self.relations[name]
        if isinstance(relation, HasMany):
            return getattr(relation.target, relation.column) == row_id  # type: ignore[no-any-return]
        assert isinstance(relation, ManyToMany)
        table = relation.table
        links = select(table.c[relation.target_column]).where(
            table.c[relation.own_column] == row_id
        )
        return relation.target.id.in_(links)  # type: ignore[no-any-return]

    async def link(self, name: str, row_id: Any, other_id: Any) -> bool:
        """Link two rows of a many-to-many relation; linking twice changes nothing.
        False when there is no ``other_id`` to link."""
        relation = self.relations[name]
        assert isinstance(relation, ManyToMany)
        target = relation.target
        found = _visible(target, select(target.id).where(target.id == other_id))
        if (await self.session.execute(found)).first() is None:
            return False
        table = relation.table
        pair = {relation.own_column: row_id, relation.target_column: other_id}
        exists = select(table).where(*(table.c[k] == v for k, v in pair.items()))
        if (await self.session.execute(exists)).first() is None:
            await self.session.execute(insert(table).values(pair))
        return True

    async def unlink(self, name: str, row_id: Any, other_id: Any) -> bool:
        """Remove the link; False when the rows were not linked."""
        relation = self.relations[name]
        assert isinstance(relation, ManyToMany)
        table = relation.table
        statement = delete(table).where(
            table.c[relation.own_column] == row_id, table.c[relation.target_column] == other_id
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def insert_row(self, values: Mapping[str, Any], *, alone: bool = False) -> Any:
        """Store a new row and answer it as reads do (a tuple with the columns as
        attributes): one INSERT … RETURNING compiled once per set of columns, without the
        ORM, in the request's transaction. A repository that overrides :meth:`insert`,
        or a database that cannot return inserted rows (MySQL), stores it through
        :meth:`insert`.

        ``alone``: nothing else of the request writes, before or after (the generated
        create). On SQLite the INSERT is then committed in the same trip to the
        connection's thread, unless something already began the transaction."""
        dialect = self.unit.dialect
        if not self._inserts_directly or not dialect.insert_returning:
            return await self.insert(values)
        await self.require_live_parents(values)
        columns = self._columns(values)
        for name, default in _python_defaults(self.model.__table__):
            if name not in columns:
                columns[name] = default.arg(None) if default.is_callable else default.arg
        key = (dialect.name, frozenset(columns))
        compiled = self._inserts.get(key) or self._compile_insert(dialect, key)
        params = {f"v_{k}": v for k, v in columns.items()}
        return (await self._write(compiled, params, values, alone=alone))[0]

    async def _write(
        self,
        compiled: CompiledSelect,
        params: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        alone: bool,
    ) -> list[Any]:
        """The rows a compiled write returns: committed as it is made when ``alone`` and
        the unit allows it, else in the request's transaction (on SQLite ended at once
        when ``alone``, see :meth:`UnitOfWork.end_alone`). A violated constraint is the
        problem that names ``values``' fields."""
        try:
            rows = await self.unit.commit_alone(compiled, params) if alone else None
            if rows is None:
                rows = await compiled.all(await self.unit.writing(), params)
                if alone and rows:  # else the caller answers a problem or tries again
                    await self.unit.end_alone()
        except IntegrityError as exc:
            raise self._integrity_problem(exc, values, deleting=False) from None
        except sqlite3.IntegrityError as exc:  # sent through aiosqlite itself
            wrapped = IntegrityError(compiled.sql, None, exc)
            raise self._integrity_problem(wrapped, values, deleting=False) from None
        return rows

    @classmethod
    def _compile_insert(cls, dialect: Any, key: tuple[str, frozenset[str]]) -> CompiledSelect:
        table = cls.model.__table__
        given = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in sorted(key[1])}
        statement = insert(table).values(given).returning(*table.c)
        # Through aiosqlite itself, as reads are; a server driver keeps SQLAlchemy's
        # execution, which opens the request's transaction on it.
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=_DIRECT_WRITES)
        cls._inserts[key] = compiled
        return compiled

    def updates_rows(self) -> bool:
        """Whether :meth:`update_row` can change a row without the ORM here: a repository
        that overrides neither ``update`` nor ``get``, on a database that returns updated
        rows (not MariaDB/MySQL)."""
        return self._updates_directly and self.unit.dialect.update_returning

    async def update_row(
        self, row: Any, values: Mapping[str, Any], *, alone: bool = False, checked: bool = True
    ) -> Any:
        """Change ``row`` (as reads answer it) and answer it changed, as reads do: one
        UPDATE … RETURNING compiled once per set of columns, without the ORM, whose WHERE
        names the version read when ``checked`` (:class:`RowChanged` when another write
        came between, as the ORM's version check gives), else only the row (values that
        do not depend on the row read land on the row as it is then, versioned all the
        same). :class:`RowChanged` too when the row went. ``alone``: as for
        :meth:`insert_row`."""
        await self.require_live_parents(values, row)
        dialect = self.unit.dialect
        columns = self._columns(values)
        version = inspect(self.model).version_id_col
        checked = checked and version is not None
        key = (dialect.name, frozenset(columns), checked)
        compiled = self._updates.get(key) or self._compile_update(dialect, key)
        params = {f"v_{k}": v for k, v in columns.items()}
        params |= {"row_id": row.id, "row_updated_at": utcnow()}
        if checked:
            params["row_version"] = getattr(row, version.key)
        # A change that breaks a constraint may name only some of its fields: the error
        # shows the stored value of the others, not null.
        kept = {f: getattr(row, f) for c in self.constraints for f in c.fields if f not in values}
        rows = await self._write(compiled, params, {**kept, **values}, alone=alone)
        if not rows:  # changed (or deleted) since it was read
            raise RowChanged(row.id)
        return rows[0]

    @classmethod
    def _compile_update(cls, dialect: Any, key: tuple[str, frozenset[str], bool]) -> CompiledSelect:
        table = cls.model.__table__
        given: dict[str, Any] = {
            name: bindparam(f"v_{name}", type_=table.c[name].type) for name in sorted(key[1])
        }
        given["updated_at"] = bindparam("row_updated_at", type_=table.c.updated_at.type)
        where = [table.c.id == bindparam("row_id", type_=table.c.id.type)]
        version = inspect(cls.model).version_id_col
        if version is not None:
            given[version.key] = version + 1
            if key[2]:
                where.append(version == bindparam("row_version", type_=version.type))
        if cls.soft_delete:
            where.append(table.c.deleted_at.is_(None))
        statement = update(table).where(*where).values(given).returning(*table.c)
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=_DIRECT_WRITES)
        cls._updates[key] = compiled
        return compiled

    async def insert(self, values: Mapping[str, Any]) -> ModelT:
        await self.require_live_parents(values)
        row: ModelT = self.model(**self._columns(values))
        self.session.add(row)
        await self._flush(values)
        return row

    async def follow_explicit_ids(self) -> None:
        """After rows were inserted with explicit ids, let new ids start past them.

        SQLite and MySQL do so on their own; a PostgreSQL sequence must be moved.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return
        table = self.model.__tablename__
        await self.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ),
            {"table": table},
        )

    async def update(self, row: ModelT, values: Mapping[str, Any]) -> ModelT:
        await self.require_live_parents(values, row)
        # A patch that breaks a constraint may name only some of its fields: the error
        # shows the stored value of the others, not null.
        kept = {f: getattr(row, f) for c in self.constraints for f in c.fields if f not in values}
        for name, value in self._columns(values).items():
            setattr(row, name, value)
        row.updated_at = utcnow()  # type: ignore[attr-defined]
        await self._flush({**kept, **values}, row=row)
        return row

    async def delete(self, row: ModelT) -> None:
        if self.soft_delete:
            row_id, now = row.id, utcnow()  # type: ignore[attr-defined]
            row.deleted_at = row.updated_at = now  # type: ignore[attr-defined]
            # The row first: its lock makes a concurrent write naming it as a parent
            # wait, then see it deleted (see require_live_parents).
            await self._flush({}, row=row)
            await self._apply_on_delete(row_id, now)
            return
        await self.session.delete(row)
        await self._flush({}, deleting=True, row=row)

    async def _apply_on_delete(self, row_id: Any, now: datetime) -> None:
        """The ``on_delete`` of every relation to this soft-deleted row (nothing to do,
        and no query, for a table nothing refers to)."""
        table = self.model.__table__
        if not referrers(table):
            return
        try:
            await apply_on_delete(self.session, table, [row_id], now)
        except IntegrityError as exc:  # a row deleted here is still referred to
            raise self._integrity_problem(exc, {}, deleting=True) from None

    async def require_live_parents(self, values: Mapping[str, Any], row: Any = None) -> None:
        """Refuse, as for a missing row (422), ``values`` that name a soft-deleted row
        as a parent: a new one, or a new one for ``row``. One lookup by id per parent
        named, and only where the parent's resource is soft-deletable."""
        for name, parent in soft_parents(self.model.__table__):
            value = values.get(name)
            if value is None or (row is not None and getattr(row, name) == value):
                continue
            if not await live_parent(await self.unit.writing(), parent, value):
                target = next(
                    (
                        c.target
                        for c in self.constraints
                        if c.kind == "foreign_key" and c.fields == (name,)
                    ),
                    parent.name,
                )
                raise validation_like(f"No {target} matches {name}={_show(value)}.", (name,))

    def _columns(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values as stored, so that the row answers what a read gives back on every
        dialect: date-times in UTC, and -0.0 as 0.0 (only PostgreSQL keeps the sign)."""
        return {name: _stored(name, value) for name, value in values.items()}

    async def _flush(
        self, values: Mapping[str, Any], *, deleting: bool = False, row: Any = None
    ) -> None:
        row_id = None if row is None else inspect(row).identity
        try:
            await self.session.flush()
        except StaleDataError:
            # Another transaction changed the row's version between our read and write
            # (one that took no lock); the row is expired now, so its id was taken first.
            raise RowChanged(row_id[0] if row_id else None) from None
        except IntegrityError as exc:
            # The request boundary rolls the whole transaction back.
            raise self._integrity_problem(exc, values, deleting=deleting) from None

    def _integrity_problem(
        self, exc: IntegrityError, values: Mapping[str, Any], *, deleting: bool
    ) -> Problem:
        """Map the violated constraint to a 409/422 that names the fields, never SQL."""
        message = _driver_message(exc)
        for constraint in self.constraints:
            if not _mentions(message, constraint, self.model.__tablename__):
                continue
            shown = ", ".join(f"{f}={_show(values.get(f))}" for f in constraint.fields)
            if constraint.kind == "unique":
                return Problem(409, f"Another row already has {shown}.", title="Conflict",
                               errors=_pointers(constraint.fields, "already taken"))  # fmt: skip
            if not deleting:
                detail = f"No {constraint.target} matches {shown}."
                return validation_like(detail, constraint.fields)
        if deleting or "FOREIGN KEY" in message.upper():
            if deleting:
                return Problem(409, "Other rows still refer to this one; delete them first.")
            # SQLite does not say which foreign key failed; name it when only one can have:
            # a reference with a null field refers to nothing, so it never fails.
            fks = [c for c in self.constraints if c.kind == "foreign_key"]
            fks = [c for c in fks if all(values.get(f) is not None for f in c.fields)] or fks
            if len(fks) == 1:
                shown = ", ".join(f"{f}={_show(values.get(f))}" for f in fks[0].fields)
                return validation_like(f"No {fks[0].target} matches {shown}.", fks[0].fields)
            fields = tuple(f for c in fks for f in c.fields)
            return validation_like("A referenced row does not exist.", fields)
        return Problem(409, "The change conflicts with stored data.", title="Conflict")


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


# Drivers an INSERT … RETURNING is sent through directly: aiosqlite's one call, instead of
# the four SQLAlchemy's adapter makes (cursor, execute, fetch, close), each a thread hop.
_DIRECT_WRITES = frozenset({"aiosqlite"})


@cache
def _python_defaults(table: Table) -> tuple[tuple[str, Any], ...]:
    """The columns whose default Python computes (the time of a write), and the default."""
    return tuple(
        (column.key, column.default)
        for column in table.c
        if column.default is not None and (column.default.is_scalar or column.default.is_callable)
    )


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


def _visible(target: type[Any], statement: Select[Any]) -> Select[Any]:
    """Related rows without the soft-deleted ones."""
    if "deleted_at" in target.__table__.c:
        return statement.where(target.deleted_at.is_(None))
    return statement


def validation_like(detail: str, fields: tuple[str, ...]) -> Problem:
    return Problem(422, detail, errors=_pointers(fields, "refers to a missing row"))


def _stored(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(name, value)
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def _utc(name: str, value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the year 9999 in UTC
        detail = "is outside the years 1 to 9999 once converted to UTC"
        errors = [{"pointer": f"/{name}", "detail": detail}]
        raise Problem(422, f"{name} {detail}.", errors=errors) from None


def _show(value: Any) -> str:
    """A value as JSON, the way the client sent it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(str(value))


def _pointers(fields: tuple[str, ...], detail: str) -> list[dict[str, str]]:
    return [{"pointer": f"/{name}", "detail": detail} for name in fields]


def _driver_message(exc: IntegrityError) -> str:
    """The server's own text (MySQL drivers put the error code before it in ``args``)."""
    texts = [arg for arg in getattr(exc.orig, "args", ()) if isinstance(arg, str)]
    return texts[-1] if texts else str(exc.orig)


# Where each server names the violated constraint. MySQL and MariaDB quote the row's
# values before the key (``Duplicate entry 'x' for key 'uq_y'``), so that text is read
# first and its last key taken; MySQL 8 prefixes the key with the table.
_MYSQL_KEY = re.compile(r"for key '(?:[^'.]*\.)?([^']+)'")
_PG_NAMED = re.compile(r'constraint "([^"]+)"')
_MYSQL_FOREIGN_KEY = re.compile(r"CONSTRAINT `([^`]+)`")


def _violated(message: str) -> str | None:
    """The name of the constraint a PostgreSQL or MySQL/MariaDB error names, if any."""
    if keys := _MYSQL_KEY.findall(message):
        return str(keys[-1])
    found = _PG_NAMED.search(message) or _MYSQL_FOREIGN_KEY.search(message)
    return found[1] if found else None


def _mentions(message: str, constraint: Constraint, table: str) -> bool:
    """Whether a driver's error names ``constraint``.

    PostgreSQL and MySQL/MariaDB name the constraint; SQLite names the columns of a
    unique constraint (``UNIQUE constraint failed: events.name, events.starts_at``).
    """
    named = _violated(message)
    if named is not None:
        return named == constraint.name
    if constraint.kind == "unique" and "UNIQUE constraint failed" in message:
        columns = message.split("UNIQUE constraint failed:", 1)[1]
        named_columns = {c.strip().removeprefix(f"{table}.") for c in columns.split(",")}
        return named_columns - {LIVE} == set(constraint.columns or constraint.fields)
    return bool(re.search(rf"\b{re.escape(constraint.name)}\b", message))
