"""Defaults in the Pydantic modules written as values of their field's type.

datamodel-code-generator writes a default as the JSON value of the contract: a date as
its text (``day: date = "2020-01-01"``), a model as a dict. Pydantic validates neither
(a create without the field would store text in a date column), and mypy refuses both.
"""

from __future__ import annotations

import re

__all__ = ["typed_defaults"]

# A field whose default Pydantic validates into its type (a model, constrained items),
# as datamodel-code-generator writes it: on one line, the default as JSON wrote it (an
# empty list needs no cast).
_VALIDATED_DEFAULT = re.compile(
    r"^(?P<head>[ ]+\w+: Annotated\[(?P<type>.+?), Field\([^()]*validate_default=True[^()]*\)\])"
    r" = (?P<value>(?!\[\]$)[\[{].*)$",
    re.MULTILINE,
)
# A date, date-time or uuid field (nullable or not) whose default is a string.
_TEXT_DEFAULT = re.compile(
    r"^(?P<head>[ ]+\w+: (?P<type>AwareDatetime|date|UUID)(?: \| None)?)"
    r""" = (?P<value>'[^'\\]*'|"[^"\\]*")$""",
    re.MULTILINE,
)
_PARSE = {
    "AwareDatetime": ("datetime", "datetime.fromisoformat({})"),
    "date": ("date", "date.fromisoformat({})"),
    "UUID": (None, "UUID({})"),  # the field's annotation imports it
}


def typed_defaults(code: str) -> str:
    """``code`` with its defaults made values of their fields' types.

    ``tags: Annotated[list[Tag], Field(validate_default=True)] = ["none"]`` is what the
    model means (Pydantic makes the Tag when it validates), but mypy sees a str where a
    Tag belongs: ``cast("list[Tag]", ["none"])`` says so and changes nothing at run time.
    ``day: date = "2020-01-01"`` becomes ``date.fromisoformat("2020-01-01")``.
    """

    def cast(match: re.Match[str]) -> str:
        return f"{match['head']} = cast({match['type']!r}, {match['value']})"

    needed: list[tuple[str, str]] = []

    def parse(match: re.Match[str]) -> str:
        module_name, template = _PARSE[match["type"]]
        if module_name is not None:
            needed.append(("datetime", module_name))
        return f"{match['head']} = {template.format(match['value'])}"

    code, casts = _VALIDATED_DEFAULT.subn(cast, code)
    code = _TEXT_DEFAULT.sub(parse, code)
    if casts:
        needed.append(("typing", "cast"))
    for module, name in dict.fromkeys(needed):
        code = _imported(code, module, name)
    return code


def _imported(code: str, module: str, name: str) -> str:
    """``code`` importing ``name`` from ``module`` (the emit stage sorts the imports)."""
    found = re.search(rf"^from {module} import (.+)$", code, re.MULTILINE)
    if found is not None:
        names = sorted({*found[1].split(", "), name}, key=lambda n: (n[0].islower(), n))
        line = f"from {module} import {', '.join(names)}"
        return code[: found.start()] + line + code[found.end() :]
    future = "from __future__ import annotations\n"
    return code.replace(future, f"{future}from {module} import {name}\n", 1)
