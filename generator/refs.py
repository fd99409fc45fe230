"""Following ``$ref`` between the files of specs/: relative paths and JSON pointers.

A ``$ref`` is resolved against the file it is written in, as JSON Schema and OpenAPI
say: ``./schemas/common.yaml#/Money`` from ``specs/shop/openapi.yaml`` names the key
``Money`` of ``specs/shop/schemas/common.yaml``. Only files in specs/ can be reached;
a ``$ref`` that reaches nothing is a spec error at the line of the ``$ref``.
"""

from __future__ import annotations

import copy
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson

from generator.errors import SpecError
from generator.load import KeyPath, SourceDoc

__all__ = ["Files", "RefError", "Target", "has_refs", "map_subschemas", "walk_refs"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Keywords whose value is a schema, a list of schemas, or a map of names to schemas;
# every other keyword holds data (enum, default, examples, ...) and is never walked.
_SCHEMA_KEYS = frozenset(
    ("items", "additionalProperties", "not", "if", "then", "else", "contains",
     "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems")
)  # fmt: skip
_SCHEMA_LIST_KEYS = frozenset(("allOf", "anyOf", "oneOf", "prefixItems"))
_SCHEMA_MAP_KEYS = frozenset(
    ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
)


@dataclass(frozen=True)
class Target:
    """Where a ``$ref`` leads: a file of specs/ and the key path inside it."""

    path: str
    pointer: KeyPath


class RefError(Exception):
    """A ``$ref`` that reaches nothing; ``error`` is None when its file did not even load."""

    def __init__(self, error: SpecError | None) -> None:
        self.error = error
        super().__init__(str(error))


class Files:
    """The loaded files of specs/, by the path errors show (``specs/shop/openapi.yaml``)."""

    def __init__(self, docs: Iterable[SourceDoc], unreadable: Iterable[str] = ()) -> None:
        self._docs = {doc.path: doc for doc in docs}
        self._unreadable = frozenset(unreadable)

    def doc(self, path: str) -> SourceDoc:
        return self._docs[path]

    def node(self, target: Target) -> Any:
        node = self._docs[target.path].data
        for key in target.pointer:
            node = node[key]
        return node

    def resolve(self, origin: str, at: KeyPath, ref: Any) -> Target:
        """The target of the ``$ref`` found at ``origin``:``at`` (the schema holding it)."""
        doc = self._docs[origin]
        where = (*at, "$ref")
        path = self.file_of(origin, at, ref)
        fragment = ref.partition("#")[2]
        if fragment and not fragment.startswith("/"):
            message = f"{ref!r}: the part after # must be a JSON pointer such as #/Money"
            raise RefError(doc.error(where, message))
        pointer = self._walk(path, fragment)
        if pointer is None:
            message = f"{ref!r}: {path} has nothing at #{fragment}; check the JSON pointer"
            raise RefError(doc.error(where, message))
        return Target(path, pointer)

    def file_of(self, origin: str, at: KeyPath, ref: Any) -> str:
        """The file a ``$ref`` names (``origin`` itself for ``#/...``), which must be loaded."""
        doc = self._docs[origin]
        where = (*at, "$ref")
        if not isinstance(ref, str):
            raise RefError(doc.error(where, "a $ref is a string: a file, a JSON pointer or both"))
        file_part = ref.partition("#")[0]
        if _SCHEME.match(file_part):
            message = f"{ref!r}: only files in specs/ can be referred to; copy the schema there"
            raise RefError(doc.error(where, message))
        if not file_part:
            return origin
        path = posixpath.normpath(posixpath.join(posixpath.dirname(origin), unquote(file_part)))
        if path in self._unreadable:
            raise RefError(None)  # its own error says why
        if path not in self._docs:
            raise RefError(doc.error(where, f"{ref!r}: no such file in specs/ ({path})"))
        return path

    def follow(self, target: Target) -> Target:
        """Where a chain of bare aliases (``{$ref: ...}`` and nothing else) ends."""
        seen = {target}
        node = self.node(target)
        while isinstance(node, dict) and set(node) == {"$ref"}:
            target = self.resolve(target.path, target.pointer, node["$ref"])
            if target in seen:
                doc = self._docs[target.path]
                message = "these $refs refer to each other in a loop; one must hold a schema"
                raise RefError(doc.error((*target.pointer, "$ref"), message))
            seen.add(target)
            node = self.node(target)
        return target

    def _walk(self, path: str, fragment: str) -> KeyPath | None:
        node = self._docs[path].data
        pointer: list[str | int] = []
        for token in fragment.split("/")[1:] if fragment else ():
            key = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                pointer.append(key)
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                pointer.append(int(key))
                node = node[int(key)]
            else:
                return None
        return tuple(pointer)


def map_subschemas(schema: dict[str, Any], apply: Callable[[KeyPath, Any], Any]) -> dict[str, Any]:
    """A copy of ``schema`` with ``apply(key path, subschema)`` done to each direct subschema."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_KEYS and isinstance(value, dict):
            out[key] = apply((key,), value)
        elif key in _SCHEMA_LIST_KEYS | {"items"} and isinstance(value, list):
            out[key] = [apply((key, index), item) for index, item in enumerate(value)]
        elif key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {name: apply((key, name), sub) for name, sub in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def has_refs(node: Any) -> bool:
    """Whether :func:`walk_refs` finds any ``$ref`` in ``node``.

    Told from its JSON text (in C), which holds ``"$ref":`` if any object has that key; a
    node JSON cannot write (a key that is no string, a YAML type of its own) is walked.
    """
    try:
        text = orjson.dumps(node, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return any(True for _ in walk_refs(node))
    return b'"$ref":' in text


def walk_refs(node: Any, at: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """``(key path of the object holding it, value)`` of every ``$ref`` anywhere in ``node``."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield at, node["$ref"]
        for key, value in node.items():
            yield from walk_refs(value, (*at, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk_refs(item, (*at, index))
