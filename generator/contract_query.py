"""How the contract writes a list's query values, as app.core.data.query_values reads them.

Array-valued parameters (``sort``, ``expand``, ``field__in``) are declared as generated
clients send arrays, one key per value (``style: form, explode: true``); the server also
takes values separated by commas, which each description says. Inside an ``__in`` value a
comma is written ``\\,`` and a backslash ``\\\\``: the item's schema describes that text, so
that an item valid in the contract is read by the server as exactly one value.
"""

from __future__ import annotations

from typing import Any

from generator.hardening import NO_NUL_PATTERN

__all__ = ["ARRAY_STYLE", "CURSOR_SCHEMA", "in_item_schema", "in_text"]

ARRAY_STYLE = {"style": "form", "explode": True}

# The cursor's alphabet and shape: base64url without padding (app.core.data.cursor), which
# never has a length of 4k+1. A cursor of this shape that no page of this list answered,
# or one answered for another sort or other filters, answers 400.
CURSOR_SCHEMA = {
    "type": "string",
    "maxLength": 2048,
    "pattern": "^(?:[A-Za-z0-9_-]{4})*[A-Za-z0-9_-]{2,4}$",
}


def in_text(field: str, escapes: bool) -> str:
    """The description of ``field__in``; ``escapes`` when its values may hold a comma."""
    text = (
        f"Rows whose {field} is one of these values: repeat the parameter (?{field}__in=a&"
        f"{field}__in=b) or separate the values by commas (?{field}__in=a,b), or both."
    )
    return text + " Inside a value, write a comma as \\, and a backslash as \\\\." * escapes


# One character of a value as written inside an __in item: anything but NUL, a comma or
# a backslash, or one of the two escapes.
_ESCAPED_CHARACTER = "(?:[^\\u0000,\\\\]|\\\\[,\\\\])"


def in_item_schema(value: dict[str, Any], enum: tuple[str, ...] = ()) -> dict[str, Any]:
    """The schema of one ``__in`` item as sent, for a value of schema ``value``.

    A plain string's length counts an escape as the one character it stands for, so
    that the pattern says exactly what the server takes. A string with a pattern or
    format of its own keeps it, and may not hold a bare comma or a stray backslash.
    An enum (``enum``, its values) whose values hold one is listed as its values are
    written. Other values (numbers, dates, uuids) cannot hold a comma or a backslash.
    """
    if any("," in v or "\\" in v for v in enum):
        written = [v.replace("\\", "\\\\").replace(",", "\\,") for v in enum]
        return {"type": "string", "enum": written}
    if value.get("type") != "string" or "enum" in value:
        return value
    if value.get("pattern") == NO_NUL_PATTERN:
        least = value.get("minLength", 0)
        most = value.get("maxLength", "")
        kept = {k: v for k, v in value.items() if k not in ("pattern", "minLength", "maxLength")}
        return {**kept, "pattern": f"^{_ESCAPED_CHARACTER}{{{least},{most}}}$"}
    if "pattern" in value:
        return {"allOf": [value, {"pattern": f"^{_ESCAPED_CHARACTER}*$"}]}
    return value
