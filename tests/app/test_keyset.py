"""The SQL of keyset order where a sort key may be null (app.core.data.keyset): nulls last
ascending and first descending in each dialect's words, "after this row" exact for
every key, and plain SQL, as before, where no column may be null."""

from __future__ import annotations

import functools
import itertools
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.engine import Dialect, make_url

from app.core.data.keyset import after, order_terms

DIALECTS: dict[str, Dialect] = {
    name: make_url(f"{name}://").get_dialect()() for name in ("postgresql", "sqlite", "mysql")
}
TABLE = Table(
    "t",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("a", Integer, nullable=True),
    Column("b", Integer, nullable=True),
    Column("n", Integer, nullable=False),
)


def _order_by(names: list[tuple[str, bool]], dialect: str) -> str:
    columns = [TABLE.c[name] for name, _ in names]
    nullable = [bool(c.nullable) for c in columns]
    statement = select(TABLE.c.id).order_by(*order_terms(columns, nullable, names, dialect))
    return str(statement.compile(dialect=DIALECTS[dialect])).partition("ORDER BY ")[2]


def test_a_nullable_key_sorts_nulls_last_ascending_and_first_descending_in_each_dialect() -> None:
    order = [("a", False), ("b", True), ("n", False), ("id", False)]
    native = "t.a ASC NULLS LAST, t.b DESC NULLS FIRST, t.n ASC, t.id ASC"
    assert _order_by(order, "postgresql") == native
    assert _order_by(order, "sqlite") == native
    # MariaDB/MySQL know no NULLS LAST: false (0) sorts first.
    emulated = "t.a IS NULL, t.a ASC, t.b IS NOT NULL, t.b DESC, t.n ASC, t.id ASC"
    assert _order_by(order, "mysql") == emulated


def test_keys_that_are_never_null_are_ordered_and_compared_as_plain_sql() -> None:
    """The fast path: no IS NULL, no NULLS LAST, one row-value comparison."""
    order = [("n", True), ("id", True)]
    for dialect in DIALECTS:
        assert _order_by(order, dialect) == "t.n DESC, t.id DESC"
    columns = [TABLE.c.n, TABLE.c.id]
    where = after(columns, [False, False], order, (3, 7))
    assert str(where.compile(compile_kwargs={"literal_binds": True})) == "(t.n, t.id) < (3, 7)"
    mixed = after(columns, [False, False], [("n", False), ("id", True)], (3, 7))
    assert str(mixed.compile(compile_kwargs={"literal_binds": True})) == (
        "t.n > 3 OR t.n = 3 AND t.id < 7"
    )


def _where(order: list[tuple[str, bool]], key: tuple[Any, ...]) -> str:
    columns = [TABLE.c[name] for name, _ in order]
    nullable = [bool(c.nullable) for c in columns]
    where = after(columns, nullable, order, key)
    return str(where.compile(compile_kwargs={"literal_binds": True}))


def test_after_a_nullable_key_says_where_nulls_are() -> None:
    ascending = [("a", False), ("id", False)]
    assert _where(ascending, (3, 7)) == "t.a > 3 OR t.a IS NULL OR t.a = 3 AND t.id > 7"
    assert _where(ascending, (None, 7)) == "t.a IS NULL AND t.id > 7"
    descending = [("a", True), ("id", True)]
    assert _where(descending, (None, 7)) == "t.a IS NOT NULL OR t.a IS NULL AND t.id < 7"
    # Descending, a null is before any value, as the row comparison's null says.
    assert _where(descending, (3, 7)) == "(t.a, t.id) < (3, 7)"


def _in_memory(order: list[tuple[str, bool]], x: dict[str, Any], y: dict[str, Any]) -> int:
    for name, descending in order:
        if x[name] != y[name]:  # null is greater than every value
            greater = x[name] is None or (y[name] is not None and x[name] > y[name])
            return (1 if greater else -1) * (-1 if descending else 1)
    return 0


@pytest.mark.parametrize("words", ["sqlite", "mysql"])
def test_after_each_row_come_exactly_the_rows_that_sort_after_it(words: str) -> None:
    """Every row of a table holding every pair of (null, 1, 2) in two nullable keys, for
    every order of them, each way, with the id last: the rows SQLite answers after a
    row are those the in-memory order puts after it, and in that order. The ORDER BY
    is in SQLite's words (NULLS LAST) and in MariaDB's (``col IS NULL, col``)."""
    engine = create_engine("sqlite://")
    TABLE.metadata.create_all(engine)
    values = list(itertools.product((None, 1, 2), repeat=2))
    rows = [{"id": i + 1, "a": a, "b": b, "n": 0} for i, (a, b) in enumerate(values * 2)]
    orders = [
        [*keys, ("id", last)]
        for names in (["a"], ["a", "b"], ["b", "a"], ["a", "n", "b"])
        for directions in itertools.product((False, True), repeat=len(names))
        for keys in [list(zip(names, directions, strict=True))]
        for last in (False, True)
    ]
    with engine.connect() as connection:
        connection.execute(insert(TABLE), rows)
        for order in orders:
            expected = sorted(rows, key=functools.cmp_to_key(functools.partial(_in_memory, order)))
            columns = [TABLE.c[name] for name, _ in order]
            nullable = [bool(c.nullable) for c in columns]
            statement = select(TABLE.c.id).order_by(*order_terms(columns, nullable, order, words))
            assert list(connection.scalars(statement)) == [r["id"] for r in expected], order
            for index, row in enumerate(expected):
                key = tuple(row[name] for name, _ in order)
                found = connection.scalars(statement.where(after(columns, nullable, order, key)))
                assert list(found) == [r["id"] for r in expected[index + 1 :]], (order, key)
