"""SQLAlchemy 2.0 typed models, one module per resource."""

from __future__ import annotations

import io
import tokenize
from itertools import combinations

from generator.ir import Association, Field, Kind, Project, Resource
from generator.naming import LIVE_COLUMN, constraint_name
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["associations_of", "null_indexes", "render_model", "sort_indexes", "unique_key"]

_IMPORTS = """\
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Table,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.data.database import Base, ExactString, UTCDateTime, enum_column, utcnow
from app.core.data.softdelete import live_flag
"""

# The lowercase names a model's class body refers to, and the module each comes from. A
# field of the same name is a class attribute, which the statements after it (and
# SQLAlchemy, resolving the Mapped[...] annotations in the class namespace) would find
# instead: such a name is imported under an alias that no field can have (fields never
# start with "_").
_SHADOWABLE = {
    "mapped_column": "sqlalchemy.orm",
    "column": "sqlalchemy",
    "false": "sqlalchemy",
    "text": "sqlalchemy",
    "true": "sqlalchemy",
    "enum_column": "app.core.data.database",
    "utcnow": "app.core.data.database",
    "live_flag": "app.core.data.softdelete",
    "uuid4": "uuid",
    "date": "datetime",
    "datetime": "datetime",
}


def render_model(resource: Resource, project: Project) -> str:
    enums = sorted(f.enum_class for f in resource.fields if f.enum_class)
    enum_import = (
        f"from generated.{resource.module}.enums import {', '.join(enums)}\n" if enums else ""
    )
    shadowed = sorted(_SHADOWABLE.keys() & {field.name for field in resource.fields})
    aliases = "".join(f"from {_SHADOWABLE[name]} import {name} as _{name}\n" for name in shadowed)
    lines = [
        f"class {resource.name}(Base):\n",
        quote_doc(resource.description or f"A stored {resource.name}.", "    "),
        "\n",
        f'    __tablename__ = "{resource.table}"\n',
    ]
    table_args = _unique_args(resource)
    table_args += [
        f"        Index({name!r}, {', '.join(repr(c) for c in cols)}),\n"
        for name, cols in sort_indexes(resource)
    ]
    if table_args:
        lines.append(f"    __table_args__ = (\n{''.join(table_args)}    )\n")
    lines.append("\n")
    lines.append(_id_line(resource))
    for field in resource.fields:
        lines.append(_field_line(field, resource))
        lines.append(quote_doc(field.description, "    "))
    lines.append(
        "    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)\n"
        "    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)\n"
    )
    if resource.versioned:
        lines.append(
            '    version: Mapped[int] = mapped_column(BigInteger(), server_default="1")\n'
            '    """Incremented by every write; the ETag. An UPDATE names the version it read."""\n'
            '\n    __mapper_args__ = {"version_id_col": version}\n'
        )
    if resource.soft_delete:
        lines.append(
            "    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)\n"
            '    """When the row was deleted; deleted rows are left out of every read."""\n'
        )
    if resource.soft_delete and resource.unique:
        lines.append(
            f"    {LIVE_COLUMN}: Mapped[int | None] = mapped_column(SmallInteger(), "
            "Computed(live_flag(), persisted=True))\n"
            '    """1 while the row is not deleted, null once it is: on MariaDB/MySQL, which\n'
            '    have no partial index, unique keys end with it (nulls never collide)."""\n'
        )
    body = _unshadow("".join(lines), shadowed)
    prelude = [
        header(resource.spec_path),
        quote_doc(resource_doc(resource, "The stored table")),
        "\n",
        _IMPORTS,
        "from sqlalchemy import and_, column\n" if resource.nulls_equal else "",
        aliases,
        enum_import,
        "\n\n",
    ]
    tables = [_association(association) for association in associations_of(resource, project)]
    return "".join([*prelude, body, *tables])


def _unique_args(resource: Resource) -> list[str]:
    """The table arguments of the resource's unique constraints.

    Under ``nulls: equal`` a null counts as one value: PostgreSQL says so itself (NULLS
    NOT DISTINCT, 15 and later). SQLite gets, beside the plain key (which holds the rows
    with no null), a partial unique index per set of nullable fields that can be null
    together: over the other fields, among the rows where those are null (and live, on a
    soft-deletable resource). MySQL/MariaDB can do neither; the app refuses such a model
    there (see app.core.data.uniques). The ``info`` tells Alembic's autogenerate the same as
    ``ddl_if`` tells ``create_all``: only on SQLite.
    """
    args = []
    for name, cols in resource.unique:
        args.append(unique_key(name, cols, resource))
        if name not in resource.nulls_equal:
            continue
        for index, rest, nulls in null_indexes(resource, cols):
            where = [f"column({c!r}).is_(None)" for c in nulls]
            where += ["column('deleted_at').is_(None)"] if resource.soft_delete else []
            condition = where[0] if len(where) == 1 else f"and_({', '.join(where)})"
            args.append(
                f"        Index({index!r}, {', '.join(repr(c) for c in rest)}, unique=True, "
                f'sqlite_where={condition}, info={{"dialects": ("sqlite",)}}'
                ').ddl_if(dialect="sqlite"),\n'
            )
    return args


