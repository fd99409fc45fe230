"""Specs that load without error must give a consistent contract and schema.

Each case here is a spec the validator accepts today but whose output is broken; the
generator should either refuse it with a spec error at the named key or produce sound output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.contract import build_contract
from generator.errors import SpecErrors
from generator.ir import Project
from generator.pipeline import load_project
from tests.generator.support import write_specs


def _load(tmp_path: Path, text: str) -> Project | list[tuple[str, int, str]]:
    """The project, or the (file, line, key) of its spec errors."""
    write_specs(tmp_path, {"x.yaml": text})
    try:
        return load_project(tmp_path)
    except SpecErrors as exc:
        return [(e.file, e.line, e.key) for e in exc.errors]


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


_DEFAULTS = {
    # The contract bounds an integer without bounds to int64; the default must fit them.
    "integer-beyond-int64": "type: integer\n    default: 99999999999999999999",
    # A date-time default that is no date-time ends up in a typed column.
    "date-time": "type: string\n    format: date-time\n    default: yesterday",
    # The contract gives a uri the URI pattern; this default does not match it.
    "uri": "type: string\n    format: uri\n    default: not a uri",
    # The contract refuses NUL in every string; so must the default.
    "nul-in-string": 'type: string\n    default: "a\\0b"',
}


@pytest.mark.parametrize("field", list(_DEFAULTS.values()), ids=list(_DEFAULTS))
def test_default_must_fit_the_contract(tmp_path: Path, field: str) -> None:
    text = f"resource: Thing\nfields:\n  a:\n    {field}\n"
    result = _load(tmp_path, text)
    assert isinstance(result, list), "the spec loads although its default breaks the contract"
    assert result == [("specs/x.yaml", _line_of(text, "default:"), "fields.a.default")]


_BOUNDS = {
    "exclusive-both": ("exclusiveMinimum", 10, "exclusiveMaximum", 5),
    "minimum-exclusiveMaximum": ("minimum", 10, "exclusiveMaximum", 10),
    "exclusiveMinimum-maximum": ("exclusiveMinimum", 10, "maximum", 10),
}


@pytest.mark.parametrize("bounds", list(_BOUNDS.values()), ids=list(_BOUNDS))
def test_bounds_that_admit_no_value_are_refused(
    tmp_path: Path, bounds: tuple[str, int, str, int]
) -> None:
    low, low_value, high, high_value = bounds
    text = (
        f"resource: Thing\nfields:\n  a:\n    type: integer\n"
        f"    {low}: {low_value}\n    {high}: {high_value}\n"
    )
    result = _load(tmp_path, text)
    assert isinstance(result, list), "a field that no value can satisfy was accepted"
    assert result in (
        [("specs/x.yaml", 5, f"fields.a.{low}")],
        [("specs/x.yaml", 6, f"fields.a.{high}")],
    )


def test_field_unique_and_unique_group_make_one_constraint(tmp_path: Path) -> None:
    """`x-unique: true` and `unique: [[code]]` say the same thing; one constraint, one name."""
    text = (
        "resource: Thing\nfields:\n  code: {type: string, maxLength: 10, x-unique: true}\n"
        "unique: [[code]]\n"
    )
    result = _load(tmp_path, text)
    if isinstance(result, list):  # refusing it is fine too, at either place
        assert result in (
            [("specs/x.yaml", 4, "unique[0]")],
            [("specs/x.yaml", 3, "fields.code.x-unique")],
        )
        return
    names = [name for name, _ in result.resource("Thing").unique]
    assert len(names) == len(set(names)), f"duplicate constraint names: {names}"


@pytest.mark.parametrize("field", ["page", "read", "create", "update"])
def test_enum_class_name_does_not_clash_with_schema_family(tmp_path: Path, field: str) -> None:
    """An enum field `page` of Layout is named LayoutPage, like the Page schema of Layout."""
    text = f"resource: Layout\nfields:\n  {field}: {{type: string, enum: [a4, letter]}}\n"
    result = _load(tmp_path, text)
    if isinstance(result, list):  # refusing it is fine too, at the field
        assert result == [("specs/x.yaml", 3, f"fields.{field}")]
        return
    schemas = build_contract(result)["components"]["schemas"]
    ref = schemas["LayoutCreate"]["properties"][field]["$ref"]
    assert schemas[ref.rsplit("/", 1)[-1]] == {"type": "string", "enum": ["a4", "letter"]}
    for family in ("Create", "Update", "Read", "Page"):
        assert schemas[f"Layout{family}"]["type"] == "object"
