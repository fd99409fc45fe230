"""Keyset pagination: every row once, in the documented order, across many pages."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    EVENTS,
    IMAGES,
    RESOURCES,
    Resource,
    all_pages,
    assert_problem,
    create_event,
    create_image,
    each_case,
    parse_utc,
)

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OFFSETS = ("Z", "+02:00", "-05:30")


def _written_with_offset(instant: datetime, index: int) -> str:
    """``instant`` as RFC 3339 text, in one of several offsets (the same instant each time)."""
    suffix = OFFSETS[index % len(OFFSETS)]
    if suffix == "Z":
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign = 1 if suffix[0] == "+" else -1
    hours, minutes = int(suffix[1:3]), int(suffix[4:6])
    local = instant + sign * timedelta(hours=hours, minutes=minutes)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + suffix


def _event_order(row: dict[str, Any]) -> tuple[datetime, int]:
    return parse_utc(row["starts_at"]), row["id"]


def _make_events(client: TestClient, count: int) -> list[dict[str, Any]]:
    """``count`` events in shuffled order; starts_at repeats in runs of three, so ties
    straddle page boundaries and id order differs from time order."""
    slots = list(range(count))
    random.Random(20260301).shuffle(slots)
    rows = []
    for index, slot in enumerate(slots):
        instant = BASE + timedelta(hours=slot // 3)
        starts_at = _written_with_offset(instant, index)
        rows.append(create_event(client, name=f"Event {slot}", starts_at=starts_at))
    return rows


def _assert_pages(pages: list[dict[str, Any]], rows: int, limit: int) -> None:
    full, rest = divmod(rows, limit)
    sizes = [len(p["items"]) for p in pages]
    assert sizes == [limit] * full + ([rest] if rest else []), sizes
    assert [p["next_cursor"] is None for p in pages] == [False] * (len(pages) - 1) + [True]
    assert all(isinstance(p["next_cursor"], str) for p in pages[:-1])


def test_events_page_by_starts_at_descending_then_id_descending(client: TestClient) -> None:
    created = _make_events(client, 45)

    seen, pages = all_pages(client, "/events", limit=10)

    _assert_pages(pages, rows=45, limit=10)
    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in created)
    assert len({r["id"] for r in seen}) == len(seen) == 45
    assert seen == sorted(seen, key=_event_order, reverse=True)
    by_id = {r["id"]: r for r in created}
    for row in seen:
        assert row["starts_at"].endswith("Z")
        assert parse_utc(row["starts_at"]) == parse_utc(by_id[row["id"]]["starts_at"])


def test_images_page_by_id_ascending(client: TestClient) -> None:
    events = [create_event(client, name=f"Host {i}")["id"] for i in range(3)]
    created = [create_image(client, events[i % 3], width=i + 1) for i in range(25)]

    seen, pages = all_pages(client, "/images", limit=10)

    _assert_pages(pages, rows=25, limit=10)
    assert [r["id"] for r in seen] == sorted(r["id"] for r in created)
    assert seen == created


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_an_exact_multiple_of_the_limit_ends_without_an_empty_page(
    client: TestClient, resource: Resource
) -> None:
    for _ in range(6):
        resource.create(client)
    seen, pages = all_pages(client, resource.path, limit=3)
    _assert_pages(pages, rows=6, limit=3)
    assert len({r["id"] for r in seen}) == 6


def test_limit_defaults_to_20_and_accepts_the_maximum(client: TestClient) -> None:
    _make_events(client, 21)
    default = client.get("/events").json()
    assert len(default["items"]) == 20
    assert default["next_cursor"] is not None
    largest = client.get("/events", params={"limit": 100}).json()
    assert len(largest["items"]) == 21
    assert largest["next_cursor"] is None
    assert largest["items"][:20] == default["items"]


def test_a_cursor_survives_changes_to_the_rows_around_it(client: TestClient) -> None:
    created = _make_events(client, 12)
    expected = sorted(created, key=_event_order, reverse=True)
    ids = [r["id"] for r in expected]
    first = client.get("/events", params={"limit": 4}).json()
    assert [r["id"] for r in first["items"]] == ids[:4]

    # The row the cursor points at goes away, and a row that sorts first arrives.
    assert client.delete(f"/events/{first['items'][-1]['id']}").status_code == 204
    create_event(client, name="Newest", starts_at="2030-01-01T00:00:00Z")

    rest: list[int] = []
    next_cursor: str | None = first["next_cursor"]
    while next_cursor is not None:
        page = client.get("/events", params={"limit": 4, "cursor": next_cursor}).json()
        rest.extend(r["id"] for r in page["items"])
        next_cursor = page["next_cursor"]
    assert rest == ids[4:]


# -- refused cursors ----------------------------------------------------------------------------

GARBAGE = ["garbage", "!!!!", "", "%00", "eyJ", "W10", "bnVsbA", "e30", "A" * 2048]


def _first_cursor(client: TestClient, resource: Resource) -> str:
    for _ in range(3):
        resource.create(client)
    cursor = client.get(resource.path, params={"limit": 1}).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
def test_garbage_and_tampered_cursors_are_400(client: TestClient, resource: Resource) -> None:
    cursor = _first_cursor(client, resource)
    other = _first_cursor(client, IMAGES if resource is EVENTS else EVENTS)
    tampered = [cursor[: len(cursor) // 2], cursor[::-1], cursor + "x", other]
    for bad, check in each_case([*GARBAGE, *tampered]):
        with check:
            response = client.get(resource.path, params={"cursor": bad, "limit": 1})
            assert_problem(response, 400)


def _decode(cursor: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        pytest.skip("cursors are not base64 JSON any more; the opaque cases above still apply")


def _encode(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


def test_a_well_formed_cursor_with_wrong_key_types_is_400(client: TestClient) -> None:
    """A cursor re-encoded by hand, keeping its shape but not its types, is refused."""
    payload = _decode(_first_cursor(client, EVENTS))
    assert isinstance(payload, list)
    assert len(payload) == 3, "[ordering, filters fingerprint, sort key]"
    ordering, bound, (starts_at, row_id) = payload
    # Re-encoded as it was, the cursor is taken: each forgery below is refused for its change.
    assert client.get("/events", params={"cursor": _encode(payload), "limit": 1}).status_code == 200
    forged = [
        [ordering, bound, [1767225600, row_id]],  # an integer as a date-time
        [ordering, bound, [starts_at.replace("Z", ""), row_id]],  # a naive date-time
        [ordering, bound, [starts_at, str(row_id)]],  # a string as the id
        [ordering, bound, [starts_at, True]],  # a boolean as the id
        [ordering, bound, [starts_at, 0]],
        [ordering, bound, [starts_at, 2**63]],
        [ordering, bound, [starts_at]],
        [ordering, bound, [starts_at, row_id, 1]],
        [ordering, bound, None],
        [ordering, [starts_at, row_id]],  # the old shape, without the filters' fingerprint
        [ordering, 1, [starts_at, row_id]],
        [ordering, bound, [starts_at, row_id], None],
        ["name", bound, [starts_at, row_id]],
        [ordering, "0" * len(bound), [starts_at, row_id]],
        {"ordering": ordering},
    ]
    for bad, check in each_case(forged):
        with check:
            response = client.get("/events", params={"cursor": _encode(bad), "limit": 1})
            assert_problem(response, 400)
