"""Calls to the served grid app, and what the grid's tables say each answer must hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from generator.naming import pluralize, snake_case
from tests.e2e.grid.conftest import Grid
from tests.support.grid import BELONGS_TO, PARENT, POSITIONS, Kind, Position, kinds_of

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
PROBLEM_JSON = "application/problem+json"


def path_of(resource: str) -> str:
    """``/required-nullable-rows`` of ``RequiredNullableRow``."""
    return "/" + pluralize(snake_case(resource)).replace("_", "-")


def absent_value(position: Position, kind: Kind) -> Any:
    """What a row answers for a field its create left out."""
    return kind.default if position.defaulted else None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396, written again here so that the test does not trust the server's."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@dataclass
class Checker:
    """Calls the grid app, never accepting a 5xx, and collects every mismatch found, so
    that one run tells all of them."""

    grid: Grid
    problems: list[str] = field(default_factory=list)
    parent_id: str | None = None

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None or method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = body
        answer = self.grid.client.request(method, path, **kwargs)
        assert answer.status_code < 500, f"{method} {path} {body!r}: {answer.text}"
        return answer

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.problems.append(f"[{self.grid.dialect}] {message}")

    def valid(self, body: Any, schema: dict[str, Any], what: str) -> None:
        root = {**schema, "components": self.grid.contract["components"]}
        for error in Draft202012Validator(root).iter_errors(body):
            self.expect(False, f"{what}: {error.message} at {list(error.absolute_path)}")

    def valid_as(self, body: Any, name: str, what: str) -> None:
        self.valid(body, {"$ref": f"#/components/schemas/{name}"}, what)

    def answered(self, answer: httpx.Response, status: int, position: Position, what: str) -> None:
        """``status``, with a body the contract's read schema admits."""
        self.expect(answer.status_code == status, f"{what}: {answer.status_code} {answer.text}")
        if answer.status_code == status:
            self.valid_as(answer.json(), f"{position.resource}Read", what)

    def refused(self, answer: httpx.Response, pointer: str, what: str) -> None:
        """A 422 problem whose errors name ``pointer``."""
        media = answer.headers.get("content-type", "")
        self.expect(answer.status_code == 422, f"{what}: {answer.status_code} {answer.text}")
        if answer.status_code == 422:
            pointers = [error.get("pointer") for error in answer.json().get("errors", [])]
            self.expect(media.startswith(PROBLEM_JSON), f"{what}: content-type {media}")
            self.expect(pointer in pointers, f"{what}: pointers {pointers}, not {pointer}")

    def parent(self) -> str:
        if self.parent_id is None:
            created = self.call("POST", path_of(PARENT), {"name": "grid parent"})
            assert created.status_code == 201, created.text
            self.parent_id = created.json()["id"]
        return self.parent_id

    def body(self, position: Position, *, full: bool, values: str = "value") -> dict[str, Any]:
        """A create body: every field (``full``) or the required ones only."""
        out = {k.name: getattr(k, values) for k in kinds_of(position) if full or position.required}
        if position.name in BELONGS_TO and (full or position.required):
            out["parent_id"] = self.parent()
        return out

    def count(self, position: Position) -> int:
        listed = self.call("GET", path_of(position.resource), params={"count": "true", "limit": 1})
        total: int = listed.json()["total"]
        return total

    def create(self, position: Position, body: dict[str, Any], what: str) -> dict[str, Any]:
        answer = self.call("POST", path_of(position.resource), body)
        assert answer.status_code == 201, f"{what}: {answer.text}"
        created: dict[str, Any] = answer.json()
        self.valid_as(created, f"{position.resource}Read", what)
        return created

    def get(self, position: Position, row_id: Any) -> dict[str, Any]:
        answer = self.call("GET", f"{path_of(position.resource)}/{row_id}")
        assert answer.status_code == 200, answer.text
        row: dict[str, Any] = answer.json()
        return row

    def fields(
        self, position: Position, row: dict[str, Any], expected: dict[str, Any], what: str
    ) -> None:
        """Each field of ``expected`` holds its value in ``row``."""
        for name, value in expected.items():
            self.expect(
                name in row and row[name] == value,
                f"{position.name}.{name} {what}: {row.get(name, '(absent)')!r}, not {value!r}",
            )


def field_names(position: Position) -> Iterator[tuple[str, bool]]:
    """``(field, nullable)`` of every field of a position's resource, its key included."""
    for kind in kinds_of(position):
        yield kind.name, position.nullable
    if position.name in BELONGS_TO:
        yield "parent_id", position.nullable


__all__ = [
    "MERGE_PATCH",
    "POSITIONS",
    "Checker",
    "absent_value",
    "field_names",
    "kinds_of",
    "merge_patch",
    "path_of",
]
