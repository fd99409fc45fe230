"""The field grid: every field kind of the spec format in every position, as specs.

A test writes these specs into a copy of the project (:func:`write_grid_project`) and
generates it; the tables below then say what each field must look like on the wire,
so that tests (and long fuzzing runs) can check the contract, the models, the columns
and the API against them. Nothing here is hand-picked per field: every kind meets
every position, and a combination the spec format refuses is listed in
:data:`REFUSED`, with the message the generator must give.

Positions (one resource each, fields named after their kind):

=================  =============  ===========  ===============================
position           sent on create  may be null  absent on create means
=================  =============  ===========  ===============================
required           always          no           422
required_nullable  always          yes          422
optional           maybe           no           null when read
optional_default   maybe           no           the default
nullable           maybe           yes          null
nullable_default   maybe           yes          the default
=================  =============  ===========  ===============================
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.project import copy_project

__all__ = [
    "BELONGS_TO",
    "KINDS",
    "PARENT",
    "POSITIONS",
    "REFUSED",
    "RESOURCES",
    "WAREHOUSE_SPEC",
    "Kind",
    "Position",
    "Refusal",
    "grid_specs",
    "kinds_of",
    "write_grid_project",
]


@dataclass(frozen=True)
class Kind:
    """A field kind: its spec schema (not nullable), a value to set, and a default."""

    name: str
    schema: dict[str, Any]
    value: Any
    default: Any
    other: Any  # a second value, different from both, for replace and patch
    refused_default: str | None = None  # why the spec format refuses a default, if it does


@dataclass(frozen=True)
class Position:
    """Where a field stands: required or not, nullable or not, with a default or not."""

    name: str
    resource: str
    required: bool
    nullable: bool
    defaulted: bool

    @property
    def absent_reads_null(self) -> bool:
        """A row created without the field answers null for it."""
        return not (self.required or self.defaulted)

    @property
    def read_nullable(self) -> bool:
        return self.nullable or self.absent_reads_null


_MONEY_REF = "./common.yaml#/Money"
_LINE = {
    "type": "object",
    "properties": {"sku": {"type": "string", "maxLength": 20}, "qty": {"type": "integer"}},
    "required": ["sku"],
}

KINDS: tuple[Kind, ...] = (
    Kind("text", {"type": "string"}, "some text", "none yet", "other text"),
    Kind("bounded", {"type": "string", "maxLength": 40}, "bounded", "untitled", "rebounded"),
    Kind(
        "at",
        {"type": "string", "format": "date-time"},
        "2026-03-04T05:06:07Z",
        "2020-01-01T00:00:00Z",
        "2027-12-31T23:59:59Z",
    ),
    Kind(
        "day",
        {"type": "string", "format": "date"},
        "2026-03-04",
        "2020-01-01",
        "2027-12-31",
    ),
    Kind(
        "token",
        {"type": "string", "format": "uuid"},
        "0b7d2c4e-3f1a-4c5b-9d6e-7f8a9b0c1d2e",
        "00000000-0000-4000-8000-000000000000",
        "ffffffff-ffff-4fff-bfff-ffffffffffff",
    ),
    Kind(
        "email",
        {"type": "string", "format": "email"},
        "ada@example.com",
        "nobody@example.com",
        "grace@example.org",
    ),
    Kind(
        "site",
        {"type": "string", "format": "uri"},
        "https://example.com/a?b=c",
        "https://example.com/",
        "urn:isbn:0451450523",
    ),
    Kind("count", {"type": "integer"}, 2**40 + 1, 7, -3),
    Kind("ratio", {"type": "number"}, 1.5, 0.25, -2.75),
    Kind("flag", {"type": "boolean"}, True, False, False),
    Kind("color", {"type": "string", "enum": ["red", "green", "blue"]}, "green", "red", "blue"),
    Kind(
        "tags",
        {"type": "array", "items": {"type": "string", "maxLength": 10}},
        ["a", "b"],
        ["none"],
        [],
    ),
    Kind(
        "lines",
        {"type": "array", "items": _LINE},
        [{"sku": "A1", "qty": 2}],
        [{"sku": "Z9"}],
        [{"sku": "B2", "qty": 0}, {"sku": "C3"}],
    ),
    Kind(
        "address",
        {
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        },
        {"street": "1 Main St", "city": "Lyon"},
        {"city": "Paris"},
        {"street": "2 Side St"},
    ),
    Kind(
        "extra", {"type": "object"}, {"k": [1, {"x": None}], "s": "t"}, {"fresh": True}, {"n": 1.5}
    ),
    # A shared model by $ref (specs/common.yaml).
    Kind(
        "money",
        {"$ref": _MONEY_REF},
        {"amount": 1999, "currency": "EUR"},
        {"amount": 1, "currency": "EUR"},
        {"amount": 5, "currency": "USD"},
        "'default' does not apply beside a $ref",
    ),
)

POSITIONS: tuple[Position, ...] = (
    Position("required", "RequiredRow", required=True, nullable=False, defaulted=False),
    Position(
        "required_nullable", "RequiredNullableRow", required=True, nullable=True, defaulted=False
    ),
    Position("optional", "OptionalRow", required=False, nullable=False, defaulted=False),
    Position("optional_default", "DefaultedRow", required=False, nullable=False, defaulted=True),
    Position("nullable", "NullableRow", required=False, nullable=True, defaulted=False),
    Position(
        "nullable_default", "NullableDefaultedRow", required=False, nullable=True, defaulted=True
    ),
)

# The parent every row may belong to: a uuid id, bulk create, the has_many side.
PARENT = "Parent"
# The belongs_to key `parent_id` in the positions a relation can say (`nullable: true`
# or not); it takes no default and cannot be optional without being nullable.
BELONGS_TO: dict[str, dict[str, Any]] = {
    "required": {},
    "required_nullable": {"nullable": True, "on_delete": "set_null"},  # listed in required
    "nullable": {"nullable": True, "on_delete": "set_null"},
}
RESOURCES = (PARENT, *(p.resource for p in POSITIONS), "Warehouse")

# Finding 1 of issue 16, as the issue states it.
WAREHOUSE_SPEC = """\
resource: Warehouse
id: uuid
soft_delete: true
fields:
  code: {type: string, maxLength: 10, x-unique: true}
  region: {type: string, enum: [amer, emea, apac]}
  address: {type: object, properties: {street: {type: string}, city: {type: string}}}
  opened: {type: string, format: date}
