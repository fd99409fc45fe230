"""Every kind of spec error names the file, the exact line, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.pipeline import load_project
from tests.generator.support import spec_errors, write_specs

# (file, line, key, a fragment the message must contain)
Expected = tuple[str, int, str, str]

X = "specs/x.yaml"


def _one(text: str, line: int, key: str, fragment: str) -> tuple[dict[str, str], list[Expected]]:
    return {"x.yaml": text}, [(X, line, key, fragment)]


_CASES = {
    "invalid-yaml": _one(
        "resource: Thing\nfields:\n  a: {type: string}\n\tb: {type: string}\n",
        4, "", "invalid YAML",
    ),
    "duplicate-key": _one(
        "resource: Thing\nfields:\n  a: {type: string}\n  a: {type: integer}\n",
        4, "fields.a", "duplicate key 'a'",
    ),
    "not-a-mapping": _one("- resource: Thing\n", 1, "", "a spec is a mapping"),
    "missing-resource": _one(
        "fields:\n  a: {type: string}\n", 1, "", "'resource' is a required property"
    ),
    "missing-fields": _one(
        "resource: Thing\ndescription: Nothing else.\n", 1, "", "'fields' is a required property"
    ),
    "no-fields": _one("resource: Thing\nfields: {}\n", 2, "fields", "should be non-empty"),
    "unknown-top-level-key": _one(
        "resource: Thing\nfields:\n  a: {type: string}\ncolour: red\n",
        4, "colour", "unknown key 'colour'",
    ),
    "unknown-field-keyword": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    maxlen: 3\n",
        5, "fields.a.maxlen", "unknown key 'maxlen'",
    ),
    "resource-not-pascal-case": _one(
        "resource: my_thing\nfields:\n  a: {type: string}\n", 1, "resource", "'my_thing'"
    ),
    # The two below point at `fields:`/`relations:` (line 2/4) instead of the bad name.
    "field-name-not-snake-case": _one(
        "resource: Thing\nfields:\n  a: {type: string}\n  firstName: {type: string}\n",
        4, "fields.firstName", "snake_case",
    ),
    "relation-name-not-snake-case": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nrelations:\n"
        "  Parent: {belongs_to: Thing, nullable: true}\n",
        5, "relations.Parent", "snake_case",
    ),
    # YAML 1.1 reads an unquoted `on` as the boolean true.
    "field-name-yaml-boolean": _one(
        "resource: Switch\nfields:\n  a: {type: string}\n  on: {type: boolean}\n",
        4, "fields.on", "'on'",
    ),
    "unknown-type": _one(
        "resource: Thing\nfields:\n  a:\n    type: strng\n", 4, "fields.a.type", "'strng'"
    ),
    "format-not-in-list": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    format: ipv4\n",
        5, "fields.a.format", "'ipv4'",
    ),
    "keyword-not-for-type": _one(
        "resource: Thing\nfields:\n  a:\n    type: integer\n    maxLength: 3\n",
        5, "fields.a.maxLength", "'maxLength' does not apply to type 'integer'",
    ),
    "enum-with-format": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    enum: [x]\n    format: date\n",
        6, "fields.a.format", "an enum has no format",
    ),
    "minLength-above-maxLength": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    minLength: 5\n    maxLength: 3\n",
        5, "fields.a.minLength", "minLength (5) is above maxLength (3)",
    ),
    "minimum-above-maximum": _one(
        "resource: Thing\nfields:\n  a:\n    type: number\n    minimum: 5\n    maximum: 3\n",
        5, "fields.a.minimum", "minimum (5) is above maximum (3)",
    ),
    "minItems-above-maxItems": _one(
        "resource: Thing\nfields:\n  a:\n    type: array\n    minItems: 5\n    maxItems: 3\n",
        5, "fields.a.minItems", "minItems (5) is above maxItems (3)",
    ),
    "integer-maximum-beyond-int64": _one(
        "resource: Thing\nfields:\n  a:\n    type: integer\n    maximum: 9223372036854775808\n",
        5, "fields.a.maximum", "64-bit",
    ),
    "integer-minimum-beyond-int64": _one(
        "resource: Thing\nfields:\n  a:\n    type: integer\n    minimum: -9223372036854775809\n",
        5, "fields.a.minimum", "64-bit",
    ),
    "invalid-pattern": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    pattern: '[a-'\n",
        5, "fields.a.pattern", "not a valid regular expression",
    ),
    "default-out-of-range": _one(
        "resource: Thing\nfields:\n  a:\n    type: integer\n    maximum: 5\n    default: 10\n",
        6, "fields.a.default", "the default does not fit the field",
    ),
    "default-not-in-enum": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    enum: [x, y]\n    default: z\n",
        6, "fields.a.default", "the default does not fit the field",
    ),
    "required-unknown-field": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nrequired: [a, b]\n",
        4, "required[1]", "'b' is not a field",
    ),
    "unique-unknown-field": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nunique: [[a, b]]\n",
        4, "unique[0][1]", "'b' is not a field",
    ),
    "relation-to-unknown-resource": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nrelations:\n"
        "  owner: {belongs_to: Nobody}\n",
        5, "relations.owner", "unknown resource 'Nobody'",
    ),
    "has-many-without-belongs-to": (
        {
            "author.yaml": "resource: Author\nfields:\n  name: {type: string}\n"
            "relations:\n  books: {has_many: Book}\n",
            "book.yaml": "resource: Book\nfields:\n  title: {type: string}\n",
        },
        [("specs/author.yaml", 5, "relations.books", "Book has no `belongs_to: Author`")],
    ),
    "set-null-without-nullable": (
        {
            "author.yaml": "resource: Author\nfields:\n  name: {type: string}\n",
            "book.yaml": "resource: Book\nfields:\n  title: {type: string}\nrelations:\n"
            "  author:\n    belongs_to: Author\n    on_delete: set_null\n",
        },
        [("specs/book.yaml", 7, "relations.author.on_delete", "`nullable: true`")],
    ),
    "belongs-to-field-collision": (
        {
            "author.yaml": "resource: Author\nfields:\n  name: {type: string}\n",
            "book.yaml": "resource: Book\nfields:\n  title: {type: string}\n"
            "  author_id: {type: integer}\nrelations:\n  author: {belongs_to: Author}\n",
        },
        [("specs/book.yaml", 6, "relations.author", "author_id, which is also declared")],
    ),
    "duplicate-resource": (
        {
            "a.yaml": "resource: Author\nfields:\n  name: {type: string}\n",
            "b.yaml": "# the same again\nresource: Author\nfields:\n  name: {type: string}\n",
        },
        [("specs/b.yaml", 2, "resource", "already defined in specs/a.yaml")],
    ),
    "shared-table": (
        {
            "a.yaml": "resource: Box\nfields:\n  name: {type: string}\n",
            "b.yaml": "resource: Boxe\nfields:\n  name: {type: string}\n",
        },
        [("specs/b.yaml", 1, "resource", "share the table 'boxes'")],
    ),
    "shared-table-by-plural": (
        {
            "a.yaml": "resource: Author\nplural: writers\nfields:\n  name: {type: string}\n",
            "b.yaml": "resource: Writer\nfields:\n  name: {type: string}\n",
        },
        [("specs/b.yaml", 1, "resource", "share the table 'writers'")],
    ),
    "double-underscore-field": _one(
        "resource: Thing\nfields:\n  a__gte: {type: integer}\n",
        3, "fields.a__gte", "double underscore",
    ),
    "default-sort-unknown-field": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nlist:\n  default_sort: -b\n",
        5, "list.default_sort", "cannot sort by 'b'",
    ),
    "default-sort-not-sortable": _one(
        "resource: Thing\nfields:\n  a: {type: array}\nlist:\n  default_sort: a\n",
        5, "list.default_sort", "cannot sort by 'a'",
    ),
    "default-limit-above-max-limit": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nlist:\n  max_limit: 50\n"
        "  default_limit: 60\n",
        6, "list.default_limit", "larger than max_limit",
    ),
    "indexed-string-without-maxLength": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    x-index: true\n",
        3, "fields.a.maxLength", "maxLength <= 672",
    ),
    "indexed-string-too-long": _one(
        "resource: Thing\nfields:\n  a:\n    type: string\n    maxLength: 1000\n"
        "    x-unique: true\n",
        5, "fields.a.maxLength", "maxLength <= 672",
    ),
    "indexed-array": _one(
        "resource: Thing\nfields:\n  a:\n    type: array\n    x-index: true\n",
        5, "fields.a.x-index", "cannot be indexed",
    ),
    "unknown-operation": _one(
        "resource: Thing\nfields:\n  a: {type: string}\noperations: [list, frobnicate]\n",
        4, "operations[1]", "'frobnicate'",
    ),
    # Nullable and optional scalars are sortable (nulls last ascending); objects are not.
    "sort-by-object-field": _one(
        "resource: Thing\nfields:\n  a: {type: string, maxLength: 5}\n"
        '  b: {type: [object, "null"]}\nrequired: [a]\nlist:\n  sort: [a, b]\n',
        7, "list.sort[1]", "cannot sort by 'b' (sortable fields are scalars",
    ),
    "filter-unknown-field": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nlist:\n  filters:\n    b: [eq]\n",
        6, "list.filters.b", "'b' is not a field",
    ),
    "filter-contains-on-integer": _one(
        "resource: Thing\nfields:\n  a: {type: integer}\nlist:\n  filters:\n"
        "    a: [eq, contains]\n",
        6, "list.filters.a[1]", "contains does not apply to an integer field; it takes: eq, gt,",
    ),
    "filter-lt-on-boolean": _one(
        "resource: Thing\nfields:\n  a: {type: boolean, default: false}\nlist:\n  filters:\n"
        "    a:\n      - eq\n      - lt\n",
        8, "list.filters.a[1]", "lt does not apply to a boolean field; it takes: eq, ne",
    ),
    "filter-eq-on-array": _one(
        "resource: Thing\nfields:\n  a: {type: array}\nlist:\n  filters:\n    a: [eq]\n",
        6, "list.filters.a[0]", "eq does not apply to an array field; it takes: is_null",
    ),
    "filter-is-null-on-never-null-field": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nrequired: [a]\nlist:\n  filters:\n"
        "    a: [eq, is_null]\n",
        7, "list.filters.a[1]", "a is never null; remove is_null",
    ),
    "filter-named-like-a-list-parameter": _one(
        "resource: Thing\nfields:\n  count: {type: integer}\nlist:\n  filters:\n"
        "    count: [eq]\n",
        6, "list.filters.count", "'count' is also a list parameter",
    ),
    "relation-named-like-a-field": _one(
        "resource: Thing\nfields:\n  parent: {type: string}\nrelations:\n"
        "  parent: {belongs_to: Thing, nullable: true}\n",
        5, "relations.parent", "'parent' names a field too",
    ),
    "bulk-create-without-create": _one(
        "resource: Thing\nfields:\n  a: {type: string}\noperations: [list, get]\n"
        "bulk_create:\n  max_items: 10\n",
        5, "bulk_create", "bulk_create needs the create operation",
    ),
    "many-to-many-with-itself": _one(
        "resource: Thing\nfields:\n  a: {type: string}\nrelations:\n"
        "  friends: {many_to_many: Thing}\n",
        5, "relations.friends", "cannot be many-to-many with itself",
    ),
    "has-many-ambiguous": (
        {
            "team.yaml": "resource: Team\nfields:\n  name: {type: string}\n"
            "relations:\n  matches: {has_many: Match}\n",
            "match.yaml": "resource: Match\nfields:\n  round: {type: integer}\nrelations:\n"
            "  home: {belongs_to: Team}\n  away: {belongs_to: Team}\n",
        },
        [("specs/team.yaml", 5, "relations.matches", "Match belongs to Team twice")],
    ),
}  # fmt: skip


@pytest.mark.parametrize(("specs", "expected"), list(_CASES.values()), ids=list(_CASES))
def test_spec_error_names_file_line_and_key(
    tmp_path: Path, specs: dict[str, str], expected: list[Expected]
) -> None:
    errors = spec_errors(tmp_path, specs)
    assert [(e.file, e.line, e.key) for e in errors] == [exp[:3] for exp in expected]
    for error, (*_, fragment) in zip(errors, expected, strict=True):
        assert fragment in error.message


# Server columns, Python keywords, Pydantic's attributes, and builtin types that a schema's
# annotations name (datamodel-code-generator would rename the field, `int_`, with an alias).
@pytest.mark.parametrize(
    "name",
    ["id", "created_at", "updated_at", "version", "deleted_at", "model_x", "class", "register",
     "int", "str", "bool", "float", "list"],
)  # fmt: skip
def test_reserved_field_name(tmp_path: Path, name: str) -> None:
    text = f"resource: Thing\nfields:\n  a: {{type: string}}\n  {name}: {{type: string}}\n"
    errors = spec_errors(tmp_path, {"x.yaml": text})
    assert [(e.file, e.line, e.key) for e in errors] == [(X, 4, f"fields.{name}")]
    assert f"{name!r} is reserved" in errors[0].message


def test_live_is_reserved_in_a_soft_deletable_resource_only(tmp_path: Path) -> None:
    """Its unique keys end with the generated column ``live`` on MariaDB/MySQL."""
    text = "resource: Thing\nfields:\n  live: {type: boolean}\n"
    errors = spec_errors(tmp_path, {"x.yaml": text + "soft_delete: true\n"})
    assert [(e.file, e.line, e.key) for e in errors] == [(X, 3, "fields.live")]
    assert "'live' is reserved in a soft-deletable resource" in errors[0].message
    write_specs(tmp_path, {"x.yaml": text})
    assert [r.name for r in load_project(tmp_path).resources] == ["Thing"]


def test_unknown_type_says_which_types_exist(tmp_path: Path) -> None:
    """A spec error says what to fix: for a misspelt type, the types there are."""
    errors = spec_errors(tmp_path, {"x.yaml": "resource: Thing\nfields:\n  a: {type: strng}\n"})
    assert len(errors) == 1
    for known in ("string", "integer", "number", "boolean", "array", "object"):
        assert known in errors[0].message


def test_error_renders_as_file_line_key_message(tmp_path: Path) -> None:
    errors = spec_errors(tmp_path, {"x.yaml": "resource: Thing\nfields:\n  a: {type: strng}\n"})
    assert str(errors[0]).startswith("specs/x.yaml:3: fields.a.type: ")
