"""Where a resource's own operations live, under the resource's path: one table, read by
the build stage (which makes the operations) and by validation (which keeps a spec's
actions off those routes, before any operation is built)."""

from __future__ import annotations

from collections.abc import Iterable

from generator.ir import OperationKind

__all__ = ["BULK_PATH", "CRUD_ROUTES", "item_path", "key_name", "nested_path", "own_routes"]

# Method, path after the resource's own ({key}: the row's id parameter) and success status.
CRUD_ROUTES: dict[OperationKind, tuple[str, str, int]] = {
    OperationKind.LIST: ("GET", "", 200),
    OperationKind.GET: ("GET", "/{key}", 200),
    OperationKind.CREATE: ("POST", "", 201),
    OperationKind.REPLACE: ("PUT", "/{key}", 200),
    OperationKind.UPDATE: ("PATCH", "/{key}", 200),
    OperationKind.DELETE: ("DELETE", "/{key}", 204),
}
BULK_PATH = "/bulk"


def key_name(module: str) -> str:
    """The path parameter naming one row: ``event_id`` (``id`` would shadow a builtin)."""
    return f"{module}_id"


def item_path(module: str) -> str:
    """``/{event_id}``: one row, under the resource's path."""
    return f"/{{{key_name(module)}}}"


def nested_path(module: str, relation: str) -> str:
    """``/{event_id}/images``: a row's related rows, under the resource's path."""
    return f"{item_path(module)}/{relation}"


def own_routes(
    module: str, operations: Iterable[str], *, bulk: bool, collections: Iterable[str]
) -> dict[tuple[str, str], str]:
    """The routes a resource's own operations take that an action could also name:
    ``{(method, path under the resource's): what serves it}``. ``operations`` are the
    CRUD ones it declares, ``collections`` its has-many and many-to-many relations.
    (A link's path names two ids, which no action path does.)"""
    routes: dict[tuple[str, str], str] = {}
    for name in operations:
        method, path, _ = CRUD_ROUTES[OperationKind(name)]
        routes[(method, path.replace("/{key}", item_path(module)))] = name
    if bulk:
        routes[("POST", BULK_PATH)] = "bulk_create"
    for relation in collections:
        routes[("GET", nested_path(module, relation))] = f"list of {relation}"
    return routes
