"""Constraint violations as the problems an API answers: 409 or 422 naming the fields, never SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from app.core.data.softdelete import LIVE
from app.core.domain.errors import Problem

__all__ = ["Constraint", "integrity_problem", "show", "validation_like"]


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


def integrity_problem(
    exc: IntegrityError,
    values: Mapping[str, Any],
    constraints: Sequence[Constraint],
    table: str,
    *,
    deleting: bool,
) -> Problem:
    """Map the violated constraint to a 409/422 that names the fields, never SQL."""
    message = _driver_message(exc)
    for constraint in constraints:
        if not _mentions(message, constraint, table):
            continue
        shown = ", ".join(f"{f}={show(values.get(f))}" for f in constraint.fields)
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
        fks = [c for c in constraints if c.kind == "foreign_key"]
        fks = [c for c in fks if all(values.get(f) is not None for f in c.fields)] or fks
        if len(fks) == 1:
            shown = ", ".join(f"{f}={show(values.get(f))}" for f in fks[0].fields)
            return validation_like(f"No {fks[0].target} matches {shown}.", fks[0].fields)
        fields = tuple(f for c in fks for f in c.fields)
        return validation_like("A referenced row does not exist.", fields)
    return Problem(409, "The change conflicts with stored data.", title="Conflict")


def validation_like(detail: str, fields: tuple[str, ...]) -> Problem:
    return Problem(422, detail, errors=_pointers(fields, "refers to a missing row"))


def show(value: Any) -> str:
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
