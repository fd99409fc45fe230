"""OpenAPI 3.0 Schema Objects said the OpenAPI 3.1 way (JSON Schema 2020-12).

The contract is 3.1, so a schema read from a 3.0 document is rewritten once, when it
is read: ``nullable: true`` becomes a ``"null"`` type (or an ``anyOf`` with null where
there is no type), ``example`` becomes ``examples``, boolean ``exclusiveMinimum`` /
``exclusiveMaximum`` become numbers, and ``format: binary``/``byte`` become
``contentMediaType``/``contentEncoding``. A schema that says nothing of these is
returned as it was.
"""

from __future__ import annotations

from typing import Any

from generator.refs import map_subschemas

__all__ = ["upgrade_schema"]

# What stays beside the anyOf when `nullable: true` wraps a schema without a type.
_ANNOTATIONS = frozenset(
    ("title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
     "externalDocs")
)  # fmt: skip
_BOUNDS = (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum"))


def upgrade_schema(schema: Any) -> Any:
    """``schema`` (an OpenAPI 3.0 Schema Object) as OpenAPI 3.1 says it, recursively."""
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, lambda _at, sub: upgrade_schema(sub))
    if "example" in out:
        example = out.pop("example")
        out.setdefault("examples", [example])
    for bound, exclusive in _BOUNDS:
        flag = out.get(exclusive)
        if isinstance(flag, bool):
            del out[exclusive]
            if flag and bound in out:
                out[exclusive] = out.pop(bound)
    if out.get("type") == "string" and out.get("format") == "binary":
        del out["format"]
        out["contentMediaType"] = "application/octet-stream"
    elif out.get("type") == "string" and out.get("format") == "byte":
        del out["format"]
        out["contentEncoding"] = "base64"
    return _nullable(out)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.pop("nullable", False) is not True:
        return schema
    types = schema.get("type")
    if types is not None:
        listed = types if isinstance(types, list) else [types]
        schema["type"] = [*listed, "null"] if "null" not in listed else listed
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]  # else the enum itself refuses null
        return schema
    # No type to widen (a $ref, an allOf, ...): "this, or null".
    outside = {k: v for k, v in schema.items() if k in _ANNOTATIONS or k.startswith("x-")}
    inner = {k: v for k, v in schema.items() if k not in outside}
    if set(inner) == {"allOf"} and len(inner["allOf"]) == 1:
        inner = inner["allOf"][0]  # the 3.0 idiom for a $ref with a description beside it
    if not inner:
        return outside  # any value at all, null included
    return {**outside, "anyOf": [inner, {"type": "null"}]}
