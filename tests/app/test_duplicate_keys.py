"""The duplicate-key check against a reference, on JSON written every way it can be.

The quick test (``":`` counted against the parsed keys) must never let a duplicate
through, whatever the spacing, escapes or strings holding ``\\":``; the full parse
must name the first repeated key and its object's pointer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.domain.errors import Problem
from app.core.http.duplicate_keys import refuse_duplicate_keys

# Few, short keys, so that objects often repeat one; texts full of the characters the
# quick test looks at.
KEYS = st.sampled_from(["a", "b", "a/b", "~", 'q"', "\\", ":"])
TEXT = st.text(alphabet='ab":\\ ,{}[]\n', max_size=6)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), TEXT)


class Members(list[tuple[str, Any]]):
    """An object as written, repeated keys kept."""


DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(st.tuples(KEYS, inner), max_size=4).map(Members),
    ),
    max_leaves=12,
)
SPACES = st.sampled_from(["", " ", "\n  ", "\t"])


@st.composite
def written(draw: st.DrawFn, document: Any) -> str:
    """``document`` as JSON text, with spacing and escapes drawn at each place."""
    space = draw(SPACES)
    if isinstance(document, Members):
        members = []
        for key, value in document:
            ascii_only = draw(st.booleans())
            name = json.dumps(key, ensure_ascii=ascii_only)
            if draw(st.booleans()) and key == "a":
                name = '"\\u0061"'  # the same key, escaped
            members.append(f"{name}{draw(SPACES)}:{draw(SPACES)}{draw(written(value))}")
        return "{" + space + ("," + space).join(members) + space + "}"
    if isinstance(document, list):
        return "[" + space + ",".join(draw(written(item)) for item in document) + "]"
    return json.dumps(document)


def _first_duplicate(document: Any, where: str = "") -> tuple[str, str] | None:
    """The reference: recursive, in document order, the object's own keys first."""
    if isinstance(document, Members):
        keys = [key for key, _ in document]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                return where, key
        for key, value in document:
            token = key.replace("~", "~0").replace("/", "~1")
            found = _first_duplicate(value, f"{where}/{token}")
            if found:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = _first_duplicate(item, f"{where}/{index}")
            if found:
                return found
    return None


@given(data=st.data())
@settings(max_examples=500, derandomize=True, database=None)
def test_every_duplicate_is_found_and_named(data: st.DataObject) -> None:
    document = data.draw(DOCUMENTS, label="document")
    text = data.draw(written(document), label="text")
    expected = _first_duplicate(document)
    if expected is None:
        refuse_duplicate_keys(text.encode())
        return
    with pytest.raises(Problem) as raised:
        refuse_duplicate_keys(text.encode())
    where, key = expected
    assert raised.value.status == 400
    assert f"duplicate key {key!r} at {where or '/'};" in str(raised.value.detail)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[" * 100_000, b'{"a":1,"a":', b"\xff", b'{"a": 1e999999}', b"not json"],
)
def test_a_body_that_is_not_json_is_left_as_it_is(body: bytes) -> None:
    refuse_duplicate_keys(body)  # no exception: the body reader answers "Malformed JSON"
