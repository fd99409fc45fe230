"""How a list parameter's text becomes its values: repeated keys, commas and escapes.

An array-valued parameter (``sort``, ``expand``, ``field__in``) may be repeated
(``?sort=a&sort=-b``, what generated clients send) or hold values separated by commas
(``?sort=a,-b``), or both. Inside one ``__in`` value a comma is written ``\\,`` and a
backslash ``\\\\``, so that any text can be asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ESCAPED_CHARACTER", "ESCAPE_ERROR", "split_escaped", "split_plain"]

ESCAPE_ERROR = "a backslash must escape a comma or a backslash (\\, or \\\\)"
# One character of a value as an __in item writes it, as a regular expression (the
# contract's item patterns are made of it): anything but NUL, a comma or a backslash,
# or one of the two escapes.
ESCAPED_CHARACTER = "(?:[^\\u0000,\\\\]|\\\\[,\\\\])"


def split_plain(raws: Sequence[str]) -> list[str]:
    """The comma-separated values of every occurrence of a parameter, in order."""
    if len(raws) == 1:
        return raws[0].split(",")
    return [value for raw in raws for value in raw.split(",")]


def split_escaped(raws: Sequence[str]) -> list[str]:
    """Like :func:`split_plain`, reading ``\\,`` as a comma and ``\\\\`` as a backslash.

    Raises ``ValueError`` (with :data:`ESCAPE_ERROR`) for a backslash before anything else.
    """
    values: list[str] = []
    for raw in raws:
        if "\\" in raw:
            values += _unescaped(raw)
        else:  # the common case, at the speed of str.split
            values += raw.split(",")
    return values


def _unescaped(raw: str) -> list[str]:
    values: list[str] = []
    current: list[str] = []
    characters = iter(raw)
    for character in characters:
        if character == ",":
            values.append("".join(current))
            current = []
        elif character == "\\":
            escaped = next(characters, "")
            if escaped not in (",", "\\"):
                raise ValueError(ESCAPE_ERROR)
            current.append(escaped)
        else:
            current.append(character)
    values.append("".join(current))
    return values
