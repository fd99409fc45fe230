"""Which databases can keep a unique group whose nulls count as one value."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, UniqueConstraint

from app.core.data.uniques import UnsupportedSchema, for_dialect, refuse_unsupported


def _metadata(*, nulls_equal: bool) -> tuple[MetaData, Index]:
    metadata = MetaData()
    index = Index(
        "uq_skus_code_where_warehouse_id_null", "code", unique=True, info={"dialects": ("sqlite",)}
    )
    Table(
        "skus",
        metadata,
        Column("id", BigInteger, primary_key=True),
        Column("code", String(40), nullable=False),
        Column("warehouse_id", BigInteger),
        UniqueConstraint(
            "code",
            "warehouse_id",
            name="uq_skus_code_warehouse_id",
            postgresql_nulls_not_distinct=nulls_equal,
        ),
        index,
    )
    return metadata, index


@pytest.mark.parametrize(
    ("database", "version", "says"),
    [
        ("mysql", (8, 0), "MySQL and MariaDB cannot keep"),
        ("mariadb", None, "MySQL and MariaDB cannot keep"),
        ("postgresql", (14, 9), "PostgreSQL keeps from version 15 on"),
    ],
)
def test_a_database_that_cannot_keep_it_is_refused(
    database: str, version: tuple[int, ...] | None, says: str
) -> None:
    metadata, _ = _metadata(nulls_equal=True)
    with pytest.raises(UnsupportedSchema, match=r"^skus: unique \[code, warehouse_id\] says") as e:
        refuse_unsupported(metadata, database, version)
    assert says in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(("database", "version"), [("sqlite", None), ("postgresql", (15, 2))])
def test_a_database_that_keeps_it_is_accepted(database: str, version: tuple[int, ...]) -> None:
    refuse_unsupported(_metadata(nulls_equal=True)[0], database, version)


@pytest.mark.parametrize("database", ["mysql", "mariadb", "postgresql"])
def test_plain_uniques_are_accepted_everywhere(database: str) -> None:
    refuse_unsupported(_metadata(nulls_equal=False)[0], database, (9, 6))


def test_an_index_for_some_databases_is_made_on_those_only() -> None:
    metadata, index = _metadata(nulls_equal=True)
    assert for_dialect(index, "sqlite")
    assert not for_dialect(index, "postgresql")
    assert for_dialect(metadata.tables["skus"], "postgresql")  # no dialects named: all
