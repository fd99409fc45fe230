"""What the contract adds to a field as written: explicit bounds and refusals.

Shared by ``build`` (the contract) and ``validate`` (a default must fit the contract).
"""

from __future__ import annotations

import copy
from typing import Any

from generator.ir import INT64_MAX, INT64_MIN

__all__ = ["NO_NUL_PATTERN", "URI_PATTERN", "contract_field_schema", "harden"]

# PostgreSQL cannot store NUL in text and SQLite would: refuse it everywhere, in the contract.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# A URI has a scheme and no blanks; stored exactly as sent.
URI_PATTERN = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s\\u0000]+$"
# Beside a field's own pattern: "contains no NUL", as JSON Schema can say it.
_NO_NUL = {"pattern": "\\u0000"}


def contract_field_schema(spec: dict[str, Any], enum_class: str | None) -> dict[str, Any]:
    """The field as the contract shows it: x- keys dropped, bounds and NUL refusal explicit."""
    schema = {k: copy.deepcopy(v) for k, v in spec.items() if not k.startswith("x-")}
    if enum_class is not None:
        nullable = isinstance(spec["type"], list)
        ref = {"$ref": f"#/components/schemas/{enum_class}"}
        kept = {k: v for k, v in schema.items() if k in ("description", "default", "deprecated")}
        if nullable:
            return {**kept, "anyOf": [ref, {"type": "null"}]}
        return {**kept, **ref}
    return harden(schema)


def harden(schema: dict[str, Any]) -> dict[str, Any]:
    """Add int64 bounds to integers and refuse NUL in free text, recursively (in place)."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = INT64_MIN
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = INT64_MAX
    if "string" in types and not {"enum", "const"} & set(schema):
        if "pattern" in schema:
            schema["not"] = dict(_NO_NUL)  # the field's own pattern may admit NUL
        elif schema.get("format") == "uri":
            schema["pattern"] = URI_PATTERN
        elif "format" not in schema:
            schema["pattern"] = NO_NUL_PATTERN
    if isinstance(schema.get("items"), dict):
        schema["items"] = harden(schema["items"])
    if isinstance(schema.get("properties"), dict):
        schema["properties"] = {
            k: harden(v) if isinstance(v, dict) else v for k, v in schema["properties"].items()
        }
    return schema
