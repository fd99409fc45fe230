"""Rows written without the response schema are the bytes the schema would write.

``RowWriter`` writes rows read by compiled statements with orjson, skipping pydantic,
when every field they fill has a type both write alike. These tests hold it to that:
for random rows of every such type, its bytes are the schema's; what it cannot write
alike goes through the schema; and every generated resource takes the fast way.
"""

from __future__ import annotations

import enum
import uuid
from collections import namedtuple
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import MISSING, AwareDatetime, BaseModel, Field, RootModel, field_serializer

from app.core.data.reader import row_type
from app.core.domain.schema import SchemaModel
from app.core.http.responses import Related, RowWriter, _plan


class Mood(enum.StrEnum):
    calm = "calm"
    loud = "loud"


class Label(RootModel[str]):
    root: Annotated[str, Field(max_length=10)]


class Nested(SchemaModel):
    """A shared model kept in a JSON column: written through the schema."""

    title: str
    when: AwareDatetime | None = None


class SampleRead(SchemaModel):
    """One field of every type the spec format gives a column (as generated schemas do)."""

    id: Annotated[int, Field(ge=1)]
    title: str
    body: str | None
    count: int
    ratio: float | None
    active: bool
    born_on: date | None
    starts_at: AwareDatetime
    token: uuid.UUID | None
    mood: Mood | None
    labels: list[Label] | None
    extra: dict[str, Any] | None
    related: list[SampleRead] | MISSING = MISSING  # an expansion: not a column


# The columns of a table, in another order than the schema's, with one it does not show.
COLUMNS = ["title", "id", "deleted_at", "body", "count", "ratio", "active", "born_on",
           "starts_at", "token", "mood", "labels", "extra"]  # fmt: skip
Row: Any = namedtuple("Row", COLUMNS)  # type: ignore[misc]
SameOrder: Any = namedtuple("SameOrder", [n for n in SampleRead.model_fields if n != "related"])  # type: ignore[misc]

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits: orjson refuses them
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_ZONES = st.sampled_from([UTC, UTC, timezone(timedelta(hours=2, minutes=30))])
_VALUES = {
    "title": st.text(),
    "id": st.integers(min_value=1, max_value=2**63 - 1),
    "deleted_at": st.none(),
    "body": st.none() | st.text(),
    "count": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    # A float column may answer an integer (pydantic writes it as 1.0).
    "ratio": st.none() | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-99, 99),
    "active": st.booleans(),
    "born_on": st.none() | st.dates(),
    "starts_at": st.datetimes(timezones=_ZONES),
    "token": st.none() | st.uuids(),
    "mood": st.none() | st.sampled_from(list(Mood)) | st.sampled_from(["calm", "loud"]),
    "labels": st.none() | st.lists(st.text(max_size=10), max_size=3),
    "extra": st.none() | st.dictionaries(st.text(), _JSON, max_size=4),
}


def _rows(row_class: Any) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({name: _VALUES[name] for name in row_class._fields}).map(
        lambda values: row_class(**values)
    )


def _schema_json(row: Any) -> bytes:
    return SampleRead.model_validate(row).model_dump_json().encode()


@settings(max_examples=300, deadline=None)
@given(st.one_of(_rows(Row), _rows(SameOrder)))
def test_a_row_is_written_as_the_schema_writes_it(row: Any) -> None:
    assert RowWriter(SampleRead).json(row) == _schema_json(row)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_rows(Row), max_size=4),
    st.none() | st.text(max_size=20),
    st.none() | st.integers(0, 99),
)
def test_a_page_is_written_as_the_page_schema_writes_it(
    rows: list[Any], next_cursor: str | None, total: int | None
) -> None:
    class SamplePage(SchemaModel):
        items: list[SampleRead]
        next_cursor: str | None
        total: int | MISSING = MISSING

    written = RowWriter(SampleRead, SamplePage).page_json(rows, next_cursor, total)
    fields: dict[str, Any] = {"next_cursor": next_cursor}
    if total is not None:
        fields["total"] = total
    expected = SamplePage(items=[SampleRead.model_validate(r) for r in rows], **fields)
    assert written == expected.model_dump_json().encode()


def test_rows_take_the_fast_way_and_other_values_the_schema() -> None:
    assert _plan(SampleRead, Row) is not None
    assert _plan(SampleRead, SameOrder) is not None

    class Shared(SchemaModel):  # a shared model in a column: pydantic may reorder, default
        id: int
        nested: Nested

    class Written(SchemaModel):  # a serializer of its own
        id: int

        @field_serializer("id")
        def _id(self, value: int) -> str:
            return str(value)

    class Unknown(SchemaModel):  # a field no column fills, which the schema requires
        id: int
        other: int

    pair: Any = namedtuple("pair", ["id", "nested"])
    one: Any = namedtuple("one", ["id"])
    assert _plan(Shared, pair) is None
    assert _plan(Written, one) is None
    assert _plan(Unknown, one) is None
    assert _plan(SampleRead, dict) is None
    assert _plan(SampleRead, Related) is None
    row = pair(1, {"when": None, "title": "t"})
    assert RowWriter(Shared).json(row) == b'{"id":1,"nested":{"title":"t","when":null}}'
    assert RowWriter(Written).json(one(5)) == b'{"id":"5"}'


def test_an_object_with_attributes_goes_through_the_schema() -> None:
    class Plain:
        def __init__(self) -> None:
            self.id, self.title = 1, "ORM"

    class Small(BaseModel, from_attributes=True):
        id: int
        title: str

    assert RowWriter(Small).json(Plain()) == b'{"id":1,"title":"ORM"}'


def test_what_orjson_refuses_goes_through_the_schema() -> None:
    values: dict[str, Any] = dict.fromkeys(Row._fields)
    values |= {"title": "big", "id": 1, "count": 2**63 - 1, "active": True,
               "starts_at": datetime(2030, 1, 1, tzinfo=UTC), "extra": {"big": 2**80}}  # fmt: skip
    row: Any = Row(**values)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(row.extra)
    assert RowWriter(SampleRead).json(row) == _schema_json(row)


def test_every_generated_resource_is_written_the_fast_way() -> None:
    import importlib

    from generated.registry import RESOURCES

    checked = []
    for resource in RESOURCES:
        models = importlib.import_module(f"generated.{resource.module}.models")
        table = getattr(models, resource.name).__table__
        made = row_type(table)([None] * len(table.c))
        shown = [
            importlib.import_module(f"generated.{resource.module}.schemas").__dict__[
                f"{resource.name}Read"
            ]
        ]
        try:
            expanded = importlib.import_module(f"generated.{resource.module}.expanded")
        except ModuleNotFoundError:
            pass
        else:
            shown.append(getattr(expanded, f"{resource.name}Expanded"))
        for model in shown:
            assert _plan(model, type(made)) is not None, model.__name__
            checked.append(model.__name__)
    assert len(checked) >= 6, checked
