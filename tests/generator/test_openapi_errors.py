"""Errors in OpenAPI documents name the file, the line and the document's own key.

A resource read out of a schema is validated by the same rules as a resource spec,
but its errors point into the document (``components.schemas.Thing.properties.x``),
and a ``$ref`` that reaches nothing is reported at the line of the ``$ref``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generator.support import spec_errors

# (file, line, key, a fragment the message must contain)
Expected = tuple[str, int, str, str]

API = "specs/api.yaml"
COMMON = "specs/schemas/common.yaml"

_HEAD = "openapi: 3.0.3\ninfo: {title: Shop, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
# Line 6 onwards: one resource, Thing, and whatever a case adds.
_THING = (
    "    Thing:\n"  # 6
    "      type: object\n"  # 7
    "      x-resource: {}\n"  # 8
    "      properties:\n"  # 9
    "        name: {type: string, maxLength: 50}\n"  # 10
)
_COMMON = (
    "Money:\n"  # 1
    "  type: object\n"  # 2
    "  properties:\n"  # 3
    "    amount: {type: integer}\n"  # 4
    "    currency: {$ref: '#/Currency'}\n"  # 5
    "Currency: {type: string, enum: [EUR, USD]}\n"  # 6
)


MONEY_REF = "./schemas/common.yaml#/Money"
_PROPERTIES = "      properties:"
_B_TO_A = "    B: {$ref: '#/components/schemas/A'}\n"


def _api(extra: str = "", thing: str = _THING) -> str:
    return _HEAD + thing + extra


def _with_property(line: str) -> str:
    return _api(thing=_THING + f"        {line}\n")  # line 11


_CASES: dict[str, tuple[dict[str, str], list[Expected]]] = {
    "ref-to-a-missing-file": (
        {"api.yaml": _with_property("price: {$ref: './schemas/money.yaml#/Money'}")},
        [(API, 11, "components.schemas.Thing.properties.price.$ref", "no such file in specs/")],
    ),
    "ref-to-a-missing-pointer": (
        {
            "api.yaml": _with_property("price: {$ref: './schemas/common.yaml#/Monee'}"),
            "schemas/common.yaml": _COMMON,
        },
        [(API, 11, "components.schemas.Thing.properties.price.$ref", "has nothing at #/Monee")],
    ),
    "bad-pointer-inside-a-fragment": (
        {
            "api.yaml": _with_property("price: {$ref: './schemas/common.yaml#/Money'}"),
            "schemas/common.yaml": _COMMON.replace("#/Currency", "#/Curency"),
        },
        [(COMMON, 5, "Money.properties.currency.$ref", "has nothing at #/Curency")],
    ),
    "ref-in-a-path-item": (
        {
            "api.yaml": _api().replace("paths: {}", "paths:\n  /x: {$ref: './paths/x.yaml'}"),
        },
        [(API, 4, "paths./x.$ref", "no such file in specs/ (specs/paths/x.yaml)")],
    ),
    "ref-to-a-url": (
        {"api.yaml": _with_property("price: {$ref: 'https://example.com/money.yaml'}")},
        [(API, 11, "components.schemas.Thing.properties.price.$ref", "only files in specs/")],
    ),
    "ref-anchor-not-pointer": (
        {"api.yaml": _with_property("price: {$ref: '#Money'}")},
        [(API, 11, "components.schemas.Thing.properties.price.$ref", "must be a JSON pointer")],
    ),
    "unknown-x-resource-key": (
        {"api.yaml": _api(thing=_THING.replace("x-resource: {}", "x-resource: {colour: red}"))},
        [(API, 8, "components.schemas.Thing.x-resource.colour", "unknown key 'colour'")],
    ),
    "x-resource-relation-shape": (
        {
            "api.yaml": _api(
                thing=_THING.replace(
                    "x-resource: {}\n", "x-resource:\n        relations:\n          o: {owns: X}\n"
                )
            )
        },
        [(API, 10, "components.schemas.Thing.x-resource.relations.o", "a relation is")],
    ),
    "x-resource-on-a-string-schema": (
        {"api.yaml": _api("    Code:\n      type: string\n      x-resource: {}\n")},
        [(API, 12, "components.schemas.Code.type", "not an object schema")],
    ),
    "x-resource-without-properties": (
        {"api.yaml": _api("    Bag:\n      type: object\n      x-resource: {}\n")},
        [(API, 11, "components.schemas.Bag", "its fields under `properties`")],
    ),
    "x-resource-not-a-mapping": (
        {"api.yaml": _api(thing=_THING.replace("x-resource: {}", "x-resource: true"))},
        [(API, 8, "components.schemas.Thing.x-resource", "`x-resource: {}`")],
    ),
    "x-resource-repeats-fields": (
        {"api.yaml": _api(thing=_THING.replace("x-resource: {}", "x-resource: {fields: {}}"))},
        [(API, 8, "components.schemas.Thing.x-resource.fields", "`properties` says it")],
    ),
    "composed-resource-schema": (
        {"api.yaml": _api(thing=_THING.replace("      type: object\n", "      allOf: []\n"))},
        [(API, 7, "components.schemas.Thing.allOf", "`allOf` is not read")],
    ),
    "field-format-not-in-list": (
        {"api.yaml": _with_property("host: {type: string, format: hostname}")},
        [(API, 11, "components.schemas.Thing.properties.host.format", "'hostname'")],
    ),
    "required-unknown-field": (
        {
            "api.yaml": _api(
                thing=_THING.replace(_PROPERTIES, "      required: [nam]\n" + _PROPERTIES)
            )
        },
        [(API, 9, "components.schemas.Thing.required[0]", "'nam' is not a field")],
    ),
    "server-managed-property-not-read-only": (
        {"api.yaml": _with_property("id: {type: integer}")},
        [(API, 11, "components.schemas.Thing.properties.id", "'id' is reserved")],
    ),
    "keyword-beside-a-reference": (
        {
            "api.yaml": _with_property(f"price: {{$ref: '{MONEY_REF}', x-index: true}}"),
            "schemas/common.yaml": _COMMON,
        },
        [(API, 11, "components.schemas.Thing.properties.price.x-index", "beside a $ref")],
    ),
    "reference-to-a-resource": (
        {"api.yaml": _with_property("twin: {$ref: '#/components/schemas/Thing'}")},
        [(API, 11, "components.schemas.Thing.properties.twin.$ref", "{belongs_to: Thing}")],
    ),
    "resource-in-a-fragment": (
        {
            "api.yaml": _HEAD + "    Item: {$ref: './schemas/item.yaml#/Item'}\n",
            "schemas/item.yaml": "Item:\n  type: object\n  x-resource: {}\n  properties:\n"
            "    size: {type: integer, maxLength: 3}\n",
        },
        [("specs/schemas/item.yaml", 5, "Item.properties.size.maxLength", "does not apply")],
    ),
    "schema-name-clashes-with-a-generated-one": (
        {"api.yaml": _api("    ThingRead: {type: object}\n")},
        [(API, 11, "components.schemas.ThingRead", "already has a schema ThingRead")],
    ),
    "two-schemas-one-name": (
        {
            "api.yaml": _with_property("price: {$ref: './schemas/common.yaml#/Money'}")
            + "    Money: {type: object}\n",
            "schemas/common.yaml": _COMMON,
        },
        [
            (
                API,
                11,
                "components.schemas.Thing.properties.price.$ref",
                "two schemas would be named Money in the contract: this one and the one at "
                "specs/api.yaml:12",
            ),
        ],
    ),
    "not-a-python-name": (
        {"api.yaml": _api("    money-amount: {type: integer}\n")},
        [(API, 11, "components.schemas.money-amount", "letters, digits and _")],
    ),
    "alias-loop": (
        {"api.yaml": _api("    A: {$ref: '#/components/schemas/B'}\n" + _B_TO_A)},
        [
            (API, 11, "components.schemas.A.$ref", "in a loop"),
            (API, 12, "components.schemas.B.$ref", "in a loop"),
        ],
    ),
    "not-openapi-3": (
        {"api.yaml": _api().replace("3.0.3", "3.2.0")},
        [(API, 1, "openapi", "reads OpenAPI 3.0 and 3.1")],
    ),
    "swagger-2": (
        {"api.yaml": "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n"},
        [(API, 1, "swagger", "convert it to OpenAPI 3")],
    ),
    "unreadable-fragment-reports-only-itself": (
        {
            "api.yaml": _with_property("price: {$ref: './schemas/common.yaml#/Money'}"),
            "schemas/common.yaml": "Money:\n  type: object\n  type: object\n",
        },
        [(COMMON, 3, "Money.type", "duplicate key")],
    ),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_openapi_error_names_file_line_and_key(tmp_path: Path, case: str) -> None:
    files, expected = _CASES[case]
    errors = spec_errors(tmp_path, files)
    found = [(e.file, e.line, e.key) for e in errors]
    assert found == [(file, line, key) for file, line, key, _ in expected], errors
    for error, (*_, fragment) in zip(errors, expected, strict=True):
        assert fragment in error.message, error


def test_a_fragment_only_referred_to_is_no_error(tmp_path: Path) -> None:
    """A file neither a spec nor a document is read as a spec, unless something refers to it."""
    files = {"api.yaml": _with_property("price: {$ref: './schemas/common.yaml#/Money'}")}
    files |= {"schemas/common.yaml": _COMMON, "schemas/other.yaml": _COMMON}
    errors = spec_errors(tmp_path, files)
    assert [(e.file, e.key) for e in errors] == [
        ("specs/schemas/other.yaml", ""), ("specs/schemas/other.yaml", ""),
        ("specs/schemas/other.yaml", "Money"), ("specs/schemas/other.yaml", "Currency"),
    ]  # fmt: skip
