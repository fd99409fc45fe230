"""Stage 2, validate: check every spec against the spec format, then across specs.

All problems are collected before failing, each with its file, line and key.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

import jsonschema
import yaml

from generator.cache import Cache, fingerprint
from generator.errors import SpecError, SpecErrors
from generator.hardening import harden
from generator.ir import INT64_MAX, INT64_MIN
from generator.load import KeyPath, SourceDoc
from generator.naming import LIVE_COLUMN, is_reserved_field, pluralize, snake_case
from generator.validate_actions import (
    action_errors,
    action_format_message,
    action_id_errors,
    action_response_errors,
    actions_checkable,
)

__all__ = ["field_type", "spec_format_schema", "validate_specs"]

_KEYWORDS_BY_TYPE = {
    "string": {"format", "minLength", "maxLength", "pattern", "enum"},
    "integer": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "boolean": set(),
    "array": {"items", "minItems", "maxItems", "uniqueItems"},
    "object": {"properties", "required", "additionalProperties"},
}
_TYPES_HINT = (
    'types: string, integer, number, boolean, array, object, or [T, "null"] for a nullable T'
)
_TYPED_KEYWORDS = set().union(*_KEYWORDS_BY_TYPE.values())
_SCALAR_SORTABLE = {"string", "integer", "number", "boolean"}
# What a field that refers to a shared model may say besides the $ref.
_REFERENCE_KEYS = frozenset(("$ref", "type", "description", "deprecated"))
_CACHE_KIND = "valid-spec"
# The keywords of a field whose values the spec format's own schema (spec_schema.yaml)
# already holds to what the JSON Schema metaschema asks: a field of only these needs no
# metaschema check, which costs more than everything else about a spec. Subschemas
# (items, properties, additionalProperties) and required get one.
_SHAPED_BY_SPEC_FORMAT = frozenset(
    ("type", "format", "title", "description", "deprecated", "examples", "default",
     "minLength", "maxLength", "pattern", "enum", "minimum", "maximum",
     "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "uniqueItems")
)  # fmt: skip
# An index entry holds at most 3,072 bytes on MariaDB and 2,704 on PostgreSQL (a third
# of a B-tree page, its headers included): 672 four-byte characters fit both.
_MAX_INDEXED_CHARS = 672


@cache
def spec_format_schema() -> dict[str, Any]:
    """The JSON Schema of the spec format, shipped beside this module."""
    text = resources.files("generator").joinpath("spec_schema.yaml").read_text("utf-8")
    schema: dict[str, Any] = yaml.safe_load(text)
    return schema


@cache
def _spec_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(spec_format_schema())


def field_type(schema: dict[str, Any]) -> tuple[str, bool]:
    """The base JSON type of a field schema and whether it admits null."""
    declared = schema["type"]
    if isinstance(declared, list):
        return next(t for t in declared if t != "null"), True
    return str(declared), False


def validate_specs(
    docs: list[SourceDoc], unreadable: Sequence[SpecError] = (), cache: Cache | None = None
) -> None:
    """Raise :class:`SpecErrors` listing every problem in ``docs``; return if there is none.

    ``unreadable`` are the errors of files that did not even parse: they are reported
    with the rest, and since their resources are unknown, no other file is blamed for
    naming them. A ``cache`` remembers which contents passed the checks of one spec
    alone, so that those are not run again; the checks across specs always run.
    """
    errors: list[SpecError] = list(unreadable)
    valid: list[SourceDoc] = []
    names: set[str] = set()
    for doc in docs:
        found = _spec_errors(doc, cache)
        errors.extend(found)
        if not found:
            valid.append(doc)
        if isinstance(doc.data, dict) and isinstance(doc.data.get("resource"), str):
            names.add(doc.data["resource"])
    errors.extend(_cross_errors(valid, names, complete=not unreadable))
    for doc in docs:  # in a spec with other errors too, so that all are told at once
        errors.extend(action_response_errors(doc, names, complete=not unreadable))
    errors.extend(action_id_errors(docs))
    if errors:
        raise SpecErrors(errors)


def _spec_errors(doc: SourceDoc, cache: Cache | None) -> list[SpecError]:
    """The problems of one spec, alone; contents that passed before pass again."""
    try:
        key = fingerprint(doc.data) if cache is not None else None
    except TypeError:  # YAML that is no JSON (a date, a non-string key): always checked
        key = None
    if cache is not None and key is not None and cache.get(_CACHE_KIND, key) is not None:
        return []
    found = list(_format_errors(doc))
    if not found:
        found = list(_field_errors(doc))
    else:  # the actions the format errors leave whole are checked too, all at once
        checkable = actions_checkable(found, doc)
        if checkable:
            found += action_errors(doc, _field_schema_errors, checkable)
    if cache is not None and key is not None and not found:
        cache.put(_CACHE_KIND, key, "")
    return found


def _format_errors(doc: SourceDoc) -> Iterator[SpecError]:
    if not isinstance(doc.data, dict):
        yield doc.error((), "a spec is a mapping with at least `resource:` and `fields:`")
        return
    for error in _spec_validator().iter_errors(doc.data):
        path: KeyPath = tuple(error.absolute_path)
        action_message = action_format_message(error, path)
        if action_message is not None:
            yield doc.error(path, action_message)
        elif "propertyNames" in error.absolute_schema_path:
            name = str(error.instance)
            yield doc.error((*path, name), f"{name!r}: names must be snake_case (a-z, 0-9, _)")
        elif error.validator == "oneOf" and path[-1:] == ("type",) and path[:1] == ("fields",):
            yield doc.error(path, f"unknown type {error.instance!r}; {_TYPES_HINT}")
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                hint = f"allowed keys: {', '.join(allowed)}"
                yield doc.error((*path, key), f"unknown key {key!r}; {hint}")
        elif error.validator == "oneOf" and len(path) == 2 and path[0] == "relations":
            yield doc.error(
                path,
                "a relation is `{belongs_to: Resource}`, `{has_many: Resource}` "
                "or `{many_to_many: Resource}`",
            )
        elif error.validator == "type" and len(path) == 2 and path[0] == "unique":
            yield doc.error(
                path,
                "a unique entry is a list of fields, `[a, b]`, or "
                "`{fields: [a, b], nulls: equal | distinct}`",
            )
        elif error.validator == "required":
            yield doc.error(path, f"{error.message}; add it")
        else:
            yield doc.error(path, error.message)


def _field_errors(doc: SourceDoc) -> Iterator[SpecError]:
    data = doc.data
    for name, schema in data["fields"].items():
        at: KeyPath = ("fields", name)
        if is_reserved_field(name):
            yield doc.error(at, f"{name!r} is reserved (server-managed or internal); rename it")
        elif name == LIVE_COLUMN and data.get("soft_delete"):
            message = f"{name!r} is reserved in a soft-deletable resource (unique keys use it)"
            yield doc.error(at, f"{message}; rename it")
        elif "__" in name:
            message = f"{name!r}: a double underscore separates a filter's field and operator"
            yield doc.error(at, f"{message} (?name__gte=); rename it")
        yield from _field_schema_errors(doc, at, schema)
    names = set(data["fields"]) | _relation_fields(data)
    for index, name in enumerate(data.get("required", [])):
        if name not in names:
            yield doc.error(("required", index), f"{name!r} is not a field; declared: {_ls(names)}")
    yield from _unique_errors(doc, names)
    yield from _list_errors(doc)
    for rel_name in data.get("relations", {}):
        if rel_name in data["fields"]:
            at = ("relations", rel_name)
            yield doc.error(at, f"{rel_name!r} names a field too; rename the relation")
    if data.get("bulk_create") and "create" not in data.get("operations", ["create"]):
        yield doc.error(("bulk_create",), "bulk_create needs the create operation; add it")
    limits = data.get("list", {})
    if limits.get("default_limit", 0) > limits.get("max_limit", 100):
        at = ("list", "default_limit")
        yield doc.error(at, "default_limit is larger than max_limit; lower it")
    yield from action_errors(doc, _field_schema_errors)


def _unique_errors(doc: SourceDoc, names: set[str]) -> Iterator[SpecError]:
    for group_index, entry in enumerate(doc.data.get("unique", [])):
        at: KeyPath = ("unique", group_index)
        group = entry["fields"] if isinstance(entry, dict) else entry
        if isinstance(entry, dict):
            at = (*at, "fields")
        for index, name in enumerate(group):
            if name not in names:
                yield doc.error((*at, index), f"{name!r} is not a field; declared: {_ls(names)}")
        if isinstance(entry, dict) and entry.get("nulls") == "equal":
            if all(_may_be_null(doc.data, name) for name in group if name in names):
                yield doc.error(
                    ("unique", group_index, "nulls"),
                    "`nulls: equal` needs a field that is never null in the group (a required "
                    "field without null); add one, or drop `nulls: equal`",
                )


def _may_be_null(data: dict[str, Any], name: str) -> bool:
    """Whether a field's column may hold null: it admits null, or may be left out
    without a default (as the IR's ``Field.stored_nullable``)."""
    relation = data.get("relations", {}).get(name.removesuffix("_id"), {})
    if name not in data["fields"]:
        return bool(relation.get("nullable"))
    schema = data["fields"][name]
    nullable = isinstance(schema.get("type"), list) and "null" in schema["type"]
    return nullable or not (name in data.get("required", []) or "default" in schema)


# Which filter operators apply to which kind of field.
_ORDERED_KINDS = frozenset(("integer", "number", "string", "date", "date-time"))
_TEXT_KINDS = frozenset(("string",))
_EQUALITY_KINDS = frozenset(("integer", "number", "string", "boolean", "date", "date-time",
                             "uuid", "enum", "reference"))  # fmt: skip
_OPERATOR_KINDS = {
    "eq": _EQUALITY_KINDS,
    "ne": _EQUALITY_KINDS,
    "in": _EQUALITY_KINDS - {"boolean"},
    "lt": _ORDERED_KINDS,
    "lte": _ORDERED_KINDS,
    "gt": _ORDERED_KINDS,
    "gte": _ORDERED_KINDS,
    "contains": _TEXT_KINDS,
    "icontains": _TEXT_KINDS,
}
# Query parameters every list takes: no filter may be named like them.
_LIST_PARAMETERS = frozenset(("limit", "cursor", "sort", "count", "expand", "include_deleted"))


def _queryable(data: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """``{field: (kind, nullable)}`` for every field a list may filter or sort by.

    The kind is the filter vocabulary's: ``string`` for any free text, ``enum``, a
    format (``date-time``, ``date``, ``uuid``), or the JSON type.
    """
    out: dict[str, tuple[str, bool]] = {
        "id": ("uuid" if data.get("id") == "uuid" else "integer", False),
        "created_at": ("date-time", False),
        "updated_at": ("date-time", False),
    }
    required = set(data.get("required", []))
    for name, schema in data["fields"].items():
        if "$ref" in schema:
            continue
        base, nullable = field_type(schema)
        kind = base
        if base == "string":
            fmt = schema.get("format")
            kind = fmt if fmt in ("date-time", "date", "uuid") else "string"
            kind = "enum" if "enum" in schema else kind
        absent = name not in required and "default" not in schema
        out[name] = (kind, nullable or absent or schema.get("default", "") is None)
    for rel_name, rel in data.get("relations", {}).items():
        if "belongs_to" in rel:
            out[f"{rel_name}_id"] = ("reference", bool(rel.get("nullable")))
    return out


def _list_errors(doc: SourceDoc) -> Iterator[SpecError]:
    """``default_sort``, ``sort`` and ``filters`` name fields that can be sorted or filtered."""
    options = doc.data.get("list", {})
    fields = _queryable(doc.data)
    # Nulls sort as if greater than every value, and a cursor can hold one: nullable
    # and optional scalars are sortable too.
    sortable = {name for name, (kind, _) in fields.items() if kind in _EQUALITY_KINDS}
    why = "sortable fields are scalars: strings, numbers, booleans, dates, enums, references"
    keys: list[tuple[KeyPath, str]] = []
    if "default_sort" in options:
        keys.append((("list", "default_sort"), options["default_sort"].lstrip("-")))
    keys += [(("list", "sort", i), name) for i, name in enumerate(options.get("sort", []))]
    for sort_at, key in keys:
        if key not in sortable:
            yield doc.error(sort_at, f"cannot sort by {key!r} ({why}); sortable: {_ls(sortable)}")
    for name, operators in options.get("filters", {}).items():
        at = ("list", "filters", name)
        if name not in fields:
            yield doc.error(at, f"{name!r} is not a field; declared: {_ls(fields)}")
            continue
        if name in _LIST_PARAMETERS:
            yield doc.error(at, f"{name!r} is also a list parameter; it cannot be filtered")
            continue
        kind, nullable = fields[name]
        for index, operator in enumerate(operators):
            if operator == "is_null":
                if not nullable:
                    yield doc.error((*at, index), f"{name} is never null; remove is_null")
            elif kind not in _OPERATOR_KINDS[operator]:
                allowed = [op for op, kinds in _OPERATOR_KINDS.items() if kind in kinds]
                allowed += ["is_null"] if nullable else []
                article = "an" if kind[0] in "aeiou" else "a"
                message = f"{operator} does not apply to {article} {kind} field; "
                hint = f"it takes: {', '.join(sorted(allowed))}" if allowed else "remove it"
                yield doc.error((*at, index), message + hint)


def _field_schema_errors(
    doc: SourceDoc, at: KeyPath, schema: dict[str, Any]
) -> Iterator[SpecError]:
    if "$ref" in schema:
        yield from _reference_errors(doc, at, schema)
        return
    base, _ = field_type(schema)
    for key in sorted(set(schema) & _TYPED_KEYWORDS - _KEYWORDS_BY_TYPE[base]):
        yield doc.error((*at, key), f"{key!r} does not apply to type {base!r}; remove it")
    if "enum" in schema and "format" in schema:
        yield doc.error((*at, "format"), "an enum has no format; remove one of them")
    yield from _bound_errors(doc, at, schema, base)
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as exc:
            yield doc.error((*at, "pattern"), f"not a valid regular expression: {exc}")
            return
    if (schema.get("x-index") or schema.get("x-unique")) and base not in _SCALAR_SORTABLE:
        yield doc.error((*at, "x-index"), f"a {base} field cannot be indexed")
    if base == "string" and (schema.get("x-index") or schema.get("x-unique")):
        if "enum" not in schema and schema.get("maxLength", 10**9) > _MAX_INDEXED_CHARS:
            message = f"an indexed string needs maxLength <= {_MAX_INDEXED_CHARS}"
            yield doc.error((*at, "maxLength"), message)
    schema_only = {k: v for k, v in schema.items() if not k.startswith("x-")}
    if not _SHAPED_BY_SPEC_FORMAT.issuperset(schema_only):
        try:
            jsonschema.Draft202012Validator.check_schema(schema_only)
        except jsonschema.SchemaError as exc:
            yield doc.error((*at, *exc.absolute_path), f"not a valid JSON Schema: {exc.message}")
            return
    if "default" in schema and not _has_ref(schema):  # a shared model checks its own values
        yield from _default_errors(doc, at, schema)


def _reference_errors(doc: SourceDoc, at: KeyPath, schema: dict[str, Any]) -> Iterator[SpecError]:
    """A field that is a shared model: the model says everything but the description."""
    name = schema["$ref"].rsplit("/", 1)[-1]
    for key in sorted(set(schema) - _REFERENCE_KEYS):
        message = f"{key!r} does not apply beside a $ref: the shared model {name} says what "
        yield doc.error((*at, key), message + "the value is; remove it")


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(value) for value in node.values())
    return isinstance(node, list) and any(_has_ref(item) for item in node)


def _default_errors(doc: SourceDoc, at: KeyPath, schema: dict[str, Any]) -> Iterator[SpecError]:
    """A default must be a value the contract accepts, formats and hardening included."""
    default = schema["default"]
    contract = harden({k: copy.deepcopy(v) for k, v in schema.items() if not k.startswith("x-")})
    contract.pop("default", None)
    for error in jsonschema.Draft202012Validator(contract).iter_errors(default):
        yield doc.error((*at, "default"), f"the default does not fit the field: {error.message}")
        return
    problem = _format_problem(schema.get("format"), default)
    if problem:
        yield doc.error((*at, "default"), f"the default does not fit the field: {problem}")


def _format_problem(fmt: str | None, value: Any) -> str | None:
    """Check the formats the generator supports, without jsonschema's optional extras."""
    if not isinstance(value, str) or fmt is None:
        return None
    try:
        if fmt == "date-time":
            if datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is None:
                return f"{value!r} has no UTC offset"
        elif fmt == "date":
            date.fromisoformat(value)
        elif fmt == "uuid":
            UUID(value)
        elif fmt == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            return f"{value!r} is not an e-mail address"
    except ValueError:
        return f"{value!r} is not a valid {fmt}"
    return None


def _bound_errors(
    doc: SourceDoc, at: KeyPath, schema: dict[str, Any], base: str
) -> Iterator[SpecError]:
    pairs = (("minLength", "maxLength"), ("minimum", "maximum"), ("minItems", "maxItems"))
    for low, high in pairs:
        if low in schema and high in schema and schema[low] > schema[high]:
            yield doc.error((*at, low), f"{low} ({schema[low]}) is above {high} ({schema[high]})")
    open_ended = (
        ("exclusiveMinimum", "exclusiveMaximum"),
        ("minimum", "exclusiveMaximum"),
        ("exclusiveMinimum", "maximum"),
    )
    for low, high in open_ended:
        if low in schema and high in schema and schema[low] >= schema[high]:
            message = f"no value fits {low} {schema[low]} and {high} {schema[high]}"
            yield doc.error((*at, low), message)
    if base == "integer":
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            value = schema.get(key)
            if value is not None and not INT64_MIN <= value <= INT64_MAX:
                yield doc.error((*at, key), "integers are stored as 64-bit: keep within ±2**63")


def _cross_errors(docs: list[SourceDoc], names: set[str], *, complete: bool) -> Iterator[SpecError]:
    """Checks across specs; ``names`` includes resources whose own spec is invalid."""
    by_name: dict[str, SourceDoc] = {}
    by_plural: dict[str, str] = {}
    for doc in docs:
        name = doc.data["resource"]
        plural = doc.data.get("plural") or pluralize(snake_case(name))
        if name in by_name:
            first = by_name[name].path
            yield doc.error(("resource",), f"resource {name!r} is already defined in {first}")
        elif plural in by_plural:
            other = by_plural[plural]
            yield doc.error(("resource",), f"{name} and {other} share the table {plural!r}")
        by_name.setdefault(name, doc)
        by_plural.setdefault(plural, name)
    for doc in docs:
        yield from _relation_errors(doc, by_name, names, complete=complete)


def _relation_errors(
    doc: SourceDoc, by_name: dict[str, SourceDoc], names: set[str], *, complete: bool
) -> Iterator[SpecError]:
    name = doc.data["resource"]
    for rel_name, rel in doc.data.get("relations", {}).items():
        at: KeyPath = ("relations", rel_name)
        target = rel.get("belongs_to") or rel.get("has_many") or rel.get("many_to_many")
        if target not in by_name:
            # A target whose spec is invalid (or unreadable) is reported there, not here.
            if target not in names and complete:
                yield doc.error(at, f"unknown resource {target!r}; known: {_ls(names)}")
            continue
        if "belongs_to" in rel:
            if f"{rel_name}_id" in doc.data["fields"]:
                message = f"the relation adds the field {rel_name}_id, which is also declared"
                yield doc.error(at, f"{message}; remove the field")
            if rel.get("on_delete") == "set_null" and not rel.get("nullable"):
                yield doc.error((*at, "on_delete"), "set_null needs `nullable: true`")
            continue
        if "many_to_many" in rel:
            if target == name:
                yield doc.error(at, "a resource cannot be many-to-many with itself")
            continue
        inverse = [
            r
            for r in by_name[target].data.get("relations", {}).values()
            if r.get("belongs_to") == name
        ]
        if not inverse:
            message = f"{target} has no `belongs_to: {name}` relation; add it to {target}'s spec"
            yield doc.error(at, message)
        elif len(inverse) > 1:
            message = f"{target} belongs to {name} twice, so `has_many` is ambiguous; remove it"
            yield doc.error(at, message)


def _relation_fields(data: dict[str, Any]) -> set[str]:
    return {f"{n}_id" for n, r in data.get("relations", {}).items() if "belongs_to" in r}


def _ls(names: Any) -> str:
    return ", ".join(sorted(names)) or "(none)"
