"""References found and renamed in a schema's JSON text are those a walk of its data finds.

``render_schemas`` keys its cache by the schemas a module refers to, and renames every
reference for datamodel-code-generator's input, working on each schema's JSON text (C
speed) instead of walking it in Python. These hold the text's answers to the walk's.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render.datamodel_input import (
    _renamed,
    _renamed_memo,
    _rewrite_refs,
    ref_names,
    renamed_input,
)

OWNER = {"Event": "event", "Venue": "venue", "Tag": "shared", 'Odd"Name': "odd"}
_REFS = st.sampled_from(sorted(OWNER)).map(lambda name: {"$ref": f"#/components/schemas/{name}"})
_KEYS = st.sampled_from(["type", "properties", "items", "$ref", "description", "anyOf", "x"])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.just('say "$ref":"#/components/schemas/Event" here')  # a string, not a reference
)
_SCHEMAS = st.recursive(
    _LEAVES | _REFS,
    lambda inner: (
        st.lists(inner, max_size=3)
        # A key "$ref" whose value is not a string (a property named "$ref") is no reference.
        | st.dictionaries(_KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)


def _walked(node: Any) -> list[str]:
    """The references a walk of the data finds, as the generator used to find them."""
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value.rsplit("/", 1)[-1])
            else:
                found += _walked(value)
        return found
    if isinstance(node, list):
        return [name for item in node for name in _walked(item)]
    return []


@settings(max_examples=300, deadline=None)
@given(_SCHEMAS)
def test_references_in_the_text_are_those_of_the_data(schema: Any) -> None:
    assert ref_names(orjson.dumps(schema)) == _walked(schema)
    assert _outcome(_renamed, schema) == _outcome(_rewrite_refs, schema)


def _outcome(rename: Any, schema: Any) -> Any:
    """What ``rename`` answers, or the error it raises (a reference to no known schema)."""
    try:
        return rename(schema, OWNER)
    except KeyError as error:
        return ("KeyError", error.args)


def test_what_json_would_change_is_renamed_by_the_walk() -> None:
    schema = {"default": date(2030, 1, 1), "items": {"$ref": "#/components/schemas/Event"},
              "maximum": math.inf, "example": math.nan}  # fmt: skip
    renamed = _renamed(schema, OWNER)
    assert renamed["default"] == date(2030, 1, 1)  # not its text
    assert renamed["maximum"] == math.inf
    assert math.isnan(renamed["example"])
    assert renamed["items"] == {"$ref": "#/components/schemas/event.Event"}
    assert renamed is not schema


def test_a_schema_met_again_is_renamed_again_only_when_its_references_moved() -> None:
    schema = {"type": "object", "properties": {"venue": {"$ref": "#/components/schemas/Venue"}}}
    first = _renamed_memo(schema, OWNER)
    assert _renamed_memo(dict(schema), OWNER) is first  # same text, same owners: kept
    assert first.refs == ("venue.Venue",)
    moved = _renamed_memo(schema, {**OWNER, "Venue": "place"})
    assert moved.refs == ("place.Venue",)
    assert moved.value["properties"]["venue"] == {"$ref": "#/components/schemas/place.Venue"}
    assert first.value["properties"]["venue"] == {"$ref": "#/components/schemas/venue.Venue"}


def test_the_generator_in_this_process_gets_a_copy_of_the_shared_schemas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datamodel_code_generator

    from generator.render import schemas
    from tests.generator.support import ROOT, render

    generated = render(ROOT)
    before, _, _ = renamed_input(generated.contract, generated.project)
    kept = orjson.dumps(before)
    generate = datamodel_code_generator.generate

    def careless(document: dict[str, Any], **options: Any) -> Any:
        answer = generate(document, **options)
        for schema in document["components"]["schemas"].values():
            schema.clear()  # what a generator could do to its input
        return answer

    monkeypatch.setattr(datamodel_code_generator, "generate", careless)
    schemas.render_schemas(generated.contract, generated.project)
    after, _, _ = renamed_input(generated.contract, generated.project)
    assert orjson.dumps(after) == kept
