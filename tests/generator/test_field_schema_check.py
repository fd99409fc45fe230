"""A field's JSON Schema is checked against the metaschema only where the spec format's
own schema does not already hold it to the same rules; nothing gets through either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.validate import _SHAPED_BY_SPEC_FORMAT, spec_format_schema
from tests.generator.support import spec_errors

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=300),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["string", "integer", "number", "boolean", "array", "object", "null"]),
    st.sampled_from(["date-time", "uuid", "^[a-z]+$", "", "x"]),
    st.lists(st.sampled_from(["a", "b", "null", "string", "integer", ""]), max_size=3),
)
_FIELD = st.dictionaries(st.sampled_from(sorted(_SHAPED_BY_SPEC_FORMAT)), _VALUES, max_size=6)


def _field_validator() -> jsonschema.Draft202012Validator:
    schema = spec_format_schema()
    field = {**schema["$defs"]["field"], "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(field)


@settings(max_examples=400, deadline=None)
@given(_FIELD, st.sampled_from(["string", "integer", ["number", "null"], "array", "boolean"]))
def test_a_field_the_spec_format_admits_is_a_valid_json_schema(
    field: dict[str, Any], kind: object
) -> None:
    field = {**field, "type": kind}
    if _field_validator().is_valid(field):
        jsonschema.Draft202012Validator.check_schema(field)  # raises if the metaschema refuses


def test_a_bad_subschema_is_still_refused(tmp_path: Path) -> None:
    errors = spec_errors(
        tmp_path,
        {
            "thing.yaml": """
                resource: Thing
                fields:
                  tags: {type: array, items: {type: 5}}
            """
        },
    )
    assert any("not a valid JSON Schema" in error.message for error in errors), errors


def test_the_keywords_left_to_the_metaschema_are_those_with_subschemas() -> None:
    field_keys = set(spec_format_schema()["$defs"]["field"]["properties"])
    assert field_keys - _SHAPED_BY_SPEC_FORMAT == {
        "items",
        "properties",
        "required",
        "additionalProperties",
        "$ref",
        "x-index",
        "x-unique",
    }