required: [code, region]
"""

_COMMON = {
    "Money": {
        "type": "object",
        "properties": {
            "amount": {"type": "integer", "minimum": 0},
            "currency": {"type": "string", "enum": ["EUR", "USD"]},
        },
        "required": ["amount", "currency"],
        "additionalProperties": False,
    }
}


def _field(kind: Kind, position: Position, *, with_default: bool = False) -> dict[str, Any]:
    schema = dict(kind.schema)
    if "$ref" in kind.schema and position.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    elif position.nullable:
        schema["type"] = [schema["type"], "null"]
    if position.defaulted and (with_default or kind.refused_default is None):
        schema["default"] = kind.default
    return schema


def kinds_of(position: Position) -> list[Kind]:
    """The kinds a position's resource has: those the spec format refuses a default are
    left out of the positions with one (see :data:`REFUSED`)."""
    return [k for k in KINDS if not (position.defaulted and k.refused_default is not None)]


def _resource_spec(position: Position) -> dict[str, Any]:
    kinds = kinds_of(position)
    spec: dict[str, Any] = {
        "resource": position.resource,
        "description": f"Every field kind, {position.name.replace('_', ' ')}.",
        "fields": {kind.name: _field(kind, position) for kind in kinds},
    }
    if position.nullable and not position.defaulted:
        spec["id"] = "uuid"
    relation = BELONGS_TO.get(position.name)
    if relation is not None:
        spec["relations"] = {"parent": {"belongs_to": PARENT, **relation}}
    if position.required:
        spec["required"] = [kind.name for kind in kinds] + (["parent_id"] if relation else [])
    spec["bulk_create"] = {"max_items": 10}
    return spec


def grid_specs() -> dict[str, str]:
    """``{file name: YAML}``: one spec per position, the parent, the shared models and
    the Warehouse of issue 16's finding 1."""
    parent = {
        "resource": PARENT,
        "id": "uuid",
        "fields": {"name": {"type": "string", "maxLength": 40}},
        "required": ["name"],
        "relations": {
            f"{p.name}_rows": {"has_many": p.resource} for p in POSITIONS if p.name in BELONGS_TO
        },
        "bulk_create": {"max_items": 10},
    }
    files = {"parent.yaml": _dump(parent), "common.yaml": _dump(_COMMON)}
    for position in POSITIONS:
        files[f"{position.name}_row.yaml"] = _dump(_resource_spec(position))
    files["warehouse.yaml"] = WAREHOUSE_SPEC
    return files


@dataclass(frozen=True)
class Refusal:
    """A combination the spec format refuses: the field (or relation) as written in a
    spec of the position's resource, and what the generator's message says."""

    position: str
    name: str
    spec: dict[str, Any]
    message: str
    relation: bool = False


def _refusals() -> tuple[Refusal, ...]:
    out = [
        Refusal(p.name, k.name, _field(k, p, with_default=True), k.refused_default)
        for p in POSITIONS
        if p.defaulted
        for k in KINDS
        if k.refused_default is not None
    ]
    for position in POSITIONS:
        if position.defaulted:  # a belongs_to key takes no default
            relation = {"belongs_to": PARENT, "default": 1}
            message = "a relation is `{belongs_to: Resource}`"
            out.append(Refusal(position.name, "parent", relation, message, relation=True))
    return tuple(out)


REFUSED = _refusals()


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_grid_project(target: Path, specs: dict[str, str] | None = None) -> Path:
    """A copy of the project whose specs/ are the grid's (or ``specs``) and whose custom/
    is empty; not generated yet. Answers ``target``."""
    root = copy_project(target)
    shutil.rmtree(root / "specs")
    (root / "specs").mkdir()
    for name, text in (grid_specs() if specs is None else specs).items():
        (root / "specs" / name).write_text(text, encoding="utf-8")
    for path in (root / "custom").iterdir():
        if path.is_dir():
            shutil.rmtree(path)
    return root
