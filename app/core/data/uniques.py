"""Unique constraints whose nulls count as one value (a spec's ``nulls: equal``).

PostgreSQL keeps them itself (``NULLS NOT DISTINCT``); SQLite through partial unique
indexes that only it gets; MySQL and MariaDB have no way to, so a model that asks for
one is refused there, before any table is made or any request answered.
See docs/uniques.md.
"""

from __future__ import annotations

from sqlalchemy import MetaData, UniqueConstraint
from sqlalchemy.schema import SchemaItem

__all__ = ["UnsupportedSchema", "for_dialect", "refuse_unsupported"]

_NO_NULLS_EQUAL = frozenset({"mysql", "mariadb"})


class UnsupportedSchema(RuntimeError):
    """The models ask for what the database cannot keep; the message is one line."""


def for_dialect(item: SchemaItem, dialect: str) -> bool:
    """Whether a table's index or constraint belongs in a database of ``dialect``: a
    generated model names the dialects of one that only some get (``info["dialects"]``),
    as its ``ddl_if`` tells ``create_all``."""
    dialects = item.info.get("dialects")
    return dialects is None or dialect in dialects


def refuse_unsupported(
    metadata: MetaData, dialect: str, version: tuple[int | str, ...] | None = None
) -> None:
    """Raise :class:`UnsupportedSchema` when a table of ``metadata`` has a unique
    constraint whose nulls count as one value and the database cannot keep it: MySQL
    and MariaDB, or PostgreSQL before 15 (given its server ``version``)."""
    old_postgresql = dialect == "postgresql" and version is not None and version < (15,)
    if dialect not in _NO_NULLS_EQUAL and not old_postgresql:
        return
    for table in metadata.sorted_tables:
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            if isinstance(constraint, UniqueConstraint) and constraint.dialect_kwargs.get(
                "postgresql_nulls_not_distinct"
            ):
                fields = ", ".join(column.name for column in constraint.columns)
                said = f"{table.name}: unique [{fields}] says `nulls: equal`"
                if old_postgresql:
                    raise UnsupportedSchema(
                        f"{said}, which PostgreSQL keeps from version 15 on (NULLS NOT "
                        "DISTINCT); upgrade the server, or drop `nulls: equal` from its spec"
                    )
                raise UnsupportedSchema(
                    f"{said}, which MySQL and MariaDB cannot keep (a unique key there lets "
                    "any number of rows hold null); use PostgreSQL or SQLite, or drop "
                    "`nulls: equal` from its spec"
                )
