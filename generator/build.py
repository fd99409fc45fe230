"""Stage 3, build: turn validated spec documents into the typed IR.

Every storage and naming decision is made here, once, so that renderers only print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from generator.build_actions import action_class_names, build_actions
from generator.build_operations import build_operations
from generator.hardening import NO_NUL_PATTERN, URI_PATTERN, contract_field_schema
from generator.ir import (
    ALL_OPERATIONS,
    INT64_MAX,
    Association,
    Column,
    Field,
    Filter,
    ForeignKey,
    Kind,
    ListOptions,
    Project,
    Relation,
    Resource,
    SharedModel,
)
from generator.load import SourceDoc
from generator.naming import constraint_name, generated_schema_names, pluralize, snake_case
from generator.validate import field_type

__all__ = ["NO_NUL_PATTERN", "URI_PATTERN", "build_project"]

_DEFAULT_EMAIL_LENGTH = 320


def build_project(docs: list[SourceDoc], shared: Sequence[SharedModel] = ()) -> Project:
    """Build the IR of every (already validated) spec, sorted by resource name.

    ``shared`` are the shared models of OpenAPI documents: enum classes avoid their names.
    """
    specs = {doc.data["resource"]: doc for doc in docs}
    children: dict[str, list[tuple[str, str]]] = {name: [] for name in specs}
    for name, doc in specs.items():
        for rel in doc.data.get("relations", {}).values():
            if "belongs_to" in rel:
                children[rel["belongs_to"]].append((_plural(specs[name].data), name))
    taken = generated_schema_names(specs) | {model.name for model in shared}
    for name, doc in specs.items():
        taken |= action_class_names(name, doc.data.get("actions", {}))
    modules = {name: snake_case(name) for name in specs}
    resources = tuple(
        _build_resource(specs[name], specs, tuple(sorted(children[name])), taken, modules)
        for name in sorted(specs)
    )
    return _with_operations(Project(resources, shared=tuple(shared)))


def _with_operations(project: Project) -> Project:
    """The project with the HTTP operations of every resource (``Resource.endpoints``)."""
    resources = tuple(
        replace(resource, endpoints=build_operations(resource, project))
        for resource in project.resources
    )
    return replace(project, resources=resources)


def _enum_class(resource: str, field: str, taken: set[str]) -> str:
    """``EventStatus``; ``LayoutPageEnum`` where ``LayoutPage`` names another schema."""
    name = f"{resource}{_pascal(field)}"
    while name in taken:
        name += "Enum"
    taken.add(name)
    return name


def _plural(data: dict[str, Any]) -> str:
    return str(data.get("plural") or pluralize(snake_case(data["resource"])))


def _build_resource(
    doc: SourceDoc,
    specs: dict[str, SourceDoc],
    children: tuple[tuple[str, str], ...],
    taken: set[str],
    modules: dict[str, str],
) -> Resource:
    data = doc.data
    name: str = data["resource"]
    table = _plural(data)
    required = set(data.get("required", []))
    fields = [
        _build_field(name, field_name, schema, field_name in required, taken)
        for field_name, schema in data["fields"].items()
    ]
    for rel_name, rel in data.get("relations", {}).items():
        if "belongs_to" in rel:
            target = specs[rel["belongs_to"]].data
            listed = f"{rel_name}_id" in required
            fields.append(_foreign_key_field(table, rel_name, rel, target, listed=listed))
    unique, nulls_equal, warnings = _uniques(doc, table, fields)
    options = data.get("list", {})
    sort = options.get("default_sort", "id")
    sortable = tuple(dict.fromkeys([*options.get("sort", []), sort.lstrip("-"), "id"]))
    path = f"/{table.replace('_', '-')}"
    id_kind = Kind.UUID if data.get("id") == "uuid" else Kind.INTEGER
    return Resource(
        name=name,
        module=snake_case(name),
        plural=table,
        table=table,
        path=path,
        spec_path=doc.path,
        description=data.get("description"),
        id_kind=id_kind,
        fields=tuple(fields),
        unique=unique,
        operations=tuple(
            op for op in ALL_OPERATIONS if op in data.get("operations", ALL_OPERATIONS)
        ),
        list_options=ListOptions(
            default_sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            default_limit=options.get("default_limit", 20),
            max_limit=options.get("max_limit", 100),
            sort=sortable,
            filters=tuple(
                Filter(field, tuple(ops)) for field, ops in options.get("filters", {}).items()
            ),
        ),
        children=children,
        relations=tuple(_relations(name, data, specs)),
        versioned=data.get("versioned", True),
        soft_delete=data.get("soft_delete", False),
        bulk_max=data.get("bulk_create", {}).get("max_items"),
        nulls_equal=nulls_equal,
        warnings=warnings,
        actions=build_actions(data, path, id_kind, modules),
    )


def _uniques(
    doc: SourceDoc, table: str, fields: list[Field]
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...], tuple[str, ...]]:
    """The unique constraints (name, fields) of a spec's `unique:` and `x-unique` fields;
    the names of those whose nulls count as one value; and a warning for each composite
    one with a nullable field that does not say how its nulls count."""
    nullable = {f.name for f in fields if f.stored_nullable}
    groups: dict[tuple[str, ...], str | None] = {}
    lines: dict[tuple[str, ...], int] = {}
    for index, entry in enumerate(doc.data.get("unique", [])):
        cols = tuple(entry["fields"] if isinstance(entry, dict) else entry)
        groups[cols] = entry.get("nulls") if isinstance(entry, dict) else None
        lines[cols] = doc.line_of(("unique", index))
    for field in fields:
        if field.unique:  # `x-unique` and `unique:` may agree
            groups.setdefault((field.name,), None)
    unique = tuple((constraint_name("uq", table, cols), cols) for cols in groups)
    nulls_equal = tuple(
        name for name, cols in unique if groups[cols] == "equal" and nullable.intersection(cols)
    )
    warnings = tuple(
        f"{doc.path}:{lines[cols]}: unique [{', '.join(cols)}]: rows where "
        f"{' or '.join(c for c in cols if c in nullable)} is null never conflict (SQL's "
        "rule); say `nulls: equal` to count a null as one value, or `nulls: distinct` to "
        "keep the rule (see docs/uniques.md)"
        for cols, nulls in groups.items()
        if nulls is None and len(cols) > 1 and nullable.intersection(cols)
    )
    return unique, nulls_equal, warnings


def _relations(name: str, data: dict[str, Any], specs: dict[str, SourceDoc]) -> list[Relation]:
    out: list[Relation] = []
    for rel_name, rel in data.get("relations", {}).items():
        if "belongs_to" in rel:
            out.append(Relation(rel_name, "belongs_to", rel["belongs_to"], f"{rel_name}_id",
                                nullable=bool(rel.get("nullable"))))  # fmt: skip
        elif "has_many" in rel:
            child = specs[rel["has_many"]].data
            back = next(n for n, r in child.get("relations", {}).items()
                        if r.get("belongs_to") == name)  # fmt: skip
            out.append(Relation(rel_name, "has_many", rel["has_many"], f"{back}_id"))
        else:
            target = rel["many_to_many"]
            out.append(Relation(rel_name, "many_to_many", target,
                                association=_association(name, target, specs)))  # fmt: skip
    return out


def _association(name: str, target: str, specs: dict[str, SourceDoc]) -> Association:
    """The link table of ``name`` and ``target``, the same whichever side declares it."""
    first, second = sorted((name, target))
    other = {first: second, second: first}
    declarers = [
        resource
        for resource in (first, second)
        if any(r.get("many_to_many") == other[resource]
               for r in specs[resource].data.get("relations", {}).values())
    ]  # fmt: skip
    left, right = _plural(specs[first].data), _plural(specs[second].data)

    def id_type(resource: str) -> str:
        if specs[resource].data.get("id") == "uuid":
            return "Uuid()"
        return 'BigInteger().with_variant(Integer(), "sqlite")'

    return Association(
        table=f"{left}_{right}",
        owner=declarers[0],
        left=(f"{snake_case(first)}_id", left, id_type(first)),
        right=(f"{snake_case(second)}_id", right, id_type(second)),
    )


def _build_field(
    resource: str, name: str, spec: dict[str, Any], required: bool, taken: set[str]
) -> Field:
    base, nullable = field_type(spec)
    kind = _kind(base, spec)
    enum_class = _enum_class(resource, name, taken) if kind is Kind.ENUM else None
    return Field(
        name=name,
        kind=kind,
        schema=contract_field_schema(spec, enum_class),
        column=_with_server_default(_column(kind, spec, enum_class, name), kind, spec),
        nullable=nullable,
        required=required,
        has_default="default" in spec,
        default=spec.get("default"),
        description=spec.get("description"),
        index=bool(spec.get("x-index")),
        unique=bool(spec.get("x-unique")),
        enum_class=enum_class,
        enum_values=tuple(spec.get("enum", ())),
    )


def _foreign_key_field(
    table: str, rel_name: str, rel: dict[str, Any], target: dict[str, Any], *, listed: bool
) -> Field:
    """The key a ``belongs_to`` adds: required unless the relation is nullable, and then
    still required (though it may be null) when ``required:`` lists it (``listed``)."""
    target_table = _plural(target)
    nullable = bool(rel.get("nullable"))
    uuid_id = target.get("id") == "uuid"
    schema: dict[str, Any] = (
        {"type": "string", "format": "uuid"}
        if uuid_id
        else {"type": "integer", "minimum": 1, "maximum": INT64_MAX}
    )
    if nullable:
        schema["type"] = [schema["type"], "null"]
    description = rel.get("description") or f"The {target['resource']} this belongs to."
    schema = {"description": description, **schema}
    column_name = f"{rel_name}_id"
    return Field(
        name=column_name,
        kind=Kind.UUID if uuid_id else Kind.INTEGER,
        schema=schema,
        column=Column("Uuid()" if uuid_id else "BigInteger()", "UUID" if uuid_id else "int"),
        nullable=nullable,
        required=listed or not nullable,
        has_default=False,
        default=None,
        description=description,
        index=True,
        unique=False,
        foreign_key=ForeignKey(
            relation=rel_name,
            target=target["resource"],
            target_table=target_table,
            on_delete=rel.get("on_delete", "restrict").replace("_", " ").upper(),
            constraint=constraint_name("fk", table, (column_name, target_table)),
        ),
    )


def _kind(base: str, spec: dict[str, Any]) -> Kind:
    if base == "string":
        if "enum" in spec:
            return Kind.ENUM
        formats = {
            "date-time": Kind.DATETIME,
            "date": Kind.DATE,
            "uuid": Kind.UUID,
            "email": Kind.EMAIL,
            "uri": Kind.URI,
        }
        if "format" in spec:
            return formats[spec["format"]]
        return Kind.STRING if "maxLength" in spec else Kind.TEXT
    return Kind(base)


def _column(kind: Kind, spec: dict[str, Any], enum_class: str | None, name: str) -> Column:
    max_length = spec.get("maxLength")
    if kind is Kind.ENUM:
        length = max(len(v) for v in spec["enum"])
        # The CHECK constraint is named ck_<table>_<field> by the metadata's naming convention.
        return Column(f'enum_column({enum_class}, length={length}, name="{name}")', str(enum_class))
    if kind is Kind.EMAIL:
        return Column(f"ExactString({max_length or _DEFAULT_EMAIL_LENGTH})", "str")
    if kind in (Kind.STRING, Kind.URI) and max_length:
        return Column(f"ExactString({max_length})", "str")
    simple = {
        Kind.TEXT: ("ExactString()", "str"),
        Kind.URI: ("ExactString()", "str"),
        Kind.INTEGER: ("BigInteger()", "int"),
        Kind.NUMBER: ("Double()", "float"),
        Kind.BOOLEAN: ("Boolean()", "bool"),
        Kind.DATE: ("Date()", "date"),
        Kind.DATETIME: ("UTCDateTime()", "datetime"),
        Kind.UUID: ("Uuid()", "UUID"),
        Kind.ARRAY: ("JSON()", "list[Any]"),
        Kind.OBJECT: ("JSON()", "dict[str, Any]"),
    }
    return Column(*simple[kind])


def _with_server_default(column: Column, kind: Kind, spec: dict[str, Any]) -> Column:
    """The spec's default also as a database default, so a new column can join a filled table."""
    if "default" not in spec or spec["default"] is None:
        return column
    value = spec["default"]
    text_kinds = (Kind.STRING, Kind.TEXT, Kind.EMAIL, Kind.URI, Kind.ENUM)
    if kind in text_kinds:
        expression = repr(value)
    elif kind is Kind.BOOLEAN:
        expression = "true()" if value else "false()"
    elif kind in (Kind.INTEGER, Kind.NUMBER):
        expression = f'text("{value!r}")'
    else:  # dates, uuids and JSON keep their default in the schema only
        return column
    return Column(column.sa_type, column.python_type, expression)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
