"""OpenAPI documents as input: x-resource schemas become resources, the rest shared models.

Most checks read the `openapi_input` golden case: a multi-file OpenAPI 3.0 shop document
(``specs/shop/openapi.yaml`` referring to ``schemas/product.yaml`` and
``schemas/common.yaml``). Smaller projects in a tmp folder cover the other ways in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.hardening import NO_NUL_PATTERN
from generator.ir import INT64_MAX, Kind, Project, Resource
from generator.normalize import upgrade_schema
from generator.pipeline import load_project, project_contract
from tests.generator.support import GOLDEN, render, write_specs

SHOP = GOLDEN / "openapi_input"


@pytest.fixture(scope="module")
def project() -> Project:
    return render(SHOP).project


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    contract: dict[str, Any] = render(SHOP).contract
    return dict(contract["components"]["schemas"])


def _fields(resource: Resource) -> dict[str, Any]:
    return {field.name: field for field in resource.fields}


def test_every_x_resource_schema_becomes_a_resource(project: Project) -> None:
    assert [r.name for r in project.resources] == ["Category", "Product"]
    # A resource's spec is the file its schema is written in, through a $ref or not.
    assert project.resource("Category").spec_path == "specs/shop/openapi.yaml"
    assert project.resource("Product").spec_path == "specs/shop/schemas/product.yaml"
    assert project.resource("Product").description == "Something the shop sells."


def test_properties_become_fields_and_server_managed_ones_are_left_out(project: Project) -> None:
    product = project.resource("Product")
    assert list(_fields(product)) == [
        "sku", "name", "description", "price", "sale_price", "dimensions", "status", "stock",
        "weight_kg", "tags", "category_id",
    ]  # fmt: skip
    assert list(_fields(project.resource("Category"))) == ["name", "slug", "summary"]


def test_required_lists_the_schema_required_and_the_relation(project: Project) -> None:
    product = project.resource("Product")
    required = {field.name for field in product.fields if field.required}
    assert required == {"sku", "name", "price", "status", "category_id"}
    category = project.resource("Category")
    assert {field.name for field in category.fields if field.required} == {"name", "slug"}


def test_x_resource_holds_relations_and_options(project: Project) -> None:
    product, category = project.resource("Product"), project.resource("Category")
    foreign_key = product.field("category_id").foreign_key
    assert foreign_key is not None
    assert (foreign_key.target, foreign_key.target_table, foreign_key.on_delete) == (
        "Category", "categories", "RESTRICT",
    )  # fmt: skip
    assert category.children == (("products", "Product"),)
    assert product.id_kind is Kind.UUID
    assert ("uq_products_sku", ("sku",)) in product.unique
    assert (product.list_options.default_sort, product.list_options.descending) == (
        "created_at", True,
    )  # fmt: skip
    assert category.plural == "categories"
    assert (category.list_options.default_sort, category.list_options.max_limit) == ("name", 200)
    assert ("uq_categories_slug", ("slug",)) in category.unique  # x-unique on a property


def test_fields_that_refer_to_shared_models_are_stored_as_json(project: Project) -> None:
    fields = _fields(project.resource("Product"))
    for name in ("price", "sale_price", "dimensions"):
        assert fields[name].kind is Kind.OBJECT
        assert fields[name].column.sa_type == "JSON()"
    assert fields["price"].schema == {"$ref": "#/components/schemas/Money"}
    assert (fields["price"].nullable, fields["sale_price"].nullable) == (False, True)
    assert fields["sale_price"].schema == {
        "description": "A reduced price while on sale; null when not on sale.",
        "anyOf": [{"$ref": "#/components/schemas/Money"}, {"type": "null"}],
    }


def test_openapi_3_0_fields_are_read_the_3_1_way(project: Project) -> None:
    fields = _fields(project.resource("Product"))
    assert fields["description"].nullable
    assert fields["description"].schema["type"] == ["string", "null"]
    weight = fields["weight_kg"].schema
    assert (weight["type"], weight["exclusiveMinimum"]) == (["number", "null"], 0)
    assert "minimum" not in weight
    assert "format" not in weight  # double: every number is one
    stock = fields["stock"].schema  # int32: its bounds, said as bounds
    assert (stock["minimum"], stock["maximum"], "format" in stock) == (0, 2**31 - 1, False)
    assert fields["status"].enum_class == "ProductStatus"
    name = _fields(project.resource("Category"))["name"].schema
    assert name["examples"] == ["Kitchen"]


def test_shared_models_are_in_the_contract_as_written(
    project: Project, schemas: dict[str, Any]
) -> None:
    assert [model.name for model in project.shared] == ["Currency", "Dimensions", "Error", "Money"]
    # The resource schemas themselves are not: their families are.
    assert "Product" not in schemas
    assert {"ProductCreate", "ProductRead", "CategoryPage"} <= set(schemas)
    money = schemas["Money"]
    assert money["properties"]["currency"] == {"$ref": "#/components/schemas/Currency"}
    # As written, with the bounds and the NUL refusal a resource's own field gets.
    assert money["properties"]["amount"] == {
        "type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX,
        "description": "In cents (or the currency's minor unit).", "examples": [1999],
    }  # fmt: skip
    assert money["additionalProperties"] is False
    assert schemas["Currency"] == {
        "type": "string", "description": "An ISO 4217 code.", "enum": ["EUR", "USD", "GBP"],
    }  # fmt: skip
    assert schemas["Dimensions"]["properties"]["note"] == {
        "type": ["string", "null"], "maxLength": 200, "pattern": NO_NUL_PATTERN,
    }  # fmt: skip
    assert schemas["Error"]["properties"]["code"]["examples"] == ["not_found"]


def test_read_and_update_schemas_refer_to_the_shared_models(schemas: dict[str, Any]) -> None:
    read = schemas["ProductRead"]["properties"]
    assert read["price"] == {"$ref": "#/components/schemas/Money"}
    assert read["dimensions"] == {
        "anyOf": [{"$ref": "#/components/schemas/Dimensions"}, {"type": "null"}]
    }
    patch = schemas["ProductUpdate"]["properties"]
    assert patch["price"] == {"$ref": "#/components/schemas/Money"}  # no null: the column needs one


def test_the_documents_own_paths_are_not_the_contracts(schemas: dict[str, Any]) -> None:
    contract = render(SHOP).contract
    operations = {op["operationId"] for item in contract["paths"].values() for op in item.values()}
    assert "listProducts" not in operations
    assert {"list_products", "create_product", "get_category"} <= operations
    assert contract["openapi"] == "3.1.0"
    assert "x-resource" not in json.dumps(schemas)


# --- OpenAPI 3.0 -> 3.1, one keyword at a time ---------------------------------------


@pytest.mark.parametrize(
    ("written", "upgraded"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        ({"type": "string", "nullable": False}, {"type": "string"}),
        (
            {"type": "string", "enum": ["a", "b"], "nullable": True},
            {"type": ["string", "null"], "enum": ["a", "b", None]},
        ),
        (
            {"$ref": "#/X", "nullable": True, "description": "d"},
            {"description": "d", "anyOf": [{"$ref": "#/X"}, {"type": "null"}]},
        ),
        (
            {"allOf": [{"$ref": "#/X"}], "nullable": True},
            {"anyOf": [{"$ref": "#/X"}, {"type": "null"}]},
        ),
        ({"nullable": True}, {}),
        ({"type": "integer", "example": 3}, {"type": "integer", "examples": [3]}),
        ({"example": 3, "examples": [4]}, {"examples": [4]}),
        (
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            {"type": "number", "exclusiveMinimum": 0},
        ),
        (
            {"type": "number", "maximum": 9, "exclusiveMaximum": False},
            {"type": "number", "maximum": 9},
        ),
        (
            {"type": "string", "format": "binary"},
            {"type": "string", "contentMediaType": "application/octet-stream"},
        ),
        ({"type": "string", "format": "byte"}, {"type": "string", "contentEncoding": "base64"}),
        (
            {"type": "object", "properties": {"nullable": {"type": "boolean", "nullable": True}}},
            {"type": "object", "properties": {"nullable": {"type": ["boolean", "null"]}}},
        ),
        (
            {"type": "array", "items": {"type": "string", "example": "x"}},
            {"type": "array", "items": {"type": "string", "examples": ["x"]}},
        ),
        (
            {"oneOf": [{"type": "integer", "nullable": True}], "default": {"nullable": True}},
            {"oneOf": [{"type": ["integer", "null"]}], "default": {"nullable": True}},
        ),
    ],
)
def test_upgrade_schema(written: dict[str, Any], upgraded: dict[str, Any]) -> None:
    assert upgrade_schema(written) == upgraded


def test_upgrade_leaves_the_input_alone() -> None:
    written: dict[str, Any] = {
        "type": "object",
        "properties": {"a": {"type": "string", "nullable": True}},
    }
    upgrade_schema(written)
    assert written["properties"]["a"] == {"type": "string", "nullable": True}


# --- Other ways in: JSON, OpenAPI 3.1, specs with $ref, mixing ------------------------

_API_31: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Library", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "Author": {
                "type": "object",
                "x-resource": {"resource": "Writer", "relations": {"books": {"has_many": "Book"}}},
                "properties": {
                    "name": {"type": "string", "maxLength": 100},
                    "address": {
                        "anyOf": [{"$ref": "./shared.json#/Address"}, {"type": "null"}],
                        "description": "Where to send the cheques.",
                    },
                    "genre": {"$ref": "#/components/schemas/Genre"},
                },
                "required": ["name", "genre"],
            },
            "Genre": {"type": "string", "enum": ["novel", "poetry"]},
            "Place": {"$ref": "./shared.json#/Address"},
        }
    },
}
_SHARED_JSON = """{
\t"Address": {
\t\t"type": "object",
\t\t"properties": {"street": {"type": "string"}, "city": {"$ref": "#/City/properties/name"}}
\t},
\t"City": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 80}}}
}
"""
_BOOK = """\
resource: Book
fields:
  title: {type: string, maxLength: 200}
  cover: {$ref: "./covers/cover.yaml", description: The front picture.}
  shelves:
    type: array
    items: {$ref: "./api.json#/components/schemas/Place"}
