"""Comparing two contracts: every change, breaking or not, with where it is.

A change is breaking when a client written against the old contract can fail
against the new one. Requests and responses are read in opposite directions: a
request may accept more but not less; a response may say more but not less.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Change", "diff_contracts", "load_document"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


@dataclass(frozen=True, order=True)
class Change:
    """One difference: where (a JSON path), whether it breaks clients, and what it is."""

    path: str
    breaking: bool
    message: str

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'ok      '}  {self.path}: {self.message}"


def load_document(path: Path) -> dict[str, Any]:
    """A contract from a YAML or JSON file (JSON is YAML)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or "paths" not in document:
        raise ValueError(f"{path}: not an OpenAPI document (no `paths`)")
    return document


def diff_contracts(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, sorted by path."""
    differ = _Differ(old, new)
    return sorted(differ.paths())


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new

    def paths(self) -> Iterator[Change]:
        old_paths, new_paths = self.old.get("paths", {}), self.new.get("paths", {})
        for path in sorted(set(old_paths) | set(new_paths)):
            at = f"paths.{path}"
            if path not in new_paths:
                yield Change(at, True, "path removed")
            elif path not in old_paths:
                yield Change(at, False, "path added")
            else:
                yield from self._path_item(at, old_paths[path], new_paths[path])

    def _path_item(self, at: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
        for method in _METHODS:
            where = f"{at}.{method}"
            if method in old and method not in new:
                yield Change(where, True, "operation removed")
            elif method in new and method not in old:
                yield Change(where, False, "operation added")
            elif method in old:
                yield from self._operation(where, old[method], new[method])

    def _operation(self, at: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
        yield from self._parameters(at, old.get("parameters", []), new.get("parameters", []))
        old_body = self._body_schemas(old.get("requestBody"))
        new_body = self._body_schemas(new.get("requestBody"))
        for media in sorted(set(old_body) | set(new_body)):
            where = f"{at}.requestBody.{media}"
            if media not in new_body:
                yield Change(where, True, "request media type no longer accepted")
            elif media not in old_body:
                yield Change(where, False, "request media type added")
            else:
                yield from self._schema(where, old_body[media], new_body[media], request=True)
        yield from self._responses(at, old.get("responses", {}), new.get("responses", {}))

    def _parameters(
        self, at: str, old: list[dict[str, Any]], new: list[dict[str, Any]]
    ) -> Iterator[Change]:
        old_by = {(p["in"], p["name"]): p for p in map(self._resolve_in_old, old)}
        new_by = {(p["in"], p["name"]): p for p in map(self._resolve_in_new, new)}
        for key in sorted(set(old_by) | set(new_by)):
            where = f"{at}.parameters.{key[0]}.{key[1]}"
            if key not in new_by:
                yield Change(where, True, "parameter removed")
            elif key not in old_by:
                required = bool(new_by[key].get("required"))
                message = "required parameter added" if required else "optional parameter added"
                yield Change(where, required, message)
            else:
                was, now = old_by[key], new_by[key]
                if now.get("required") and not was.get("required"):
                    yield Change(where, True, "parameter became required")
                yield from self._schema(
                    where, was.get("schema", {}), now.get("schema", {}), request=True
                )

    def _responses(self, at: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
        for status in sorted(set(old) | set(new)):
            where = f"{at}.responses.{status}"
            if status not in new:
                yield Change(where, status.startswith("2"), "response removed")
            elif status not in old:
                yield Change(where, status.startswith("2"), "response added")
            else:
                old_bodies = self._body_schemas(self._resolve_in_old(old[status]))
                new_bodies = self._body_schemas(self._resolve_in_new(new[status]))
                for media in sorted(set(old_bodies) & set(new_bodies)):
                    yield from self._schema(
                        f"{where}.{media}", old_bodies[media], new_bodies[media], request=False
                    )
                for media in sorted(set(old_bodies) - set(new_bodies)):
                    yield Change(f"{where}.{media}", True, "response media type removed")

    def _schema(
        self, at: str, old: Any, new: Any, *, request: bool, seen: frozenset[str] = frozenset()
    ) -> Iterator[Change]:
        old, new = self._deref(old, self.old), self._deref(new, self.new)
        key = f"{id(old)}:{id(new)}"
        if key in seen or not isinstance(old, dict) or not isinstance(new, dict):
            return
        seen = seen | {key}
        yield from _type_changes(at, old, new, request=request)
        yield from _enum_changes(at, old, new, request=request)
        if request:
            yield from _bound_changes(at, old, new)
        yield from self._property_changes(at, old, new, request=request, seen=seen)
        if "items" in old and "items" in new:
            yield from self._schema(
                f"{at}.items", old["items"], new["items"], request=request, seen=seen
            )

    def _property_changes(
        self, at: str, old: dict[str, Any], new: dict[str, Any], *, request: bool,
        seen: frozenset[str],
    ) -> Iterator[Change]:  # fmt: skip
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(set(old_props) | set(new_props)):
            where = f"{at}.properties.{name}"
            if name not in new_props:
                yield Change(where, True, "field removed")
            elif name not in old_props:
                breaks = request and name in new_required
                yield Change(where, breaks, f"{'required' if breaks else 'optional'} field added")
            else:
                if request and name in new_required and name not in old_required:
                    yield Change(where, True, "field became required")
                if not request and name in old_required and name not in new_required:
                    yield Change(where, True, "field may now be absent")
                yield from self._schema(
                    where, old_props[name], new_props[name], request=request, seen=seen
                )

    def _body_schemas(self, holder: Any) -> dict[str, Any]:
        if not isinstance(holder, dict):
            return {}
        content = holder.get("content", {})
        return {media: spec.get("schema", {}) for media, spec in content.items()}

    def _resolve_in_old(self, node: Any) -> Any:
        return self._deref(node, self.old)

    def _resolve_in_new(self, node: Any) -> Any:
        return self._deref(node, self.new)

    @staticmethod
    def _deref(node: Any, document: dict[str, Any]) -> Any:
        for _ in range(32):  # a chain of refs, never a cycle
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            ref: str = node["$ref"]
            target: Any = document
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, dict) else target
        return node


def _types(schema: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema admits, or None when it does not say."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list):
        found: set[str] = set()
        for branch in branches:
            inner = _types(branch) if isinstance(branch, dict) else None
            found |= inner if inner is not None else {"object-ref"}
        return found
    return None


def _type_changes(
    at: str, old: dict[str, Any], new: dict[str, Any], *, request: bool
) -> Iterator[Change]:
    before, after = _types(old), _types(new)
    if before is None or after is None or before == after:
        return
    if "integer" in before and "number" in after:
        before = before | {"number"}
    lost, gained = before - after, after - before
    if request and lost:
        yield Change(at, True, f"no longer accepts {', '.join(sorted(lost))}")
    elif not request and gained:
        yield Change(at, True, f"may now answer {', '.join(sorted(gained))}")
    else:
        yield Change(at, False, f"type {sorted(before)} -> {sorted(after)}")


def _enum_changes(
    at: str, old: dict[str, Any], new: dict[str, Any], *, request: bool
) -> Iterator[Change]:
    if "enum" not in old and "enum" not in new:
        return
    if "enum" not in new:
        yield Change(at, False, "enum lifted")
        return
    if "enum" not in old:
        yield Change(at, request, "enum added")
        return
    removed = [v for v in old["enum"] if v not in new["enum"]]
    added = [v for v in new["enum"] if v not in old["enum"]]
    if removed:
        yield Change(at, True, f"enum value removed: {', '.join(map(str, removed))}")
    if added:
        yield Change(at, False, f"enum value added: {', '.join(map(str, added))}")


def _bound_changes(at: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """In a request, a tighter bound refuses values clients send today."""
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            yield Change(f"{at}.{key}", True, f"narrowed to {new[key]} (was {old.get(key, '-')})")
        elif key in old and (key not in new or new[key] > old[key]):
            yield Change(f"{at}.{key}", False, f"widened to {new.get(key, '-')} (was {old[key]})")
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            yield Change(f"{at}.{key}", True, f"narrowed to {new[key]} (was {old.get(key, '-')})")
        elif key in old and (key not in new or new[key] < old[key]):
            yield Change(f"{at}.{key}", False, f"widened to {new.get(key, '-')} (was {old[key]})")
    for key in ("pattern", "format"):
        if old.get(key) != new.get(key) and key in new:
            shown = repr(new[key]) if len(repr(new[key])) <= 60 else repr(new[key])[:57] + "..."
            yield Change(f"{at}.{key}", True, f"{key} changed to {shown}")
        elif old.get(key) != new.get(key):
            yield Change(f"{at}.{key}", False, f"{key} lifted")
