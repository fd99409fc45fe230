"""Every field type and keyword maps to a column (IR, models.py) and a contract schema.

The spec is the `every_type` golden case: one field of each type of DESIGN.md.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from generator.build import NO_NUL_PATTERN, URI_PATTERN
from generator.ir import INT64_MAX, INT64_MIN, Kind, Resource
from generator.pipeline import Generated
from tests.generator.support import GOLDEN, render

# field: (kind, sa_type, python_type, nullable, required, annotation in models.py)
_COLUMNS = {
    "title": (Kind.STRING, "ExactString(20)", "str", False, True, "str"),
    "body": (Kind.TEXT, "ExactString()", "str", False, False, "str | None"),
    "kind": (
        Kind.ENUM, 'enum_column(SampleKind, length=5, name="kind")', "SampleKind",
        False, False, "SampleKind",
    ),
    "count": (Kind.INTEGER, "BigInteger()", "int", False, True, "int"),
    "score": (Kind.INTEGER, "BigInteger()", "int", False, False, "int | None"),
    "ratio": (Kind.NUMBER, "Double()", "float", False, False, "float | None"),
    "active": (Kind.BOOLEAN, "Boolean()", "bool", False, False, "bool"),
    "born_on": (Kind.DATE, "Date()", "date", False, False, "date | None"),
    "starts_at": (Kind.DATETIME, "UTCDateTime()", "datetime", False, True, "datetime"),
    "token": (Kind.UUID, "Uuid()", "UUID", False, False, "UUID | None"),
    "email": (Kind.EMAIL, "ExactString(320)", "str", False, False, "str | None"),
    "homepage": (Kind.URI, "ExactString()", "str", False, False, "str | None"),
    "labels": (Kind.ARRAY, "JSON()", "list[Any]", False, False, "list[Any] | None"),
    "extra": (Kind.OBJECT, "JSON()", "dict[str, Any]", False, False, "dict[str, Any] | None"),
    "address": (Kind.OBJECT, "JSON()", "dict[str, Any]", False, False, "dict[str, Any] | None"),
    "nickname": (Kind.STRING, "ExactString(30)", "str", True, False, "str | None"),
    "mood": (
        Kind.ENUM, 'enum_column(SampleMood, length=5, name="mood")', "SampleMood",
        True, False, "SampleMood | None",
    ),
    "owner_id": (Kind.INTEGER, "BigInteger()", "int", False, True, "int"),
}  # fmt: skip
_SERVER_FIELDS = ("id", "created_at", "updated_at", "version")


@pytest.fixture(scope="module")
def generated() -> Generated:
    return render(GOLDEN / "every_type")


@pytest.fixture(scope="module")
def sample(generated: Generated) -> Resource:
    return generated.project.resource("Sample")


@pytest.fixture(scope="module")
def schemas(generated: Generated) -> dict[str, Any]:
    found: dict[str, Any] = generated.contract["components"]["schemas"]
    return found


def test_every_field_is_in_the_ir(sample: Resource) -> None:
    assert [f.name for f in sample.fields] == list(_COLUMNS)


@pytest.mark.parametrize("name", list(_COLUMNS))
def test_field_maps_to_a_column(sample: Resource, name: str) -> None:
    kind, sa_type, python_type, nullable, required, _ = _COLUMNS[name]
    field = sample.field(name)
    assert (field.kind, field.column.sa_type, field.column.python_type) == (
        kind,
        sa_type,
        python_type,
    )
    assert (field.nullable, field.required) == (nullable, required)


@pytest.mark.parametrize("name", list(_COLUMNS))
def test_model_declares_the_column(generated: Generated, name: str) -> None:
    *_, annotation = _COLUMNS[name]
    models = generated.files["generated/sample/models.py"]
    declared = re.search(rf"^    {name}: Mapped\[(.+?)\] = mapped_column\(", models, re.MULTILINE)
    assert declared is not None, f"no column {name} in models.py"
    assert declared.group(1) == annotation


def test_belongs_to_adds_a_foreign_key(generated: Generated, sample: Resource) -> None:
    fk = sample.field("owner_id").foreign_key
    assert fk is not None
    assert (fk.target, fk.target_table, fk.on_delete) == ("Owner", "owners", "CASCADE")
    assert sample.field("owner_id").index
    models = generated.files["generated/sample/models.py"]
    assert f'ForeignKey("owners.id", ondelete="CASCADE", name="{fk.constraint}")' in models
    assert generated.project.resource("Owner").children == (("samples", "Sample"),)


def test_integer_without_bounds_gets_the_int64_range(schemas: dict[str, Any]) -> None:
    count = schemas["SampleCreate"]["properties"]["count"]
    assert (count["minimum"], count["maximum"]) == (INT64_MIN, INT64_MAX)
    assert (count["minimum"], count["maximum"]) == (-(2**63), 2**63 - 1)
    score = schemas["SampleCreate"]["properties"]["score"]
    assert (score["minimum"], score["maximum"]) == (0, 10)


@pytest.mark.parametrize("family", ["SampleCreate", "SampleUpdate"])
def test_free_strings_refuse_nul_in_the_contract(schemas: dict[str, Any], family: str) -> None:
    props = schemas[family]["properties"]
    assert props["body"]["pattern"] == NO_NUL_PATTERN
    assert props["nickname"]["pattern"] == NO_NUL_PATTERN
    assert props["labels"]["items"]["pattern"] == NO_NUL_PATTERN
    assert props["homepage"]["pattern"] == URI_PATTERN


def test_contract_schemas_of_fields(schemas: dict[str, Any]) -> None:
    props = schemas["SampleCreate"]["properties"]
    assert props["title"] == {
        "type": "string",
        "minLength": 2,
        "maxLength": 20,
        "pattern": "^[^<>]*$",
        # its own pattern would let NUL through: the contract says "no NUL" beside it
        "not": {"pattern": "\\u0000"},
        "description": "A bounded string with its own pattern (no angle brackets).",
    }
    assert "maxLength" not in props["body"]
    assert props["ratio"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert props["active"] == {"type": "boolean", "default": True}
    assert props["born_on"] == {"type": "string", "format": "date"}
    assert props["starts_at"] == {"type": "string", "format": "date-time"}
    assert props["token"] == {"type": "string", "format": "uuid"}
    assert props["email"]["format"] == "email"
    assert props["labels"]["maxItems"] == 3
    assert props["labels"]["items"]["maxLength"] == 10
    assert props["extra"] == {"type": "object"}
    assert props["nickname"]["type"] == ["string", "null"]
    assert props["owner_id"]["type"] == "integer"
    assert (props["owner_id"]["minimum"], props["owner_id"]["maximum"]) == (1, INT64_MAX)
    assert not [key for prop in props.values() for key in prop if key.startswith("x-")]


def test_enums_are_named_schemas(schemas: dict[str, Any]) -> None:
    create = schemas["SampleCreate"]["properties"]
    assert schemas["SampleKind"] == {"type": "string", "enum": ["small", "large"]}
    assert schemas["SampleMood"] == {"type": "string", "enum": ["happy", "sad"]}
    assert create["kind"] == {"default": "small", "$ref": "#/components/schemas/SampleKind"}
    assert create["mood"] == {
        "anyOf": [{"$ref": "#/components/schemas/SampleMood"}, {"type": "null"}]
    }


def test_create_requires_the_required_fields(schemas: dict[str, Any]) -> None:
    create = schemas["SampleCreate"]
    assert create["required"] == ["title", "count", "starts_at", "owner_id"]
    assert create["additionalProperties"] is False
    assert not set(_SERVER_FIELDS) & set(create["properties"])


def test_update_has_no_required_and_no_defaults(schemas: dict[str, Any]) -> None:
    update = schemas["SampleUpdate"]
    assert "required" not in update
    assert update["additionalProperties"] is False
    assert list(update["properties"]) == list(_COLUMNS)
    assert not [name for name, prop in update["properties"].items() if "default" in prop]
    assert update["properties"]["kind"] == {"$ref": "#/components/schemas/SampleKind"}
    # null only where the column holds it
    assert update["properties"]["count"]["type"] == "integer"
    assert update["properties"]["nickname"]["type"] == ["string", "null"]


def test_read_marks_server_fields_read_only(schemas: dict[str, Any]) -> None:
    read = schemas["SampleRead"]
    props = read["properties"]
    assert list(props) == ["id", *_COLUMNS, "created_at", "updated_at", "version"]
    assert read["required"] == list(props)
    assert props["id"] == {"type": "integer", "minimum": 1, "maximum": INT64_MAX, "readOnly": True}
    for name in ("created_at", "updated_at"):
        assert props[name] == {"type": "string", "format": "date-time", "readOnly": True}
    assert props["version"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": INT64_MAX,
        "readOnly": True,
        "description": "Incremented by every change; the ETag is this number, quoted.",
    }
    assert not [name for name in _COLUMNS if props[name].get("readOnly")]


def test_read_admits_null_where_a_stored_value_may_be_missing(schemas: dict[str, Any]) -> None:
    props = schemas["SampleRead"]["properties"]
    assert props["title"]["type"] == "string"  # required
    assert props["active"]["type"] == "boolean"  # has a default
    assert props["kind"] == {"$ref": "#/components/schemas/SampleKind"}
    assert props["score"]["type"] == ["integer", "null"]  # optional without default
    assert props["mood"]["anyOf"][1] == {"type": "null"}
    assert not [name for name, prop in props.items() if "default" in prop]
