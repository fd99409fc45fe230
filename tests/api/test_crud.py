"""The six operations of both resources, end to end through the real app and database.

Every write answers the row's new ``version`` and its ``ETag`` (the version, quoted)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    EVENTS,
    IMAGES,
    MERGE_PATCH,
    RESOURCES,
    SERVER_FIELDS,
    Resource,
    assert_matches_schema,
    assert_problem,
    create_event,
    create_image,
    event_body,
    image_body,
    parse_utc,
    snapshot,
    unchanged,
)

resources = pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)


def _without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}


def _written(row: dict[str, Any]) -> dict[str, Any]:
    """The fields a client writes: the row without the ones the server sets."""
    return _without(row, *SERVER_FIELDS)


def _assert_etag(response: Any, version: int) -> None:
    assert response.headers.get("etag") == f'"{version}"', response.headers


def _new_venue(client: TestClient, name: str) -> int:
    response = client.post("/venues", json={"name": name, "city": "Lyon"})
    assert response.status_code == 201, response.text
    venue_id: int = response.json()["id"]
    return venue_id


def _new_performer(client: TestClient, name: str) -> int:
    response = client.post("/performers", json={"name": name})
    assert response.status_code == 201, response.text
    performer_id: int = response.json()["id"]
    return performer_id


# -- create -------------------------------------------------------------------------------------


def test_create_event_answers_201_with_location_and_server_fields(client: TestClient) -> None:
    body = event_body(location="Paris", capacity=50, status="published", tags=["music", "jazz"])
    body["contact"] = "host@example.com"
    response = client.post("/events", json=body)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    row = response.json()
    assert_matches_schema(row, "EventRead")
    assert isinstance(row["id"], int)
    assert row["id"] >= 1
    assert response.headers["location"] == f"/events/{row['id']}"
    assert _written(row) == {**body, "venue_id": None}  # a reference left out is null
    assert row["version"] == 1
    assert "deleted_at" not in row, "events are deleted for good"
    _assert_etag(response, 1)
    created, updated = parse_utc(row["created_at"]), parse_utc(row["updated_at"])
    assert updated >= created
    got = client.get(response.headers["location"])
    assert got.json() == row
    _assert_etag(got, 1)


def test_create_event_applies_defaults(client: TestClient) -> None:
    row = create_event(client)

    assert row["capacity"] == 100
    assert row["status"] == "draft"
    assert row["tags"] == []
    assert row["location"] is None
    assert row["contact"] is None
    assert client.get(f"/events/{row['id']}").json() == row


def test_create_image_answers_201_with_location_and_server_fields(client: TestClient) -> None:
    event = create_event(client)
    body = image_body(event["id"], caption="On stage")
    response = client.post("/images", json=body)

    assert response.status_code == 201, response.text
    row = response.json()
    assert_matches_schema(row, "ImageRead")
    assert response.headers["location"] == f"/images/{row['id']}"
    assert _written(row) == {**body, "performer_id": None}  # a reference left out is null
    assert row["version"] == 1
    assert row["deleted_at"] is None, "a soft-deletable row is created not deleted"
    _assert_etag(response, 1)
    parse_utc(row["created_at"])
    parse_utc(row["updated_at"])
    got = client.get(response.headers["location"])
    assert got.json() == row
    _assert_etag(got, 1)


def test_create_image_without_caption_stores_null(client: TestClient) -> None:
    row = create_image(client)
    assert row["caption"] is None
    assert client.get(f"/images/{row['id']}").json()["caption"] is None


def test_server_managed_fields_cannot_be_sent(client: TestClient) -> None:
    for field, value in (("id", 7), ("created_at", "2020-01-01T00:00:00Z")):
        with unchanged(client):
            response = client.post("/events", json=event_body(**{field: value}))
        assert_problem(response, 422, pointers=(f"/{field}",))


# -- get and list -------------------------------------------------------------------------------


@resources
def test_get_answers_the_stored_row(client: TestClient, resource: Resource) -> None:
    row = resource.create(client)
    other = resource.create(client)

    response = client.get(resource.url(row["id"]))
    assert response.status_code == 200
    assert response.json() == row
    _assert_etag(response, row["version"])
    assert client.get(resource.url(other["id"])).json() == other


@resources
def test_list_answers_a_page_of_stored_rows(client: TestClient, resource: Resource) -> None:
    assert client.get(resource.path).json() == {"items": [], "next_cursor": None}
    rows = [resource.create(client) for _ in range(3)]

    page = client.get(resource.path).json()
    assert_matches_schema(page, resource.schema.replace("Read", "Page"))
    assert sorted(page["items"], key=lambda r: r["id"]) == sorted(rows, key=lambda r: r["id"])
    assert page["next_cursor"] is None

    first = client.get(resource.path, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert isinstance(first["next_cursor"], str)
    rest = client.get(resource.path, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert first["items"] + rest["items"] == page["items"]


# -- delete -------------------------------------------------------------------------------------


@resources
def test_delete_answers_204_then_404(client: TestClient, resource: Resource) -> None:
    row = resource.create(client)
    kept = resource.create(client)

    response = client.delete(resource.url(row["id"]))
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(resource.url(row["id"])), 404)
    assert_problem(client.delete(resource.url(row["id"])), 404)
    assert [r["id"] for r in snapshot(client)[resource.path]] == [kept["id"]]


# -- replace ------------------------------------------------------------------------------------


def _full_replacement(
    resource: Resource, client: TestClient, row: dict[str, Any]
) -> dict[str, Any]:
    """A body that gives every writable field a value other than the row's."""
    if resource is EVENTS:
        assert row["venue_id"] is None
        return event_body(
            name="Renamed",
            starts_at="2027-03-04T05:06:07Z",
            location="Nantes",
            capacity=7,
            status="cancelled",
            contact="other@example.com",
            tags=["new"],
            venue_id=_new_venue(client, "New venue"),
        )
    event_id = create_event(client, name="Second host")["id"]
    assert event_id != row["event_id"]
    assert row["performer_id"] is None
    return image_body(
        event_id,
        url="https://cdn.example.com/b.webp",
        caption="New caption",
        width=10,
        height=20,
        content_type="image/webp",
        performer_id=_new_performer(client, "Pictured"),
    )


