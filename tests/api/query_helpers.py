"""Helpers of the list, paging and concurrency tests: whole lists, sort orders, and an
async client for requests that must really overlap."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.helpers import parse_utc

Row = dict[str, Any]
T = TypeVar("T")


def listed(client: TestClient, path: str, params: Mapping[str, Any], limit: int = 100) -> list[Row]:
    """Every row of a (filtered, sorted) list, following ``next_cursor`` with the same query."""
    rows: list[Row] = []
    query: dict[str, Any] = {**params, "limit": limit}
    for _ in range(1000):
        response = client.get(path, params=query)
        assert response.status_code == 200, f"{path} {query}: {response.text}"
        page = response.json()
        rows.extend(page["items"])
        if page["next_cursor"] is None:
            return rows
        query = {**params, "limit": limit, "cursor": page["next_cursor"]}
    raise AssertionError("next_cursor never ends")


def ids(rows: list[Row]) -> list[int]:
    return [r["id"] for r in rows]


# -- sort orders --------------------------------------------------------------------------------

SORT_VALUES: dict[str, Callable[[Row], Any]] = {
    "name": lambda r: r["name"],
    "starts_at": lambda r: parse_utc(r["starts_at"]),
    "capacity": lambda r: r["capacity"],
    "created_at": lambda r: parse_utc(r["created_at"]),
    "width": lambda r: r["width"],
    "height": lambda r: r["height"],
    "city": lambda r: r["city"],
    "seats": lambda r: r["seats"],
    "opened": lambda r: r["opened"],  # ISO 8601 dates sort as their text
    "id": lambda r: r["id"],
}


def order_of(sort: str) -> list[tuple[str, bool]]:
    """The keys a ``?sort=`` means: the named fields, then the id in the direction of the
    last of them (the tie-breaker that makes the order total)."""
    keys: list[tuple[str, bool]] = []
    for part in sort.split(","):
        name = part.removeprefix("-")
        if all(name != known for known, _ in keys):  # a field named again changes nothing
            keys.append((name, part.startswith("-")))
    if keys[-1][0] != "id":
        keys.append(("id", keys[-1][1]))
    return keys


def compare(sort: str, a: Row, b: Row) -> int:
    """-1, 0 or 1: where ``a`` lies against ``b`` in the order ``sort`` means; a null
    is greater than every value (last ascending, first descending)."""
    for name, descending in order_of(sort):
        x, y = SORT_VALUES[name](a), SORT_VALUES[name](b)
        if x != y:
            greater = x is None or (y is not None and x > y)
            return (1 if greater else -1) * (-1 if descending else 1)
    return 0


def sort_key(sort: str) -> Callable[[Row], Any]:
    return functools.cmp_to_key(functools.partial(compare, sort))


def sorted_ids(rows: list[Row], sort: str) -> list[int]:
    return ids(sorted(rows, key=sort_key(sort)))


# -- an async client ----------------------------------------------------------------------------


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` with its lifespan running (engine open, schema created).

    ``TestClient`` answers one request at a time; this one lets many be in flight at
    once, in one event loop, against one app and one engine.
    """
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def run_against(app: FastAPI, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``scenario`` with a client of ``app`` in a fresh event loop; answers its result."""

    async def main() -> T:
        async with running(app) as client:
            return await scenario(client)

    return asyncio.run(main())


def engine_of(app: FastAPI) -> Any:
    """The app's SQLAlchemy engine (sync facade, for event listeners); the lifespan opens it."""
    return app.state.database.engine.sync_engine
