"""A field as an OpenAPI document (or a spec with ``$ref``) writes it, in the spec's form.

A field that refers to a shared object or array schema stays a reference, stored as
JSON and validated by the shared model: ``{type: object, $ref: "#/components/schemas/Money"}``
(the ``type``, read from the schema referred to, decides the column; the contract
shows the ``$ref`` alone). The usual ways to make a reference nullable or describe
it are all read: ``{$ref, nullable: true}`` and ``{allOf: [{$ref}], nullable: true}``
(3.0), ``{anyOf: [{$ref}, {type: "null"}]}`` (3.1). A reference to a scalar schema
(a shared enum, say) is copied into the field, which is then an ordinary column.
"""

from __future__ import annotations

from typing import Any

from generator.load import KeyPath
from generator.normalize import upgrade_schema
from generator.refs import RefError, Target
from generator.shared import CONTRACT_REF, SharedSchemas

__all__ = ["field_spec"]

_JSON_TYPES = ("object", "array")
_NULL = {"type": "null"}
_INT32 = (-(2**31), 2**31 - 1)


def field_spec(
    shared: SharedSchemas,
    path: str,
    at: KeyPath,
    prop: Any,
    *,
    openapi30: bool,
    openapi: bool = False,
) -> Any:
    """The field at ``path``:``at`` in spec form; ``openapi``: read from an OpenAPI document."""
    if not isinstance(prop, dict):
        return prop
    idiom = _ref_idiom(prop, at, openapi30=openapi30)
    if idiom is None:
        schema = shared.rewrite(path, at, prop, openapi30=openapi30, inlining=frozenset())
        return _field_form(upgrade_schema(schema) if openapi30 else schema, openapi=openapi)
    ref_at, ref, nullable, siblings = idiom
    siblings = shared.rewrite(path, at, siblings, openapi30=openapi30, inlining=frozenset())
    siblings = upgrade_schema(siblings) if openapi30 else siblings
    origin = Target(path, (*ref_at, "$ref"))
    try:
        target = shared.files.resolve(path, ref_at, ref)
        base, target_nullable = shared.type_of(target, openapi30=openapi30)
        if base is None:
            message = f"{ref!r}: the schema it refers to declares no `type`; a field needs one"
            raise RefError(shared.files.doc(path).error(origin.pointer, message))
        name = None
        if base in _JSON_TYPES:
            name = shared.reference(target, origin, ref, openapi30=openapi30)
    except RefError as exc:
        shared.record(exc)
        return {**siblings, "type": "object"}  # stands in; the error stops generation
    if name is not None:
        types: str | list[str] = [base, "null"] if nullable or target_nullable else base
        return {**siblings, "type": types, "$ref": CONTRACT_REF + name}
    node = shared.files.node(target)
    inlined = shared.rewrite(target.path, target.pointer, node, openapi30=openapi30,
                             inlining=frozenset({target}))  # fmt: skip
    inlined = upgrade_schema(inlined) if openapi30 else inlined
    schema = {**inlined, **siblings} if isinstance(inlined, dict) else inlined
    return _field_form(_or_null(schema) if nullable else schema, openapi=openapi)


def _ref_idiom(
    prop: dict[str, Any], at: KeyPath, *, openapi30: bool
) -> tuple[KeyPath, Any, bool, dict[str, Any]] | None:
    """``(where the $ref is, the $ref, nullable, the other keys)`` of a reference field."""
    # A `type` beside a $ref (`type: object`, often) says nothing the schema does not.
    rest = {k: v for k, v in prop.items() if k != "type"}
    nullable = False
    if openapi30:
        nullable = rest.pop("nullable", False) is True
    if "$ref" in rest:
        ref = rest.pop("$ref")
        return at, ref, nullable, rest
    for key in ("allOf", "anyOf", "oneOf"):
        parts = rest.get(key)
        if not isinstance(parts, list):
            continue
        refs = [i for i, part in enumerate(parts) if _is_bare_ref(part)]
        if key == "allOf" and len(parts) == 1 == len(refs):
            or_null = False
        elif key != "allOf" and len(parts) == 2 and len(refs) == 1 and _NULL in parts:
            or_null = True
        else:
            continue
        others = {k: v for k, v in rest.items() if k != key}
        return (*at, key, refs[0]), parts[refs[0]]["$ref"], nullable or or_null, others
    return None


def _is_bare_ref(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"$ref"}


def _or_null(schema: Any) -> Any:
    if not isinstance(schema, dict) or "type" not in schema:
        return schema
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": types if "null" in types else [*types, "null"]}


def _field_form(schema: Any, *, openapi: bool) -> Any:
    """Nullability said by the type alone; OpenAPI's number formats said by bounds."""
    if not isinstance(schema, dict):
        return schema
    types = schema.get("type")
    if isinstance(types, list) and "null" in types and isinstance(schema.get("enum"), list):
        schema = {**schema, "enum": [value for value in schema["enum"] if value is not None]}
    if not openapi:
        return schema
    fmt = schema.get("format")
    base = next((t for t in types if t != "null"), None) if isinstance(types, list) else types
    if base == "integer" and fmt in ("int32", "int64"):
        schema = {k: v for k, v in schema.items() if k != "format"}
        if fmt == "int32":
            if "minimum" not in schema and "exclusiveMinimum" not in schema:
                schema["minimum"] = _INT32[0]
            if "maximum" not in schema and "exclusiveMaximum" not in schema:
                schema["maximum"] = _INT32[1]
    elif base == "number" and fmt in ("float", "double"):
        schema = {k: v for k, v in schema.items() if k != "format"}
    return schema