@resources
def test_replace_stores_the_new_body_and_moves_updated_at(
    client: TestClient, resource: Resource
) -> None:
    row = resource.create(client)
    body = _full_replacement(resource, client, row)

    response = client.put(resource.url(row["id"]), json=body)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert_matches_schema(replaced, resource.schema)
    assert replaced["id"] == row["id"]
    assert _written(replaced) == body
    assert replaced["created_at"] == row["created_at"]
    assert parse_utc(replaced["updated_at"]) > parse_utc(row["updated_at"])
    assert replaced["version"] == row["version"] + 1
    _assert_etag(response, replaced["version"])
    assert client.get(resource.url(row["id"])).json() == replaced


def test_replace_event_resets_omitted_fields(client: TestClient) -> None:
    row = create_event(
        client,
        location="Paris",
        capacity=5,
        status="published",
        tags=["a"],
        contact="a@b.example",
        venue_id=_new_venue(client, "Old venue"),
    )
    body = event_body(name="Bare", starts_at="2026-05-05T10:00:00Z")

    response = client.put(f"/events/{row['id']}", json=body)
    assert response.status_code == 200, response.text
    expected = {
        **body,
        "location": None,
        "capacity": 100,
        "status": "draft",
        "contact": None,
        "tags": [],
        "venue_id": None,
    }
    assert _written(response.json()) == expected
    stored = client.get(f"/events/{row['id']}").json()
    assert _written(stored) == expected
    assert stored["version"] == row["version"] + 1


