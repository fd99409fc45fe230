"""The SQL every generated repository shares; a resource's own repository names its table."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar, cast

import orjson
from sqlalchemy import Select, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cursor import CursorCodec
from app.core.database import Base, utcnow
from app.core.errors import Problem

__all__ = ["Constraint", "Page", "SQLRepository"]

ModelT = TypeVar("ModelT", bound=Base)


@dataclass(frozen=True)
class Constraint:
    """A named constraint of the table and the fields it covers, for precise errors."""

    name: str
    kind: str  # "unique" or "foreign_key"
    fields: tuple[str, ...]
    target: str | None = None


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    rows: Sequence[ModelT]
    next_cursor: str | None


class SQLRepository(Generic[ModelT]):
    """All SQL for one table. It holds the session and never commits.

    Generated subclasses set the class variables; ``custom/`` subclasses add queries
    and can use ``self.session`` and ``self.model`` freely.
    """

    model: ClassVar[type[Any]]
    sort_field: ClassVar[str]
    sort_descending: ClassVar[bool]
    cursor: ClassVar[CursorCodec]
    constraints: ClassVar[tuple[Constraint, ...]] = ()

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, row_id: Any) -> ModelT | None:
        row: ModelT | None = await self.session.get(self.model, row_id)
        return row

    def ordered(self, statement: Select[Any]) -> Select[Any]:
        """``statement`` in the list's order, the id breaking ties so that order is total."""
        sort_column, id_column = getattr(self.model, self.sort_field), self.model.id
        if self.sort_descending:
            return statement.order_by(sort_column.desc(), id_column.desc())
        return statement.order_by(sort_column.asc(), id_column.asc())

    async def page(self, limit: int, cursor: str | None) -> Page[ModelT]:
        """One page in keyset order, after the row ``cursor`` names."""
        statement = self.ordered(select(self.model))
        if cursor is not None:
            key = tuple_(getattr(self.model, self.sort_field), self.model.id)
            after = tuple_(*self.cursor.decode(cursor))
            statement = statement.where(key < after if self.sort_descending else key > after)
        rows: list[ModelT] = list((await self.session.scalars(statement.limit(limit + 1))).all())
        if len(rows) <= limit:
            return Page(rows, None)
        last = rows[limit - 1]
        next_cursor = self.cursor.encode((getattr(last, self.sort_field), cast(Any, last).id))
        return Page(rows[:limit], next_cursor)

    async def insert(self, values: Mapping[str, Any]) -> ModelT:
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
        # A patch that breaks a constraint may name only some of its fields: the error
        # shows the stored value of the others, not null.
        kept = {f: getattr(row, f) for c in self.constraints for f in c.fields if f not in values}
        for name, value in self._columns(values).items():
            setattr(row, name, value)
        row.updated_at = utcnow()  # type: ignore[attr-defined]
        await self._flush({**kept, **values})
        return row

    async def delete(self, row: ModelT) -> None:
        await self.session.delete(row)
        await self._flush({}, deleting=True)

    def _columns(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values as stored, so that the row answers what a read gives back on every
        dialect: date-times in UTC, and -0.0 as 0.0 (only PostgreSQL keeps the sign)."""
        return {name: _stored(name, value) for name, value in values.items()}

    async def _flush(self, values: Mapping[str, Any], *, deleting: bool = False) -> None:
        try:
            await self.session.flush()
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
            # SQLite does not say which foreign key failed; name it when there is one.
            fks = [c for c in self.constraints if c.kind == "foreign_key"]
            if len(fks) == 1:
                shown = ", ".join(f"{f}={_show(values.get(f))}" for f in fks[0].fields)
                return validation_like(f"No {fks[0].target} matches {shown}.", fks[0].fields)
            fields = tuple(f for c in fks for f in c.fields)
            return validation_like("A referenced row does not exist.", fields)
        return Problem(409, "The change conflicts with stored data.", title="Conflict")


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
        return named_columns == set(constraint.fields)
    return bool(re.search(rf"\b{re.escape(constraint.name)}\b", message))
