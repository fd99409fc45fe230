"""Repository and service base classes, one module each per resource."""

from __future__ import annotations

from generator.ir import Kind, Project, Resource
from generator.render.common import header, quote_doc, resource_doc
from generator.render.models import null_indexes
from generator.render.service_actions import action_imports, render_action_doc, render_actions

__all__ = ["key_types", "render_repository", "render_service"]

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


def key_types(resource: Resource) -> dict[str, str]:
    """The bounded type of each sortable field's cursor key, checked before any query
    (``T | None`` for a field a row may leave empty)."""
    id_type = "UUID" if resource.id_kind is Kind.UUID else "PositiveInt64"
    out = {}
    for name in resource.list_options.sort:
        if name == "id":
            out[name] = id_type
        elif name in ("created_at", "updated_at"):
            out[name] = "AwareDatetime"
        else:
            field = resource.field(name)
            key = field.enum_class if field.enum_class else _KEY_TYPES[field.kind]
            # A row without a value is paged past like any other: its cursor holds null.
            out[name] = f"{key} | None" if field.stored_nullable else key
    return out


def render_repository(resource: Resource, project: Project) -> str:
    name = resource.name
    module = resource.module
    options = resource.list_options
    ordering = ("-" if options.descending else "") + options.default_sort
    constraints = [
        f'        Constraint({cname!r}, "unique", {cols!r}),\n' for cname, cols in resource.unique
    ]
    # After the plain ones: SQLite names an index by its columns, which another may share.
    constraints += [
        f'        Constraint({index!r}, "unique", {cols!r}, columns={rest!r}),\n'
        for cname, cols in resource.unique
        if cname in resource.nulls_equal
        for index, rest, _ in null_indexes(resource, cols)
    ]
    constraints += [
        f'        Constraint({f.foreign_key.constraint!r}, "foreign_key", ({f.name!r},), '
        f"{f.foreign_key.target!r}),\n"
        for f in resource.fields
        if f.foreign_key is not None
    ]
    keys = key_types(resource)
    enums = sorted({f.enum_class for f in resource.fields if f.enum_class and f.name in keys})
    imports = {f"from generated.{module}.models import {name}"}
    if enums:
        imports.add(f"from generated.{module}.schemas import {', '.join(enums)}")
    if options.filters:
        imports.add(f"from generated.{module}.schemas import {name}Create, {name}Read")
    relations = []
    for relation in resource.relations:
        target = project.resource(relation.target)
        imports.add(f"from generated.{target.module}.models import {target.name}")
        if relation.kind == "belongs_to":
            relations.append(
                f"        {relation.name!r}: BelongsTo({target.name}, {relation.column!r}),\n"
            )
        elif relation.kind == "has_many":
            relations.append(
                f"        {relation.name!r}: HasMany({target.name}, {relation.column!r}),\n"
            )
        else:
            link = relation.association
            assert link is not None
            owner = project.resource(link.owner).module
            imports.add(f"from generated.{owner}.models import {link.table}")
            own, other = (
                (link.left, link.right)
                if link.left[1] == resource.table
                else (link.right, link.left)
            )
            relations.append(
                f"        {relation.name!r}: ManyToMany({target.name}, {link.table}, "
                f"{own[0]!r}, {other[0]!r}),\n"
            )
    core = ["Constraint", "SQLRepository", "Strategy"]
    core += sorted(
        {
            {"belongs_to": "BelongsTo", "has_many": "HasMany", "many_to_many": "ManyToMany"}[r.kind]
            for r in resource.relations
        }
    )
    listing_args = [
        f"        default_sort={ordering!r},\n",
        f"        default_limit={options.default_limit},\n",
        f"        max_limit={options.max_limit},\n",
        "        key_types={" + ", ".join(f"{k!r}: {v}" for k, v in keys.items()) + "},\n",
    ]
    if resource.relations:
        names = tuple(r.name for r in resource.relations)
        listing_args.append(f"        expand={names!r},\n")
    if resource.soft_delete:
        listing_args.append("        soft_delete=True,\n")
    if options.filters:
        filters = "{" + ", ".join(f"{f.field!r}: {f.operators!r}" for f in options.filters) + "}"
        listing = (
            f"    listing = Listing.from_schemas(\n        ({name}Create, {name}Read),\n"
            f"        {filters},\n{''.join(listing_args)}    )\n"
        )
    else:
        listing = f"    listing = Listing(\n{''.join(listing_args)}    )\n"
    return "".join(
        [
            header(resource.spec_path),
            quote_doc(resource_doc(resource, "The repository")),
            "\n",
            "from __future__ import annotations\n\n",
            "from datetime import date\n",
            "from uuid import UUID\n\n",
            "from pydantic import AwareDatetime\n\n",
            "from app.core.data.query import Listing\n",
            f"from app.core.data.repository import {', '.join(core)}\n",
            "from app.core.domain.types import FiniteFloat, Int64, PositiveInt64, SafeText\n",
            "".join(f"{line}\n" for line in sorted(imports)),
            "\n\n",
            f"class {name}RepositoryBase(SQLRepository[{name}]):\n",
            quote_doc(
                f"All SQL for {name}; it holds the session and never commits. Subclass it in "
                f"custom/{module}/repository.py to add queries.",
                "    ",
            ),
            "\n",
            f"    model = {name}\n",
            "    strategy = Strategy.COMPILED\n",
            listing,
            f"    constraints = (\n{''.join(constraints)}    )\n" if constraints else "",
            f"    relations = {{\n{''.join(relations)}    }}\n" if relations else "",
            "    soft_delete = True\n" if resource.soft_delete else "",
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
    imports = sorted(
        [
            "from app.core.data.repository import Strategy",
            "from app.core.services.service import ResourceService",
            f"from generated.{resource.module}.models import {name}",
            f"from generated.{resource.module}.schemas import {name}Create, {name}Update",
            *action_imports(resource),
        ]
    )
    return "".join(
        [
            header(resource.spec_path),
            quote_doc(resource_doc(resource, "The service")),
            "\n",
            "from __future__ import annotations\n\n",
            "".join(f"{line}\n" for line in imports),
            "\n\n",
            f"class {name}ServiceBase(ResourceService[{name}, {name}Create, {name}Update]):\n",
            f'    """Business rules for {name}; subclass it in '
            f"custom/{resource.module}/service.py.\n\n",
            "    Hooks of this resource's operations (each a no-op here; override any, and\n",
            "    raise app.core.domain.errors.Problem to reject the change):\n\n",
            hook_doc,
            render_action_doc(resource),
            '\n    """\n\n',
            f"    resource = {name!r}\n",
            "    strategy = Strategy.COMPILED\n",
            f"    object_fields = {object_fields!r}\n" if object_fields else "",
            render_actions(resource),
        ]
    )
