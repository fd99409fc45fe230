"""Repository and service base classes, one module each per resource."""

from __future__ import annotations

from generator.ir import Kind, Resource
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["cursor_key_type", "render_repository", "render_service"]

_KEY_TYPES = {
    Kind.INTEGER: "Int64",
    Kind.NUMBER: "FiniteFloat",
    Kind.BOOLEAN: "bool",
    Kind.DATE: "date",
    Kind.DATETIME: "AwareDatetime",
    Kind.UUID: "UUID",
    Kind.STRING: "SafeText",
    Kind.TEXT: "SafeText",
    Kind.EMAIL: "SafeText",
    Kind.URI: "SafeText",
}


def cursor_key_type(resource: Resource) -> str:
    """The bounded type of a cursor's ``(sort value, id)``, checked before any query."""
    id_type = "UUID" if resource.id_kind is Kind.UUID else "PositiveInt64"
    sort = resource.list_options.default_sort
    if sort == "id":
        return f"tuple[{id_type}, {id_type}]"
    if sort in ("created_at", "updated_at"):
        return f"tuple[AwareDatetime, {id_type}]"
    field = resource.field(sort)
    key = field.enum_class if field.enum_class else _KEY_TYPES[field.kind]
    return f"tuple[{key}, {id_type}]"


def render_repository(resource: Resource) -> str:
    name = resource.name
    options = resource.list_options
    ordering = ("-" if options.descending else "") + options.default_sort
    constraints = [
        f'        Constraint({cname!r}, "unique", {cols!r}),\n' for cname, cols in resource.unique
    ]
    constraints += [
        f'        Constraint({f.foreign_key.constraint!r}, "foreign_key", ({f.name!r},), '
        f"{f.foreign_key.target!r}),\n"
        for f in resource.fields
        if f.foreign_key is not None
    ]
    enums = sorted(f.enum_class for f in resource.fields if f.enum_class)
    enum_import = (
        f"from generated.{resource.module}.schemas import {', '.join(enums)}\n" if enums else ""
    )
    return "".join(
        [
            header(resource.spec_path),
            quote_doc(resource_doc(resource, "The repository")),
            "\n",
            "from __future__ import annotations\n\n",
            "from datetime import date\n",
            "from uuid import UUID\n\n",
            "from pydantic import AwareDatetime\n\n",
            "from app.core.cursor import CursorCodec\n",
            "from app.core.repository import Constraint, SQLRepository\n",
            "from app.core.types import FiniteFloat, Int64, PositiveInt64, SafeText\n",
            f"from generated.{resource.module}.models import {name}\n",
            enum_import,
            "\n\n",
            f"class {name}RepositoryBase(SQLRepository[{name}]):\n",
            quote_doc(
                f"All SQL for {name}; it holds the session and never commits. Subclass it in "
                f"custom/{resource.module}/repository.py to add queries.",
                "    ",
            ),
            "\n",
            f"    model = {name}\n",
            f"    sort_field = {options.default_sort!r}\n",
            f"    sort_descending = {options.descending}\n",
            f"    cursor = CursorCodec({ordering!r}, {cursor_key_type(resource)})\n",
            f"    constraints = (\n{''.join(constraints)}    )\n" if constraints else "",
        ]
    )


_HOOK_SIGNATURES = {
    "create": ("before_create(data: {C}) -> {C}", "after_create(row: {M}) -> None"),
    "replace": ("before_replace(row: {M}, data: {C}) -> {C}", "after_replace(row: {M}) -> None"),
    "update": ("before_update(row: {M}, patch: {U}) -> {U}", "after_update(row: {M}) -> None"),
    "delete": ("before_delete(row: {M}) -> None", "after_delete(row: {M}) -> None"),
}


def render_service(resource: Resource) -> str:
    name = resource.name
    hooks = [
        "    - " + signature.format(C=f"{name}Create", U=f"{name}Update", M=name)
        for op, signatures in _HOOK_SIGNATURES.items()
        if resource.has(op)
        for signature in signatures
    ]
    hook_doc = "\n".join(hooks) if hooks else "    (none: this resource is read-only)"
    object_fields = tuple(f.name for f in resource.fields if f.kind is Kind.OBJECT)
    return "".join(
        [
            header(resource.spec_path),
            quote_doc(resource_doc(resource, "The service")),
            "\n",
            "from __future__ import annotations\n\n",
            "from app.core.service import ResourceService\n",
            f"from generated.{resource.module}.models import {name}\n",
            f"from generated.{resource.module}.schemas import {name}Create, {name}Update\n",
            "\n\n",
            f"class {name}ServiceBase(ResourceService[{name}, {name}Create, {name}Update]):\n",
            f'    """Business rules for {name}; subclass it in '
            f"custom/{resource.module}/service.py.\n\n",
            "    Hooks of this resource's operations (each a no-op here; override any, and\n",
            "    raise app.core.errors.Problem to reject the change):\n\n",
            hook_doc,
            '\n    """\n\n',
            f"    resource = {name!r}\n",
            f"    object_fields = {object_fields!r}\n" if object_fields else "",
        ]
    )
