"""Names derived from a resource name: module, path, table, classes and constraints."""

from __future__ import annotations

import hashlib
import keyword
import re
from collections.abc import Iterable

__all__ = [
    "FIXED_SCHEMAS",
    "LIVE_COLUMN",
    "RESERVED_FIELDS",
    "SCHEMA_FAMILY",
    "SHARED_MODULE",
    "constraint_name",
    "generated_schema_names",
    "is_reserved_field",
    "pluralize",
    "snake_case",
]

# Server-managed columns, and attribute names SQLAlchemy's declarative base already uses.
# Pydantic's own model attributes are refused too, and the builtin types a schema's
# annotations name (datamodel-code-generator renames `int: int` to `int_`), so no field
# ever needs an alias.
RESERVED_FIELDS = frozenset(
    {"id", "created_at", "updated_at", "version", "deleted_at", "metadata", "registry", "query",
     "schema", "json", "dict", "copy", "construct", "validate", "fields", "parse_obj",
     "from_orm", "mro", "parse_file", "parse_raw", "register", "schema_json",
     "update_forward_refs", "bool", "float", "int", "list", "str"}
)  # fmt: skip

# The generated column of a soft-deletable table with unique keys (1 while the row is
# live, null once deleted; app.core.data.softdelete.LIVE): such a resource cannot have a
# field of its name.
LIVE_COLUMN = "live"

# Schema names the contract uses besides the enums: the API's own, and each resource's family.
FIXED_SCHEMAS = ("Problem", "ValidationError", "Health", "Readiness")
SCHEMA_FAMILY = ("Create", "Update", "Read", "Page", "Expanded")
# The package of generated/ that holds the shared models of OpenAPI documents.
SHARED_MODULE = "shared"

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_IRREGULAR = {"person": "people", "child": "children", "man": "men", "woman": "women"}


def snake_case(name: str) -> str:
    """``EventImage`` -> ``event_image``; ``HTTPLog`` -> ``http_log``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def pluralize(word: str) -> str:
    """English plural of the last word of a snake_case name: ``category`` -> ``categories``."""
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in _IRREGULAR:
        return prefix + _IRREGULAR[last]
    if re.search(r"[^aeiou]y$", last):
        return prefix + last[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", last):
        return prefix + last + "es"
    return prefix + last + "s"


def generated_schema_names(resources: Iterable[str]) -> set[str]:
    """The schema names the generator writes into the contract for these resources."""
    names = set(FIXED_SCHEMAS)
    names.update(f"{resource}{suffix}" for resource in resources for suffix in SCHEMA_FAMILY)
    return names


def is_reserved_field(name: str) -> bool:
    return name in RESERVED_FIELDS or keyword.iskeyword(name) or name.startswith(("_", "model_"))


def constraint_name(kind: str, table: str, columns: tuple[str, ...]) -> str:
    """A stable constraint name, shortened with a digest past PostgreSQL's 63 bytes."""
    name = f"{kind}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name

    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{name[:54]}_{digest}"
