"""SQLAlchemy 2.0 typed models, one module per resource."""

from __future__ import annotations

from generator.ir import Field, Kind, Resource
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["render_model"]

_IMPORTS = """\
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Double,
    ForeignKey,
    Integer,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, ExactString, UTCDateTime, enum_column, utcnow
"""


def render_model(resource: Resource) -> str:
    enums = sorted(f.enum_class for f in resource.fields if f.enum_class)
    enum_import = (
        f"from generated.{resource.module}.schemas import {', '.join(enums)}\n" if enums else ""
    )
    lines = [
        header(resource.spec_path),
        quote_doc(resource_doc(resource, "The stored table")),
        "\n",
        _IMPORTS,
        enum_import,
        "\n\n",
        f"class {resource.name}(Base):\n",
        quote_doc(resource.description or f"A stored {resource.name}.", "    "),
        "\n",
        f'    __tablename__ = "{resource.table}"\n',
    ]
    if resource.unique:
        constraints = "".join(
            f"        UniqueConstraint({', '.join(repr(c) for c in cols)}, name={name!r}),\n"
            for name, cols in resource.unique
        )
        lines.append(f"    __table_args__ = (\n{constraints}    )\n")
    lines.append("\n")
    lines.append(_id_line(resource))
    for field in resource.fields:
        lines.append(_field_line(field, resource))
        lines.append(quote_doc(field.description, "    "))
    lines.append(
        "    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)\n"
        "    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)\n"
    )
    return "".join(lines)


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
