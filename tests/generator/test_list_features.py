"""Filters, sort, many-to-many links, soft delete, bulk create and ``versioned: false``
(the `listing` golden case), asserted on the IR, the contract and the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.contract_query import in_item_schema
from generator.hardening import NO_NUL_PATTERN
from generator.ir import Filter
from generator.pipeline import Generated, render_project
from tests.generator.support import GOLDEN, render, write_specs


@pytest.fixture(scope="module")
def generated() -> Generated:
    return render(GOLDEN / "listing")


@pytest.fixture(scope="module")
def paths(generated: Generated) -> dict[str, Any]:
    found: dict[str, Any] = generated.contract["paths"]
    return found


@pytest.fixture(scope="module")
def schemas(generated: Generated) -> dict[str, Any]:
    found: dict[str, Any] = generated.contract["components"]["schemas"]
    return found


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["name"], p["in"]): p for p in operation["parameters"]}


def test_list_options_in_the_ir(generated: Generated) -> None:
    options = generated.project.resource("Book").list_options
    assert (options.default_sort, options.descending, options.max_limit) == (
        "created_at",
        True,
        50,
    )
    assert options.sort == ("title", "pages", "created_at", "id")
    assert options.filters[0] == Filter("author_id", ("eq", "in"))
    assert generated.project.resource("Shelf").list_options.sort == ("id",)


def test_every_filter_operator_is_a_query_parameter(paths: dict[str, Any]) -> None:
    parameters = _parameters(paths["/books"]["get"])
    query = [name for name, where in parameters if where == "query"]
    assert query == [
        "limit", "cursor", "sort", "count",
        "author_id", "author_id__in", "pages__gte", "pages__lte",
        "genre", "genre__ne", "genre__in", "title__contains", "subtitle__is_null",
        "expand", "include_deleted",
    ]  # fmt: skip
    # Values have the field's schema; `in` takes repeated keys (and commas, as it says).
    assert parameters["pages__gte", "query"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100000,
    }
    listed = parameters["genre__in", "query"]
    assert (listed["style"], listed["explode"]) == ("form", True)
    assert listed["schema"]["items"] == {"$ref": "#/components/schemas/BookGenre"}
    assert parameters["subtitle__is_null", "query"]["schema"] == {"type": "boolean"}
    assert parameters["title__contains", "query"]["schema"]["maxLength"] == 200


def test_in_items_describe_values_as_written() -> None:
    """An ``__in`` item's schema is the text the server reads as one value: a plain
    string's escapes count as one character; a string with a pattern of its own may hold
    no bare comma; values that cannot hold a comma keep their schema."""
    plain = {"type": "string", "minLength": 1, "maxLength": 30, "pattern": NO_NUL_PATTERN}
    assert in_item_schema(plain) == {
        "type": "string",
        "pattern": "^(?:[^\\u0000,\\\\]|\\\\[,\\\\]){1,30}$",
    }
    assert in_item_schema({"type": "string", "pattern": NO_NUL_PATTERN})["pattern"].endswith(
        "{0,}$"
    )
    own = {"type": "string", "pattern": "^[a-z,]+$", "not": {"pattern": "\\u0000"}}
    assert in_item_schema(own) == {
        "allOf": [own, {"pattern": "^(?:[^\\u0000,\\\\]|\\\\[,\\\\])*$"}]
    }
    genre = {"$ref": "#/components/schemas/Genre"}
    assert in_item_schema(genre, ("rock, pop", "a\\b", "jazz")) == {
        "type": "string",
        "enum": ["rock\\, pop", "a\\\\b", "jazz"],
    }
    assert in_item_schema(genre, ("rock", "jazz")) is genre
    for kept in (
        {"type": "string", "format": "date-time"},
        {"type": "string", "enum": ["a", "b"]},
        {"type": "integer", "minimum": 1},
        {"$ref": "#/components/schemas/BookGenre"},
    ):
        assert in_item_schema(kept) is kept


def test_sort_takes_the_declared_fields_both_ways(paths: dict[str, Any]) -> None:
    sort = _parameters(paths["/books"]["get"])["sort", "query"]
    assert sort["schema"]["items"]["enum"] == [
        "title", "-title", "pages", "-pages", "created_at", "-created_at", "id", "-id",
    ]  # fmt: skip
    assert "(default -created_at)" in sort["description"]


def test_each_sort_field_gets_an_index_with_the_id(generated: Generated) -> None:
    models = generated.files["generated/book/models.py"]
    for name in ("title", "pages", "created_at"):
        assert f'Index("ix_books_{name}_id", "{name}", "id"),' in models
    assert (
        'Index("ix_authors_name_id", "name", "id")' in generated.files["generated/author/models.py"]
    )


def test_the_repository_declares_its_listing(generated: Generated) -> None:
    repository = generated.files["generated/book/repository.py"]
    assert "listing = Listing.from_schemas(\n        (BookCreate, BookRead)," in repository
    assert '"genre": ("eq", "ne", "in"),' in repository
    assert 'default_sort="-created_at",' in repository
    assert '"pages": Int64,' in repository
    assert 'expand=("author", "shelves"),' in repository
    assert "soft_delete=True," in repository
    # The id is the last key of every cursor.
    assert '"created_at": AwareDatetime,\n            "id": PositiveInt64,' in repository


def test_the_router_reads_the_query_string_with_the_listing(generated: Generated) -> None:
    for module in ("author", "book", "shelf"):
        router = generated.files[f"generated/{module}/router.py"]
        assert "query = listing.parse(request.query_params)" in router
        assert "Query(" not in router


def test_soft_delete(generated: Generated, paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    models = generated.files["generated/book/models.py"]
    assert "deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)" in (
        models
    )
    assert schemas["BookRead"]["properties"]["deleted_at"]["type"] == ["string", "null"]
    assert "deleted_at" not in schemas["AuthorRead"]["properties"]
    assert ("include_deleted", "query") not in _parameters(paths["/authors"]["get"])


def test_versioned_false_has_no_version_etag_or_if_match(
    generated: Generated, paths: dict[str, Any], schemas: dict[str, Any]
) -> None:
    assert not generated.project.resource("Author").versioned
    assert "version" not in schemas["AuthorRead"]["properties"]
    assert "version" in schemas["BookRead"]["required"]
    assert "version" not in generated.files["generated/author/models.py"]
    router = generated.files["generated/author/router.py"]
    assert "etag" not in router.lower()
    assert "if_match" not in router
    for method in ("put", "patch", "delete"):
        author = paths["/authors/{author_id}"][method]
        assert ("If-Match", "header") not in _parameters(author)
        assert "412" not in author["responses"]
        book = paths["/books/{book_id}"][method]
        assert ("If-Match", "header") in _parameters(book)
        assert "412" in book["responses"]
    assert "304" not in paths["/authors/{author_id}"]["get"]["responses"]
    assert "ETag" in paths["/books/{book_id}"]["get"]["responses"]["200"]["headers"]


def test_bulk_create(generated: Generated, paths: dict[str, Any]) -> None:
    bulk = paths["/books/bulk"]
    assert list(bulk) == ["post"]
    body = bulk["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/BookCreate"},
        "minItems": 1,
        "maxItems": 50,
    }
    assert bulk["post"]["operationId"] == "bulk_create_book"
    router = generated.files["generated/book/router.py"]
    assert "Field(min_length=1, max_length=50)" in router
    assert 'Operation("bulk_create_book", "POST", "/books/bulk", bulk_create_book, 201' in router
    assert "/authors/bulk" not in paths


def test_many_to_many_links_both_ways(generated: Generated, paths: dict[str, Any]) -> None:
    for own, other in (("book", "shelf"), ("shelf", "book")):
        plural = {"book": "books", "shelf": "shelves"}
        link = paths[f"/{plural[own]}/{{{own}_id}}/{plural[other]}/{{{other}_id}}"]
        assert set(link) == {"put", "delete"}
        assert link["put"]["operationId"] == f"link_{own}_{plural[other]}"
        assert set(link["put"]["responses"]) == {"204", "404", "422"}
        listed = paths[f"/{plural[own]}/{{{own}_id}}/{plural[other]}"]["get"]
        assert listed["operationId"] == f"list_{own}_{plural[other]}"
    # One link table, defined by one side, its columns typed like each side's id.
    book_models = generated.files["generated/book/models.py"]
    assert 'books_shelves = Table(\n    "books_shelves",' in book_models
    assert '    Column(\n        "shelf_id",\n        Uuid(),' in book_models
    assert "Table(" not in generated.files["generated/shelf/models.py"]
    assert (
        "from generated.book.models import Book, books_shelves"
        in generated.files["generated/shelf/repository.py"]
    )


def test_expanded_schemas_carry_the_relations(
    generated: Generated, schemas: dict[str, Any]
) -> None:
    book = schemas["BookExpanded"]["properties"]
    assert book["author"]["anyOf"] == [
        {"$ref": "#/components/schemas/AuthorRead"},
        {"type": "null"},
    ]
    assert book["shelves"] == {
        "description": "The related Shelf rows, with ?expand=shelves.",
        "type": "array",
        "items": {"$ref": "#/components/schemas/ShelfRead"},
    }
    # Relations are only there when expanded: not required.
    assert {"author", "shelves"}.isdisjoint(schemas["BookExpanded"]["required"])
    assert schemas["BookPage"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/BookExpanded"
    }
    assert schemas["BookPage"]["required"] == ["items", "next_cursor"]  # total with ?count=true
    expanded = generated.files["generated/book/expanded.py"]
    assert "class BookExpanded(SchemaModel):" in expanded
    assert "class BookPage(SchemaModel):" in expanded
    assert "class BookPage" not in generated.files["generated/book/schemas.py"]


WAREHOUSE = """\
    resource: Warehouse
    fields:
      code: {type: string, maxLength: 8}
      opened: {type: string, format: date}
      rating: {type: [number, "null"], minimum: 0, maximum: 5}
      region: {type: [string, "null"], enum: [amer, emea]}
    required: [code]
    list:
      sort: [code, opened, rating, region]
      default_sort: -opened
"""


def test_a_list_sorts_by_optional_and_nullable_fields(tmp_path: Path) -> None:
    """Optional (``opened``), nullable (``rating``) and nullable enum (``region``) fields
    are sortable: their cursor keys take null, and the contract says where nulls go."""
    generated = render_project(write_specs(tmp_path, {"warehouse.yaml": WAREHOUSE}))
    options = generated.project.resource("Warehouse").list_options
    assert options.sort == ("code", "opened", "rating", "region", "id")
    assert (options.default_sort, options.descending) == ("opened", True)
    repository = generated.files["generated/warehouse/repository.py"]
    for key in ('"code": SafeText,', '"opened": date | None,', '"rating": FiniteFloat | None,',
                '"region": WarehouseRegion | None,', '"id": PositiveInt64'):  # fmt: skip
        assert key in repository
    operation = generated.contract["paths"]["/warehouses"]["get"]
    description = _parameters(operation)["sort", "query"]["description"]
    assert "Rows without a value (opened, rating, region) sort last ascending" in description
