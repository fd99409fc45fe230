"""Bulk create (all rows or none, at most max_items) and soft delete (gone from every read).

``POST /events/bulk`` stores a JSON array of events in one transaction. Images are
soft-deleted: a deleted image keeps its row, with ``deleted_at`` set, and only
``?include_deleted=true`` shows it.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import (
    MERGE_PATCH,
    assert_matches_schema,
    assert_problem,
    create_event,
    create_image,
    each_case,
    event_body,
    image_body,
    parse_utc,
)
from tests.api.query_helpers import Row, ids, listed

MAX_ITEMS = 100


def _bodies(count: int, prefix: str = "Bulk") -> list[dict[str, Any]]:
    return [
        event_body(name=f"{prefix} {i}", starts_at=f"2026-04-01T{i % 24:02d}:00:00Z", capacity=i)
        for i in range(count)
    ]


def _events(client: TestClient) -> list[Row]:
    return listed(client, "/events", {"sort": "created_at"})


# -- bulk create --------------------------------------------------------------------------------


def test_bulk_create_stores_every_item_in_order(client: TestClient) -> None:
    venue = client.post("/venues", json={"name": "Hall", "city": "Lyon"}).json()["id"]
    bodies = _bodies(MAX_ITEMS)
    bodies[5]["venue_id"] = venue
    bodies[6].update(location="Lyon", status="published", tags=["a", "b"])

    response = client.post("/events/bulk", json=bodies)

    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert len(items) == MAX_ITEMS
    for body, item in zip(bodies, items, strict=True):
        assert_matches_schema(item, "EventRead")
        assert {k: item[k] for k in body if k != "starts_at"} == {
            k: v for k, v in body.items() if k != "starts_at"
        }
        assert parse_utc(item["starts_at"]) == parse_utc(body["starts_at"])
        assert item["version"] == 1
    assert ids(items) == sorted(ids(items))
    assert len(set(ids(items))) == MAX_ITEMS
    stored = {r["id"]: r for r in listed(client, "/events", {})}
    assert [stored[i] for i in ids(items)] == items
    # One item is a valid bulk too.
    single = client.post("/events/bulk", json=[event_body(name="Single")])
    assert single.status_code == 201, single.text
    assert [r["name"] for r in single.json()["items"]] == ["Single"]


def test_a_bad_item_stores_nothing_and_points_into_the_array(client: TestClient) -> None:
    before = create_event(client, name="Already there", starts_at="2026-04-01T03:00:00Z")
    cases: list[tuple[int, dict[str, Any], int, str]] = [
        (3, {"name": ""}, 422, "/3/name"),
        (0, {"capacity": "many"}, 422, "/0/capacity"),
        (7, {"status": "archived"}, 422, "/7/status"),
        (9, {"starts_at": "2026-04-01T10:00:00"}, 422, "/9/starts_at"),
        (4, {"unknown": 1}, 422, "/4/unknown"),
        (2, {"venue_id": 999_999}, 422, "/2/venue_id"),  # refers to no venue
        # The same (name, starts_at) as a row already stored, or as an earlier item.
        (3, {"name": "Already there"}, 409, "/3/name"),
        (8, {"name": "Bulk 1", "starts_at": "2026-04-01T01:00:00Z"}, 409, "/8/name"),
    ]
    for (index, change, status, pointer), check in each_case(cases):
        with check:
            bodies = _bodies(10)
            bodies[index].update(change)
            response = client.post("/events/bulk", json=bodies)
            assert_problem(response, status, pointers=(pointer,))
            assert _events(client) == [before], "a refused bulk stored rows"


def test_more_than_max_items_or_no_array_is_422_and_stores_nothing(client: TestClient) -> None:
    cases: list[Any] = [
        _bodies(MAX_ITEMS + 1),
        [],
        event_body(name="Not in an array"),
        {"items": _bodies(2)},
        "text",
        [None],
        [[event_body()]],
    ]
    for body, check in each_case(cases):
        with check:
            assert_problem(client.post("/events/bulk", json=body), 422)
    null = client.post(
        "/events/bulk", content=b"null", headers={"content-type": "application/json"}
    )
    assert_problem(null, 422)
    assert _events(client) == []
    # The same rows in two requests of at most max_items are fine.
    bodies = _bodies(MAX_ITEMS + 1)
    for chunk in (bodies[:MAX_ITEMS], bodies[MAX_ITEMS:]):
        assert client.post("/events/bulk", json=chunk).status_code == 201
    assert len(_events(client)) == MAX_ITEMS + 1


# -- soft delete --------------------------------------------------------------------------------


def _image_ids(client: TestClient, path: str, **params: Any) -> list[int]:
    return ids(listed(client, path, params))


def test_a_soft_deleted_image_disappears_from_every_read(client: TestClient) -> None:
    event = create_event(client, name="Show")
    other = create_event(client, name="Other show")
    performer = client.post("/performers", json={"name": "Ana"}).json()["id"]
    images = [create_image(client, event["id"], width=w, performer_id=performer) for w in (1, 2, 3)]
    elsewhere = create_image(client, other["id"])
    gone = images[1]
    kept = [images[0]["id"], images[2]["id"]]

    response = client.delete(f"/images/{gone['id']}")

    assert response.status_code == 204, response.text
    assert_problem(client.get(f"/images/{gone['id']}"), 404)
    assert_problem(client.get(f"/images/{gone['id']}", params={"expand": "event"}), 404)
    assert _image_ids(client, "/images") == [*kept, elsewhere["id"]]
    assert _image_ids(client, f"/events/{event['id']}/images") == kept
    assert _image_ids(client, "/images", width__gte="2") == [images[2]["id"], elsewhere["id"]]
    assert _image_ids(client, "/images", performer_id=str(performer)) == kept
    page = client.get("/images", params={"count": "true"}).json()
    assert page["total"] == 3
    nested = client.get(f"/events/{event['id']}/images", params={"count": "true"}).json()
    assert nested["total"] == 2
    expanded = client.get("/events", params={"expand": "images"}).json()["items"]
    assert {e["id"]: ids(e["images"]) for e in expanded} == {
        event["id"]: kept,
        other["id"]: [elsewhere["id"]],
    }
    got = client.get(f"/events/{event['id']}", params={"expand": "images"}).json()
    assert ids(got["images"]) == kept


def test_include_deleted_lists_deleted_images_with_deleted_at(client: TestClient) -> None:
    event = create_event(client, name="Show")["id"]
    images = [create_image(client, event, width=w) for w in (1, 2, 3)]
    gone = images[0]
    assert client.delete(f"/images/{gone['id']}").status_code == 204

    everything = listed(client, "/images", {"include_deleted": "true"})

    assert ids(everything) == ids(images)
    deleted = everything[0]
    assert deleted["deleted_at"] is not None
    assert parse_utc(deleted["deleted_at"]) >= parse_utc(gone["created_at"])
    assert {
        k: v for k, v in deleted.items() if k not in ("deleted_at", "updated_at", "version")
    } == {k: v for k, v in gone.items() if k not in ("deleted_at", "updated_at", "version")}
    assert all(r["deleted_at"] is None for r in everything[1:])
    assert everything[1:] == images[1:]
    assert ids(listed(client, "/images", {"include_deleted": "false"})) == ids(images[1:])
    nested = listed(client, f"/events/{event}/images", {"include_deleted": "true"})
    assert ids(nested) == ids(images)
    only_deleted = listed(client, "/images", {"include_deleted": "true", "width__lte": "1"})
    assert ids(only_deleted) == [gone["id"]]
    page = client.get("/images", params={"include_deleted": "true", "count": "true"}).json()
    assert page["total"] == 3
    for bad, check in each_case(["maybe", "", "yes please"]):
        with check:
            response = client.get("/images", params={"include_deleted": bad})
            body = assert_problem(response, 422)
            assert "query:/include_deleted" in {e["pointer"] for e in body["errors"]}
    # Events are not soft-deleted: the parameter is not theirs.
    assert_problem(client.get("/events", params={"include_deleted": "true"}), 422)


def test_a_soft_deleted_image_cannot_be_deleted_or_changed_again(client: TestClient) -> None:
    image = create_image(client)
    url = f"/images/{image['id']}"
    assert client.delete(url).status_code == 204
    before = listed(client, "/images", {"include_deleted": "true"})

    writes = [
        ("delete", None, {}),
        ("delete", None, {"if-match": f'"{image["version"] + 1}"'}),
        ("patch", {"width": 5}, {"content-type": MERGE_PATCH}),
        ("put", image_body(image["event_id"]), {}),
    ]
    for (method, body, headers), check in each_case(writes):
        with check:
            assert_problem(client.request(method, url, json=body, headers=headers), 404)
    assert listed(client, "/images", {"include_deleted": "true"}) == before
    # Deleting the event deletes its soft-deleted images for good.
    assert client.delete(f"/events/{image['event_id']}").status_code == 204
    assert listed(client, "/images", {"include_deleted": "true"}) == []
