"""Writes: a row created, changed or deleted, compiled or through the ORM, in the request's
transaction (the unit of work decides when it commits; a repository never does)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core.data.conflict import RowChanged
from app.core.data.database import utcnow
from app.core.data.reader import CompiledSelect
from app.core.data.repository.base import DIRECT_WRITES, ModelT, RepositoryState, Row
from app.core.data.repository.problems import integrity_problem, show, validation_like
from app.core.data.softdelete import apply_on_delete, live_parent, referrers, soft_parents
from app.core.domain.errors import Problem

__all__ = ["Writes"]


class Writes(RepositoryState[ModelT]):
    """A repository's writes; compiled or through the ORM as its :attr:`strategy` says."""

    def writes_compiled(self, operation: str) -> bool:
        """Whether a create (``"insert"``) or a change (``"update"``) goes without the ORM
        here: :attr:`Strategy.COMPILED`, on a database that returns written rows
        (MariaDB/MySQL return no updated rows, and MySQL no inserted ones)."""
        if not self.compiled:
            return False
        dialect = self.unit.dialect
        return bool(dialect.insert_returning if operation == "insert" else dialect.update_returning)

    async def insert_row(self, values: Mapping[str, Any]) -> Row:
        """Store a new row and answer it as reads do: one INSERT … RETURNING compiled once
        per set of columns, without the ORM, when :meth:`writes_compiled`; else through
        :meth:`insert` (an ORM object). In the request's transaction, or committed with
        its statement when the unit's policy allows it (see :class:`CommitPolicy`)."""
        if not self.writes_compiled("insert"):
            return await self.insert(values)  # type: ignore[return-value]
        await self.require_live_parents(values)
        dialect = self.unit.dialect
        columns = self._columns(values)
        for name, default in _python_defaults(self.model.__table__):
            if name not in columns:
                columns[name] = default.arg(None) if default.is_callable else default.arg
        key = (dialect.name, frozenset(columns))
        compiled = self._inserts.get(key) or self._compile_insert(dialect, key)
        params = {f"v_{k}": v for k, v in columns.items()}
        rows: list[Row] = await self._write(compiled, params, values)
        return rows[0]

    async def _write(
        self, compiled: CompiledSelect, params: Mapping[str, Any], values: Mapping[str, Any]
    ) -> list[Any]:
        """The rows a compiled write returns (the unit commits it as its policy says). A
        violated constraint is the problem that names ``values``' fields."""
        try:
            return await self.unit.write(compiled, params)
        except IntegrityError as exc:
            raise self._integrity_problem(exc, values, deleting=False) from None
        except sqlite3.IntegrityError as exc:  # sent through aiosqlite itself
            wrapped = IntegrityError(compiled.sql, None, exc)
            raise self._integrity_problem(wrapped, values, deleting=False) from None

    @classmethod
    def _compile_insert(cls, dialect: Any, key: tuple[str, frozenset[str]]) -> CompiledSelect:
        table = cls.model.__table__
        given = {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in sorted(key[1])}
        statement = insert(table).values(given).returning(*table.c)
        # Through aiosqlite itself, as reads are; a server driver keeps SQLAlchemy's
        # execution, which opens the request's transaction on it.
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=DIRECT_WRITES)
        cls._inserts[key] = compiled
        return compiled

    async def update_row(self, row: Row, values: Mapping[str, Any], *, checked: bool = True) -> Row:
        """Change ``row`` (as reads answer it) and answer it changed, as reads do: one
        UPDATE … RETURNING compiled once per set of columns, without the ORM, whose WHERE
        names the version read when ``checked`` (:class:`RowChanged` when another write
        came between, as the ORM's version check gives), else only the row (values that
        do not depend on the row read land on the row as it is then, versioned all the
        same). :class:`RowChanged` too when the row went. Committed as :meth:`insert_row`
        is."""
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
        rows = await self._write(compiled, params, {**kept, **values})
        if not rows:  # changed (or deleted) since it was read
            raise RowChanged(row.id)
        changed: Row = rows[0]
        return changed

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
        compiled = CompiledSelect.of(statement, dialect, cls._row_type(), drivers=DIRECT_WRITES)
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
                raise validation_like(f"No {target} matches {name}={show(value)}.", (name,))

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
        """The violated constraint as a 409/422 that names the fields, never SQL."""
        table = self.model.__tablename__
        return integrity_problem(exc, values, self.constraints, table, deleting=deleting)


@cache
def _python_defaults(table: Table) -> tuple[tuple[str, Any], ...]:
    """The columns whose default Python computes (the time of a write), and the default."""
    return tuple(
        (column.key, column.default)
        for column in table.c
        if column.default is not None and (column.default.is_scalar or column.default.is_callable)
    )


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