def test_replace_image_resets_omitted_caption(client: TestClient) -> None:
    row = create_image(client, caption="Old caption")
    body = image_body(
        row["event_id"], url="https://cdn.example.com/c.gif", content_type="image/gif"
    )

    response = client.put(f"/images/{row['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["caption"] is None
    assert client.get(f"/images/{row['id']}").json()["caption"] is None


# -- update (merge patch) -----------------------------------------------------------------------

content_types = pytest.mark.parametrize("content_type", [MERGE_PATCH, "application/json"])


def _patch(client: TestClient, url: str, body: dict[str, Any], content_type: str) -> Any:
    return client.patch(url, json=body, headers={"content-type": content_type})


@content_types
def test_update_event_changes_only_the_fields_sent(client: TestClient, content_type: str) -> None:
    row = create_event(client, location="Paris", tags=["a", "b"], contact="a@b.example")

    response = _patch(client, f"/events/{row['id']}", {"capacity": 5, "tags": ["c"]}, content_type)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["capacity"] == 5
    assert patched["tags"] == ["c"]
    assert _without(patched, "capacity", "tags", "updated_at", "version") == _without(
        row, "capacity", "tags", "updated_at", "version"
    )
    assert patched["created_at"] == row["created_at"]
    assert parse_utc(patched["updated_at"]) > parse_utc(row["updated_at"])
    assert patched["version"] == row["version"] + 1
    _assert_etag(response, patched["version"])
    assert client.get(f"/events/{row['id']}").json() == patched


@content_types
def test_update_image_changes_only_the_fields_sent(client: TestClient, content_type: str) -> None:
    row = create_image(client, caption="Kept")

    response = _patch(client, f"/images/{row['id']}", {"width": 1, "height": 2}, content_type)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["width"], patched["height"]) == (1, 2)
    assert _without(patched, "width", "height", "updated_at", "version") == _without(
        row, "width", "height", "updated_at", "version"
    )
    assert patched["version"] == row["version"] + 1
    _assert_etag(response, patched["version"])
    assert client.get(f"/images/{row['id']}").json() == patched


@content_types
@pytest.mark.parametrize(("resource", "field"), [(EVENTS, "contact"), (IMAGES, "caption")])
def test_update_with_null_clears_a_nullable_field(
    client: TestClient, resource: Resource, field: str, content_type: str
) -> None:
    row = resource.create(client)
    assert row[field] is not None

    response = _patch(client, resource.url(row["id"]), {field: None}, content_type)
    assert response.status_code == 200, response.text
    assert response.json()[field] is None
    stored = client.get(resource.url(row["id"])).json()
    assert stored[field] is None
    assert _without(stored, field, "updated_at", "version") == _without(
        row, field, "updated_at", "version"
    )
    assert stored["version"] == row["version"] + 1


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        (EVENTS, "name"),
        (EVENTS, "starts_at"),
        (EVENTS, "capacity"),
        (EVENTS, "status"),
        (EVENTS, "tags"),
        (IMAGES, "url"),
        (IMAGES, "width"),
        (IMAGES, "content_type"),
        (IMAGES, "event_id"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_update_with_null_on_a_non_nullable_field_is_422(
    client: TestClient, resource: Resource, field: str
) -> None:
    row = resource.create(client)
    with unchanged(client):
        response = _patch(client, resource.url(row["id"]), {field: None}, MERGE_PATCH)
    assert_problem(response, 422, pointers=(f"/{field}",))


def test_empty_patch_keeps_every_field(client: TestClient) -> None:
    row = create_event(client, location="Paris")
    response = _patch(client, f"/events/{row['id']}", {}, MERGE_PATCH)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert _without(patched, "updated_at", "version") == _without(row, "updated_at", "version")
    # Still a write: updated_at moves, so the version (the ETag) must move with it.
    assert parse_utc(patched["updated_at"]) > parse_utc(row["updated_at"])
    assert patched["version"] == row["version"] + 1
    _assert_etag(response, patched["version"])


# -- date-times ---------------------------------------------------------------------------------

OFFSET_TIME = "2026-06-01T12:30:00+02:00"
UTC_TIME = "2026-06-01T10:30:00Z"


@pytest.mark.parametrize("operation", ["create", "replace", "update"])
def test_date_times_given_with_an_offset_come_back_in_utc(
    client: TestClient, operation: str
) -> None:
    if operation == "create":
        response = client.post("/events", json=event_body(starts_at=OFFSET_TIME))
    else:
        row = create_event(client)
        url = f"/events/{row['id']}"
        if operation == "replace":
            response = client.put(url, json=event_body(starts_at=OFFSET_TIME))
        else:
            response = _patch(client, url, {"starts_at": OFFSET_TIME}, MERGE_PATCH)
    assert response.status_code in (200, 201), response.text
    answered = response.json()
    stored = client.get(f"/events/{answered['id']}").json()
    assert stored["starts_at"] == UTC_TIME
    assert answered["starts_at"] == UTC_TIME, "the write answered another value than it stored"
    assert answered == stored
