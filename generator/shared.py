"""Shared models: the schemas that are no resource, each named once for the contract.

A shared model is a ``components.schemas`` entry of an OpenAPI document without
``x-resource``, or any schema a ``$ref`` reaches by name: a top-level key of a
fragment (``./common.yaml#/Money``), a ``$defs``/``definitions``/``schemas`` entry, or
a whole file (``./money.yaml``, named ``Money``). Each is kept once, its ``$ref``s
rewritten to ``#/components/schemas/<name>``; a ``$ref`` deeper into a schema
(``#/Money/properties/amount``) has no name and is copied in place instead.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from generator.errors import SpecError
from generator.hardening import harden
from generator.ir import SharedModel
from generator.load import KeyPath
from generator.naming import generated_schema_names
from generator.normalize import upgrade_schema
from generator.refs import Files, RefError, Target, map_subschemas

__all__ = ["CONTRACT_REF", "SharedSchemas"]

CONTRACT_REF = "#/components/schemas/"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NAMED_GROUPS = frozenset(("$defs", "definitions", "schemas"))


class SharedSchemas:
    """Collects shared models while the inputs are read; ``finish`` answers them."""

    def __init__(self, files: Files, resources: Mapping[Target, str]) -> None:
        self.files = files
        self._resources = resources  # where each x-resource schema is: never shared
        self._names: dict[Target, str] = {}
        self._targets: dict[str, Target] = {}
        self._openapi30: dict[Target, bool] = {}
        self._queue: list[Target] = []
        self.errors: list[SpecError] = []

    def __contains__(self, target: Target) -> bool:
        return target in self._names

    def record(self, exc: RefError) -> None:
        if exc.error is not None:
            self.errors.append(exc.error)

    def add(self, name: str, target: Target, *, openapi30: bool, origin: Target) -> str:
        """Keep the schema at ``target`` as ``name`` (``origin``: where the name comes from)."""
        if target in self._names:
            return self._names[target]
        doc = self.files.doc(origin.path)
        if not _NAME.match(name):
            message = f"{name!r} cannot name a schema of the contract: use letters, digits and _"
            self.errors.append(doc.error(origin.pointer, message))
        other = self._targets.setdefault(name, target)
        if other != target:
            message = f"two schemas would be named {name} in the contract: this one and the one "
            message += f"at {self._where(other)}; rename one"
            self.errors.append(doc.error(origin.pointer, message))
        self._names[target] = name
        self._openapi30[target] = openapi30
        self._queue.append(target)
        return name

    def reference(self, target: Target, origin: Target, ref: str, *, openapi30: bool) -> str | None:
        """The contract name of the schema a ``$ref`` (at ``origin``) reaches; None: no name."""
        if target in self._resources:
            resource = self._resources[target]
            message = f"{ref!r} is the resource {resource}: a resource refers to another one "
            message += f"through a relation ({{belongs_to: {resource}}}), not a $ref"
            raise RefError(self.files.doc(origin.path).error(origin.pointer, message))
        if target in self._names:
            return self._names[target]
        content = self.files.follow(target)  # a bare alias is the schema it leads to
        if content in self._names:
            return self._names[content]
        name = _default_name(target)
        if name is None:
            return None
        return self.add(name, target, openapi30=openapi30, origin=origin)

    def rewrite(
        self, path: str, at: KeyPath, schema: Any, *, openapi30: bool, inlining: frozenset[Target]
    ) -> Any:
        """``schema`` (found at ``path``:``at``) with every ``$ref`` pointing into the contract."""
        if not isinstance(schema, dict):
            return schema

        def sub(key: KeyPath, value: Any) -> Any:
            return self.rewrite(path, (*at, *key), value, openapi30=openapi30, inlining=inlining)

        out = map_subschemas(schema, sub)
        if "$ref" not in out:
            return out
        ref = out["$ref"]
        rest = {k: v for k, v in out.items() if k != "$ref"}
        try:
            target = self.files.resolve(path, at, ref)
            name = self.reference(target, Target(path, (*at, "$ref")), ref, openapi30=openapi30)
        except RefError as exc:
            self.record(exc)
            return rest
        if name is not None:
            return {k: CONTRACT_REF + name if k == "$ref" else v for k, v in out.items()}
        if target in inlining:
            message = f"{ref!r} refers to a schema that contains it; give the schema a name"
            self.errors.append(self.files.doc(path).error((*at, "$ref"), message))
            return rest
        node = self.files.node(target)
        inlined = self.rewrite(target.path, target.pointer, node, openapi30=openapi30,
                               inlining=inlining | {target})  # fmt: skip
        return {**inlined, **rest} if isinstance(inlined, dict) else inlined

    def type_of(self, target: Target, *, openapi30: bool) -> tuple[str | None, bool]:
        """The JSON type of the schema at ``target`` (None: it says none); if it admits null."""
        node = self.files.node(self.files.follow(target))
        if openapi30:
            node = upgrade_schema(node)
        if not isinstance(node, dict):
            return None, False
        declared = node.get("type")
        types = declared if isinstance(declared, list) else [declared] if declared else []
        real = [t for t in types if t != "null"]
        if len(real) == 1:
            return str(real[0]), "null" in types
        if not types and ("properties" in node or "additionalProperties" in node):
            return "object", False
        if not types and "items" in node:
            return "array", False
        return None, False

    def finish(self) -> tuple[SharedModel, ...]:
        """Every shared model, its ``$ref``s into the contract and 3.0 made 3.1, by name."""
        models: dict[str, SharedModel] = {}
        while self._queue:
            target = self._queue.pop(0)
            name, openapi30 = self._names[target], self._openapi30[target]
            node = self.files.node(target)
            if not isinstance(node, dict):
                message = f"the schema {name} is not a mapping of JSON Schema keywords"
                self.errors.append(self.files.doc(target.path).error(target.pointer, message))
                continue
            schema = self.rewrite(target.path, target.pointer, node, openapi30=openapi30,
                                  inlining=frozenset({target}))  # fmt: skip
            schema = upgrade_schema(schema) if openapi30 else schema
            # Bounds and NUL refusal, as for a resource's own fields: what the runtime
            # parses and stores is what the contract admits.
            schema = harden(schema)
            models.setdefault(name, SharedModel(name, schema, target.path))
        return tuple(models[name] for name in sorted(models))

    def clash_errors(
        self, resources: Iterable[str], actions: Iterable[str] = ()
    ) -> Iterator[SpecError]:
        """Shared models named like a schema the generator writes itself (``actions``:
        the schemas of the resources' actions)."""
        generated = generated_schema_names(resources) | set(actions)
        for name, target in sorted(self._targets.items()):
            if name in generated:
                message = f"the contract already has a schema {name} (generated for the "
                message += "resources or the API itself); rename this one"
                yield self.files.doc(target.path).error(target.pointer, message)

    def _where(self, target: Target) -> str:
        return f"{target.path}:{self.files.doc(target.path).line_of(target.pointer)}"


def _default_name(target: Target) -> str | None:
    pointer = target.pointer
    if not pointer:
        stem = posixpath.splitext(posixpath.basename(target.path))[0]
        return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", stem) if part)
    if len(pointer) == 1:
        return str(pointer[0])
    if len(pointer) == 2 and pointer[0] in _NAMED_GROUPS:
        return str(pointer[1])
    if len(pointer) == 3 and pointer[:2] == ("components", "schemas"):
        return str(pointer[2])
    return None
