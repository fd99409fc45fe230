"""Keyset order with sort keys that may be null: the ORDER BY and "after this row".

Null sorts as if it were greater than every value: last ascending, first descending,
PostgreSQL's own default. SQLite and MariaDB/MySQL put nulls first ascending, so the
ORDER BY says where they go on every database. A column that cannot hold null is
ordered and compared exactly as it would be without this module, so a list sorted by
such columns costs nothing more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, tuple_

__all__ = ["after", "order_terms"]

Order = Sequence[tuple[str, bool]]  # (field, descending)

# NULLS FIRST/LAST came to SQLite in 3.30 (2019); MariaDB and MySQL have neither.
_NATIVE_NULLS = {
    "postgresql": True,
    "sqlite": sqlite3.sqlite_version_info >= (3, 30),
}


def order_terms(
    columns: Sequence[Any], nullable: Sequence[bool], order: Order, dialect: str
) -> list[Any]:
    """The ORDER BY terms of ``order`` in ``dialect``: nulls last ascending, first
    descending."""
    native = _NATIVE_NULLS.get(dialect, False)
    terms: list[Any] = []
    for column, may_be_null, (_, descending) in zip(columns, nullable, order, strict=True):
        if not may_be_null:
            terms.append(column.desc() if descending else column.asc())
        elif native:
            terms.append(column.desc().nulls_first() if descending else column.asc().nulls_last())
        elif descending:  # false (0) sorts first: the nulls, then the values
            terms += [column.is_not(None), column.desc()]
        else:
            terms += [column.is_(None), column.asc()]
    return terms


def after(
    columns: Sequence[Any], nullable: Sequence[bool], order: Order, key: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after ``key`` in ``order``, where ``None`` in ``key`` is a null.

    One row-value comparison when every key runs the same way and no column may be
    null (an index serves it); else one branch per key: equal on the keys before it and
    past it on this one, null counting as greater than every value.
    """
    directions = {descending for _, descending in order}
    if len(directions) == 1 and not any(nullable):
        if directions == {True}:
            return tuple_(*columns) < tuple_(*key)
        return tuple_(*columns) > tuple_(*key)
    if directions == {True} and all(value is not None for value in key):
        # Descending, nulls come first: a null where the key has a value is before
        # it, as the comparison's null (false) says. Still one index range.
        return tuple_(*columns) < tuple_(*key)
    branches = []
    for index, (_, descending) in enumerate(order):
        step = _past(columns[index], nullable[index], descending, key[index])
        if step is None:
            continue  # nothing sorts past a null ascending: only its ties go on
        ties = [_equal(c, v) for c, v in zip(columns[:index], key[:index], strict=True)]
        branches.append(and_(*ties, step))
    return or_(*branches)


def _equal(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value  # type: ignore[no-any-return]


def _past(column: Any, may_be_null: bool, descending: bool, value: Any) -> Any:
    """Values of ``column`` strictly past ``value`` (``None``: none are)."""
    if value is None:  # only a nullable column's key is null
        return column.is_not(None) if descending else None
    if descending:
        return column < value  # null is not less than a value: it came before
    if may_be_null:
        return or_(column > value, column.is_(None))
    return column > value
