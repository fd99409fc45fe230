"""What the contract adds to a field as written: explicit bounds and refusals.

Shared by ``build`` (the contract) and ``validate`` (a default must fit the contract).
"""

from __future__ import annotations

import copy
from typing import Any

from generator.ir import INT64_MAX, INT64_MIN

__all__ = ["EMAIL_PATTERN", "NO_NUL_PATTERN", "URI_PATTERN", "contract_field_schema", "harden"]

# PostgreSQL cannot store NUL in text and SQLite would: refuse it everywhere, in the contract.
NO_NUL_PATTERN = "^[^\\u0000]*$"

# The formats "uri" and "email" as patterns the runtime enforces (the values are stored as
# sent). Each admits only values its format admits, so the contract never promises a value
# the format refuses; IP-literal hosts and quoted local parts are left out.
_PCT = "%[0-9A-Fa-f]{2}"
_PCHAR = f"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|{_PCT})"
_USERINFO = f"(?:[A-Za-z0-9._~!$&'()*+,;=:-]|{_PCT})*"
_REG_NAME = f"(?:[A-Za-z0-9._~!$&'()*+,;=-]|{_PCT})*"
_PATH = f"(?:/{_PCHAR}*)*"
_HIER_PART = (
    f"//(?:{_USERINFO}@)?{_REG_NAME}(?::[0-9]*)?{_PATH}|/(?:{_PCHAR}+{_PATH})?|{_PCHAR}+{_PATH}"
)
_QUERY = f"(?:\\?(?:{_PCHAR}|[/?])*)?"
_FRAGMENT = f"(?:#(?:{_PCHAR}|[/?])*)?"
# RFC 3986: a scheme, then ASCII with percent-encoding only, the authority checked.
URI_PATTERN = f"^[A-Za-z][A-Za-z0-9+.-]*:(?:{_HIER_PART}){_QUERY}{_FRAGMENT}$"
_ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
# A dot-atom of at most 64 characters, as three shapes a pattern without lookahead can
# bound: no dot, one dot, or at most 32 characters besides the dots.
_LOCAL_PART = (
    f"(?:{_ATEXT}{{1,64}}|{_ATEXT}{{1,31}}\\.{_ATEXT}{{1,32}}|{_ATEXT}(?:\\.?{_ATEXT}){{0,31}})"
)
# A host name label: at most 63 letters, digits and inner hyphens, and no "--" in
# 3rd and 4th place (reserved for IDNA, which the format checks).
_LABEL = (
    "[A-Za-z0-9](?:[A-Za-z0-9]|[A-Za-z0-9-](?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,59}[A-Za-z0-9])?"
    "|-[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?))?"
)
# RFC 5321's Mailbox: a dot-atom, "@", a host name; at most 254 characters in all.
EMAIL_PATTERN = f"^{_LOCAL_PART}@{_LABEL}(?:\\.{_LABEL})*$"
EMAIL_MAX_LENGTH = 254
# Beside a field's own pattern: "contains no NUL", as JSON Schema can say it.
_NO_NUL = {"pattern": "\\u0000"}


_SCALARS = (str, int, float, bool, type(None))


def contract_field_schema(spec: dict[str, Any], enum_class: str | None) -> dict[str, Any]:
    """The field as the contract shows it: x- keys dropped, bounds and NUL refusal explicit."""
    schema = {
        k: v if isinstance(v, _SCALARS) else copy.deepcopy(v)
        for k, v in spec.items()
        if not k.startswith("x-")
    }
    if enum_class is not None or "$ref" in spec:
        # An enum and a shared model are schemas of their own; the field refers to them.
        nullable = isinstance(spec["type"], list)
        ref = {"$ref": spec.get("$ref") or f"#/components/schemas/{enum_class}"}
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
        elif schema.get("format") == "email":
            schema["pattern"] = EMAIL_PATTERN
            schema["maxLength"] = min(schema.get("maxLength", EMAIL_MAX_LENGTH), EMAIL_MAX_LENGTH)
        elif "format" not in schema:
            schema["pattern"] = NO_NUL_PATTERN
    if isinstance(schema.get("items"), dict):
        schema["items"] = harden(schema["items"])
    if isinstance(schema.get("properties"), dict):
        schema["properties"] = {
            k: harden(v) if isinstance(v, dict) else v for k, v in schema["properties"].items()
        }
    return schema
