"""Stage 3, build: turn validated spec documents into the typed IR.

Every storage and naming decision is made here, once, so that renderers only print.
"""

from __future__ import annotations

import copy
from typing import Any

from generator.ir import (
    ALL_OPERATIONS,
    INT64_MAX,
    INT64_MIN,
    Column,
    Field,
    ForeignKey,
    Kind,
    ListOptions,
    Project,
    Resource,
)
from generator.load import SourceDoc
from generator.naming import constraint_name, pluralize, snake_case
from generator.validate import field_type

__all__ = ["NO_NUL_PATTERN", "build_project"]

# PostgreSQL cannot store NUL in text and SQLite would: refuse it everywhere, in the contract.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# A URI has a scheme and no blanks; stored exactly as sent.
URI_PATTERN = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s\\u0000]+$"
_DEFAULT_EMAIL_LENGTH = 320


def build_project(docs: list[SourceDoc]) -> Project:
    """Build the IR of every (already validated) spec, sorted by resource name."""
    specs = {doc.data["resource"]: doc for doc in docs}
    children: dict[str, list[tuple[str, str]]] = {name: [] for name in specs}
    for name, doc in specs.items():
        for rel in doc.data.get("relations", {}).values():
            if "belongs_to" in rel:
                children[rel["belongs_to"]].append((_plural(specs[name].data), name))
    resources = tuple(
        _build_resource(specs[name], specs, tuple(sorted(children[name]))) for name in sorted(specs)
    )
    return Project(resources)


def _plural(data: dict[str, Any]) -> str:
    return str(data.get("plural") or pluralize(snake_case(data["resource"])))


def _build_resource(
    doc: SourceDoc, specs: dict[str, SourceDoc], children: tuple[tuple[str, str], ...]
) -> Resource:
    data = doc.data
    name: str = data["resource"]
    table = _plural(data)
    required = set(data.get("required", []))
    fields = [
        _build_field(name, field_name, schema, field_name in required)
        for field_name, schema in data["fields"].items()
    ]
    for rel_name, rel in data.get("relations", {}).items():
        if "belongs_to" in rel:
            target = specs[rel["belongs_to"]].data
            fields.append(_foreign_key_field(table, rel_name, rel, target))
    unique_groups = [tuple(group) for group in data.get("unique", [])]
    unique_groups += [(f.name,) for f in fields if f.unique]
    unique = tuple((constraint_name("uq", table, cols), cols) for cols in unique_groups)
    sort = data.get("list", {}).get("default_sort", "id")
    return Resource(
        name=name,
        module=snake_case(name),
        plural=table,
        table=table,
        path=f"/{table.replace('_', '-')}",
        spec_path=doc.path,
        description=data.get("description"),
        id_kind=Kind.UUID if data.get("id") == "uuid" else Kind.INTEGER,
        fields=tuple(fields),
        unique=unique,
        operations=tuple(
            op for op in ALL_OPERATIONS if op in data.get("operations", ALL_OPERATIONS)
        ),
        list_options=ListOptions(
            default_sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            default_limit=data.get("list", {}).get("default_limit", 20),
            max_limit=data.get("list", {}).get("max_limit", 100),
        ),
        children=children,
    )


def _build_field(resource: str, name: str, spec: dict[str, Any], required: bool) -> Field:
    base, nullable = field_type(spec)
    kind = _kind(base, spec)
    enum_class = f"{resource}{_pascal(name)}" if kind is Kind.ENUM else None
    return Field(
        name=name,
        kind=kind,
        schema=_contract_schema(spec, enum_class),
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
    table: str, rel_name: str, rel: dict[str, Any], target: dict[str, Any]
) -> Field:
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
        required=not nullable,
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
        return Column(f"String({max_length or _DEFAULT_EMAIL_LENGTH})", "str")
    if kind in (Kind.STRING, Kind.URI) and max_length:
        return Column(f"String({max_length})", "str")
    simple = {
        Kind.TEXT: ("Text()", "str"),
        Kind.URI: ("Text()", "str"),
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


def _contract_schema(spec: dict[str, Any], enum_class: str | None) -> dict[str, Any]:
    """The field as the contract shows it: x- keys dropped, bounds and NUL refusal made explicit."""
    schema = {k: copy.deepcopy(v) for k, v in spec.items() if not k.startswith("x-")}
    if enum_class is not None:
        _, nullable = field_type(spec)
        ref = {"$ref": f"#/components/schemas/{enum_class}"}
        kept = {k: v for k, v in schema.items() if k in ("description", "default", "deprecated")}
        if nullable:
            return {**kept, "anyOf": [ref, {"type": "null"}]}
        return {**kept, **ref}
    return _harden(schema)


def _harden(schema: dict[str, Any]) -> dict[str, Any]:
    """Add int64 bounds to integers and refuse NUL in free text, recursively."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = INT64_MIN
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = INT64_MAX
    if "string" in types and "pattern" not in schema:
        if schema.get("format") == "uri":
            schema["pattern"] = URI_PATTERN
        elif not {"format", "enum", "const"} & set(schema):
            schema["pattern"] = NO_NUL_PATTERN
    if isinstance(schema.get("items"), dict):
        schema["items"] = _harden(schema["items"])
    if isinstance(schema.get("properties"), dict):
        schema["properties"] = {
            k: _harden(v) if isinstance(v, dict) else v for k, v in schema["properties"].items()
        }
    return schema


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