relations:
  author: {belongs_to: Writer, on_delete: cascade}
"""
_COVER = "type: object\nproperties:\n  url: {type: string, format: uri}\nrequired: [url]\n"


@pytest.fixture
def library(tmp_path: Path) -> Project:
    """JSON (with tabs) and YAML, a 3.1 document and a resource spec, side by side."""
    write_specs(tmp_path, {"api.json": json.dumps(_API_31, indent=2), "book.yaml": _BOOK})
    (tmp_path / "specs" / "shared.json").write_text(_SHARED_JSON, encoding="utf-8")
    (tmp_path / "specs" / "covers").mkdir()
    (tmp_path / "specs" / "covers" / "cover.yaml").write_text(_COVER, encoding="utf-8")
    return load_project(tmp_path)


def test_a_document_and_a_spec_mix_and_relate(library: Project) -> None:
    assert [r.name for r in library.resources] == ["Book", "Writer"]  # renamed by x-resource
    assert library.resource("Writer").children == (("books", "Book"),)
    assert library.resource("Writer").spec_path == "specs/api.json"


def test_a_3_1_nullable_reference_and_a_scalar_reference(library: Project) -> None:
    fields = _fields(library.resource("Writer"))
    assert fields["address"].kind is Kind.OBJECT
    assert fields["address"].nullable
    # A component alias names the schema it leads to: Place, not Address.
    assert fields["address"].schema["anyOf"][0] == {"$ref": "#/components/schemas/Place"}
    # A scalar schema is copied into the field, which is an ordinary enum column.
    assert fields["genre"].kind is Kind.ENUM
    assert fields["genre"].enum_values == ("novel", "poetry")


def test_a_resource_spec_may_refer_to_shared_schemas_too(library: Project) -> None:
    fields = _fields(library.resource("Book"))
    # A whole file is named after it.
    assert fields["cover"].schema == {
        "description": "The front picture.", "$ref": "#/components/schemas/Cover",
    }  # fmt: skip
    assert fields["shelves"].kind is Kind.ARRAY
    assert fields["shelves"].schema["items"] == {"$ref": "#/components/schemas/Place"}


def test_shared_models_of_a_project(library: Project) -> None:
    shared = {model.name: model for model in library.shared}
    assert sorted(shared) == ["Cover", "Genre", "Place"]
    # A pointer into a schema is no name: the schema it reaches is copied in place.
    assert shared["Place"].schema["properties"]["city"] == {
        "type": "string", "maxLength": 80, "pattern": NO_NUL_PATTERN,
    }  # fmt: skip
    assert shared["Place"].source == "specs/shared.json"
    assert shared["Cover"].source == "specs/covers/cover.yaml"
    contract = project_contract(library)
    assert set(shared) <= set(contract["components"]["schemas"])


def test_a_document_without_resources_gives_shared_models_only(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "x", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Point": {"type": "object", "nullable": True}}},
    }
    write_specs(tmp_path, {"api.yaml": json.dumps(document)})
    project = load_project(tmp_path)
    assert project.resources == ()
    assert [(m.name, m.schema) for m in project.shared] == [("Point", {"type": ["object", "null"]})]
