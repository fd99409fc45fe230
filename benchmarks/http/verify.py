"""Before measuring: each app answers each operation correctly, and all alike.

A fast wrong answer would make the benchmark meaningless, so one request of each
operation is checked per app (status, JSON shape, the values sent) and the list must
hold the same events, in the same order, in every app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from benchmarks.http.load import CREATED_STARTS_AT, LIST_PATH
from benchmarks.http.servers import BenchmarkError, Server

__all__ = ["EVENT_FIELDS", "verify_servers"]

EVENT_FIELDS = frozenset(
    {
        "id",
        "name",
        "location",
        "starts_at",
        "capacity",
        "status",
        "contact",
        "tags",
        "venue_id",
        "created_at",
        "updated_at",
        "version",
    }
)
PAGE_FIELDS = frozenset({"items", "next_cursor"})
LIST_LIMIT = 20


def verify_servers(servers: Mapping[str, Server], ops: list[str]) -> None:
    """Raise :class:`BenchmarkError` naming the first app and operation that is wrong."""
    listed: dict[str, list[int]] = {}
    for name, server in servers.items():
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            checks = _Checks(name, client)
            if "get" in ops:
                checks.check_get()
            if "list" in ops:
                listed[name] = checks.check_list()
            if "create" in ops:
                checks.check_create()
            if "update" in ops:
                checks.check_update()
    orders = {tuple(ids) for ids in listed.values()}
    if len(orders) > 1:
        raise BenchmarkError(f"the apps list different events: {listed}")


class _Checks:
    """One request of each operation against one app."""

    def __init__(self, name: str, client: httpx.Client) -> None:
        self.name = name
        self.client = client

    def _json(self, op: str, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            raise BenchmarkError(
                f"{self.name} app, {op}: expected HTTP {status}, got {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response.json()

    def _event(self, op: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) != EVENT_FIELDS:
            keys = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise BenchmarkError(
                f"{self.name} app, {op}: expected an event with {sorted(EVENT_FIELDS)}, got {keys}"
            )
        return body

    def check_get(self) -> None:
        event = self._event("get", self._json("get", self.client.get("/events/1"), 200))
        if event["id"] != 1:
            raise BenchmarkError(f"{self.name} app, get: asked for event 1, got {event['id']}")

    def check_list(self) -> list[int]:
        page = self._json("list", self.client.get(LIST_PATH), 200)
        if not isinstance(page, dict) or set(page) != PAGE_FIELDS:
            raise BenchmarkError(f"{self.name} app, list: expected {sorted(PAGE_FIELDS)}")
        items = [self._event("list", item) for item in page["items"]]
        if len(items) != LIST_LIMIT or any(item["status"] != "published" for item in items):
            raise BenchmarkError(
                f"{self.name} app, list: expected {LIST_LIMIT} published events, "
                f"got {[item['status'] for item in items]}"
            )
        if not isinstance(page["next_cursor"], str):
            raise BenchmarkError(f"{self.name} app, list: expected a next_cursor")
        return [item["id"] for item in items]

    def check_create(self) -> None:
        sent = {"name": f"Verification of {self.name}", "starts_at": CREATED_STARTS_AT}
        event = self._event(
            "create", self._json("create", self.client.post("/events", json=sent), 201)
        )
        if event["name"] != sent["name"] or event["capacity"] != 100:
            raise BenchmarkError(f"{self.name} app, create: answered {event}")

    def check_update(self) -> None:
        response = self.client.patch(
            "/events/2",
            content=b'{"capacity": 4321}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        event = self._event("update", self._json("update", response, 200))
        if event["id"] != 2 or event["capacity"] != 4321:
            raise BenchmarkError(f"{self.name} app, update: answered {event}")