def null_indexes(
    resource: Resource, cols: tuple[str, ...]
) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """SQLite's partial unique indexes of a ``nulls: equal`` constraint over ``cols``:
    (name, the fields it covers, the fields null in its rows), one per set of nullable
    fields (a spec's group always has a field that is never null)."""
    nullable = [c for c in cols if resource.field(c).stored_nullable]
    out = []
    for size in range(1, len(nullable) + 1):
        for nulls in combinations(nullable, size):
            rest = tuple(c for c in cols if c not in nulls)
            out.append((constraint_name("uq", resource.table, (*rest, "where", *nulls, "null")),
                        rest, nulls))  # fmt: skip
    return out


def unique_key(name: str, columns: tuple[str, ...], resource: Resource) -> str:
    """One ``unique:`` group (or ``x-unique`` field) as an item of ``__table_args__``.

    A soft-deletable resource's values are unique among its live rows only, so that a
    deleted row's value can be taken again: a partial unique index where the database
    has them (PostgreSQL, SQLite), which the ``live`` column (1 while live, else null)
    ends for MariaDB/MySQL, where the condition is ignored and nulls never collide.
    """
    listed = ", ".join(repr(c) for c in columns)
    nulls = ", postgresql_nulls_not_distinct=True" if name in resource.nulls_equal else ""
    if not resource.soft_delete:
        return f"        UniqueConstraint({listed}, name={name!r}{nulls}),\n"
    live = "text('deleted_at IS NULL')"
    return (
        f"        Index({name!r}, {listed}, {LIVE_COLUMN!r}, unique=True{nulls}, "
        f"postgresql_where={live}, sqlite_where={live}),\n"
    )


def _unshadow(body: str, names: list[str]) -> str:
    """``body`` with each reference to one of ``names`` made to its ``_name`` alias.

    A reference is a name token that is neither an attribute (after ``.``), nor a field
    being declared (before ``:``), nor a keyword argument (before ``=``); strings and
    docstrings are left as they are.
    """
    if not names:
        return body
    tokens = list(tokenize.generate_tokens(io.StringIO(body).readline))
    edits: list[tuple[int, int, str]] = []  # (row, column, name), applied right to left
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string not in names:
            continue
        before = tokens[index - 1].string if index else ""
        after = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if before != "." and after not in (":", "="):
            edits.append((*token.start, token.string))
    lines = body.splitlines(keepends=True)
    for row, column, name in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = f"{line[:column]}_{name}{line[column + len(name) :]}"
    return "".join(lines)


def associations_of(resource: Resource, project: Project) -> list[Association]:
    """The link tables this resource's module defines (each is defined once)."""
    found = project.associations.get(resource.name, {})
    return [found[name] for name in sorted(found)]


def sort_indexes(resource: Resource) -> list[tuple[str, tuple[str, ...]]]:
    """An index per declared sort field, with the id that breaks its ties: a page at any
    depth is an index range scan."""
    indexes: list[tuple[str, tuple[str, ...]]] = []
    for name in resource.list_options.sort:
        if name == "id":
            continue
        columns = (name, "id")
        indexes.append((constraint_name("ix", resource.table, columns), columns))
    return indexes


def _association(association: Association) -> str:
    def column(name: str, table: str, sa_type: str) -> str:
        fk = constraint_name("fk", association.table, (name, table))
        return (
            f'    Column("{name}", {sa_type}, '
            f'ForeignKey("{table}.id", ondelete="CASCADE", name="{fk}"), primary_key=True),\n'
        )

    index = constraint_name("ix", association.table, (association.right[0],))
    return (
        f"\n\n{association.table} = Table(\n"
        f'    "{association.table}",\n'
        "    Base.metadata,\n"
        f"{column(*association.left)}"
        f"{column(*association.right)}"
        f'    Index("{index}", "{association.right[0]}"),\n'
        ")\n"
        f'"""The links of the many-to-many relation between {association.left[1]} and '
        f'{association.right[1]}."""\n'
    )


def _id_line(resource: Resource) -> str:
    if resource.id_kind is Kind.UUID:
        return "    id: Mapped[UUID] = mapped_column(Uuid(), primary_key=True, default=uuid4)\n"
    # SQLite only autoincrements an INTEGER PRIMARY KEY; elsewhere ids are 64-bit.
    return (
        "    id: Mapped[int] = mapped_column(\n"
        '        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True\n'
        "    )\n"
    )


def _field_line(field: Field, resource: Resource) -> str:
    python_type = field.column.python_type
    annotation = f"{python_type} | None" if field.stored_nullable else python_type
    args = [field.column.sa_type]
    fk = field.foreign_key
    if fk is not None:
        args.append(
            f'ForeignKey("{fk.target_table}.id", ondelete="{fk.on_delete}", name="{fk.constraint}")'
        )
    single_unique = any(cols == (field.name,) for _, cols in resource.unique)
    if field.index and not single_unique:
        args.append("index=True")
    if field.column.server_default is not None:
        args.append(f"server_default={field.column.server_default}")
    return f"    {field.name}: Mapped[{annotation}] = mapped_column({', '.join(args)})\n"
