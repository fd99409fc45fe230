"""The shipped custom/ package: its extra route, its hook, and the classes the app injects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.data.repository import SQLRepository
from app.core.services.service import ResourceService
from custom.event.repository import EventRepository
from custom.event.service import EventService
from custom.image.service import ImageService
from generated.event.repository import EventRepositoryBase
from generated.image.repository import ImageRepositoryBase
from tests.api.helpers import (
    FIXTURES,
    MERGE_PATCH,
    assert_param_error,
    create_event,
    create_image,
    image_body,
    other_app_client,
    parse_utc,
    served_routes,
)

# -- GET /events/by-location/{location} ---------------------------------------------------------


def _events_in_several_places(client: TestClient) -> list[dict[str, Any]]:
    """Four Paris events (two at the same time) among events elsewhere or nowhere."""
    paris = [
        create_event(client, name="P1", location="Paris", starts_at="2026-04-01T10:00:00Z"),
        create_event(client, name="P2", location="Paris", starts_at="2026-06-01T10:00:00Z"),
        create_event(client, name="P3", location="Paris", starts_at="2026-05-01T10:00:00Z"),
        create_event(client, name="P4", location="Paris", starts_at="2026-05-01T10:00:00Z"),
    ]
    create_event(client, name="L1", location="Lyon", starts_at="2026-05-01T10:00:00Z")
    create_event(client, name="p1", location="paris")
    create_event(client, name="P5", location="Paris ")
    create_event(client, name="N1")
    return paris


def _list_order(rows: list[dict[str, Any]]) -> list[int]:
    ordered = sorted(rows, key=lambda r: (parse_utc(r["starts_at"]), r["id"]), reverse=True)
    return [r["id"] for r in ordered]


def test_by_location_answers_only_that_location_in_list_order(client: TestClient) -> None:
    paris = _events_in_several_places(client)

    response = client.get("/events/by-location/Paris")

    assert response.status_code == 200, response.text
    rows = response.json()
    assert [r["id"] for r in rows] == _list_order(paris)
    assert {r["location"] for r in rows} == {"Paris"}
    for row in rows:
        assert row == client.get(f"/events/{row['id']}").json()


def test_by_location_honours_its_limit(client: TestClient) -> None:
    paris = _events_in_several_places(client)
    rows = client.get("/events/by-location/Paris", params={"limit": 2}).json()
    assert [r["id"] for r in rows] == _list_order(paris)[:2]


def test_by_location_of_an_unused_place_is_empty(client: TestClient) -> None:
    _events_in_several_places(client)
    assert client.get("/events/by-location/Berlin").json() == []


def test_by_location_decodes_the_path(client: TestClient) -> None:
    row = create_event(client, location="São Paulo")
    assert client.get("/events/by-location/S%C3%A3o%20Paulo").json() == [row]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/events/by-location/" + "x" * 101, "location"),
        ("/events/by-location/Pa%00ris", "location"),
        ("/events/by-location/Paris?limit=0", "limit"),
        ("/events/by-location/Paris?limit=101", "limit"),
    ],
)
def test_by_location_refuses_invalid_parameters(client: TestClient, url: str, name: str) -> None:
    assert_param_error(client.get(url), name)


# -- custom/image/service.py: image/jpg is stored as image/jpeg --------------------------------


@pytest.mark.parametrize("operation", ["create", "replace", "update"])
def test_image_jpg_is_stored_as_image_jpeg(client: TestClient, operation: str) -> None:
    event_id = create_event(client)["id"]
    jpg = image_body(event_id, content_type="image/jpg")
    if operation == "create":
        response = client.post("/images", json=jpg)
    else:
        row = create_image(client, event_id, content_type="image/png")
        url = f"/images/{row['id']}"
        if operation == "replace":
            response = client.put(url, json=jpg)
        else:
            body = {"content_type": "image/jpg"}
            response = client.patch(url, json=body, headers={"content-type": MERGE_PATCH})
    assert response.status_code in (200, 201), response.text
    assert response.json()["content_type"] == "image/jpeg"
    stored = client.get(f"/images/{response.json()['id']}").json()
    assert stored["content_type"] == "image/jpeg"
    assert [i["content_type"] for i in client.get("/images").json()["items"]] == ["image/jpeg"]


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/gif", "image/webp"])
def test_other_media_types_are_stored_as_sent(client: TestClient, content_type: str) -> None:
    row = create_image(client, content_type=content_type)
    assert row["content_type"] == content_type
    assert client.get(f"/images/{row['id']}").json()["content_type"] == content_type


def test_a_patch_without_content_type_keeps_it(client: TestClient) -> None:
    row = create_image(client, content_type="image/gif")
    response = client.patch(
        f"/images/{row['id']}", json={"caption": "x"}, headers={"content-type": MERGE_PATCH}
    )
    assert response.status_code == 200, response.text
    assert response.json()["content_type"] == "image/gif"


# -- the classes the generated routes are given -------------------------------------------------


def _bound_classes(app: FastAPI, resource_path: str) -> set[tuple[type[Any], type[Any]]]:
    """(repository class, service class) each generated operation of a resource builds its
    service from: what the ``service_for`` its endpoint calls closes over."""
    found: set[tuple[type[Any], type[Any]]] = set()
    for served in served_routes(app):
        if served.operation is None or not served.path.startswith(resource_path):
            continue
        cells = served.operation.endpoint.__closure__ or ()
        makers = [
            c.cell_contents
            for c in cells
            if getattr(c.cell_contents, "__name__", "") == "service_for"
        ]
        assert len(makers) == 1, served.path
        classes = [c.cell_contents for c in makers[0].__closure__ or ()]
        repositories = [c for c in classes if issubclass(c, SQLRepository)]
        services = [c for c in classes if issubclass(c, ResourceService)]
        found.add((repositories[0], services[0]))
    return found


def test_generated_routes_are_given_the_custom_classes(app: FastAPI) -> None:
    assert _bound_classes(app, "/events") == {(EventRepository, EventService)}
    image_classes = _bound_classes(app, "/images")
    assert image_classes == {(ImageRepositoryBase, ImageService)}
    assert issubclass(EventRepository, EventRepositoryBase)


def test_a_custom_repository_shows_through_the_generated_routes(tmp_path: Path) -> None:
    package = f"{FIXTURES}.filtering_repository"
    with other_app_client(tmp_path, custom_package=package) as client:
        shown = create_event(client, name="Public")
        hidden = create_event(client, name="Secret meeting")
        assert client.get(f"/events/{hidden['id']}").status_code == 404
        assert client.get(f"/events/{shown['id']}").json() == shown
        assert client.get("/events").json()["items"] == [shown]


def test_nested_routes_list_through_the_custom_repository(tmp_path: Path) -> None:
    """/venues/{id}/events is Event's list: the custom repository's rule applies there too."""
    package = f"{FIXTURES}.filtering_repository"
    with other_app_client(tmp_path, custom_package=package) as client:
        venue = client.post("/venues", json={"name": "Hall", "city": "Oslo"}).json()
        shown = create_event(client, name="Public", venue_id=venue["id"])
        create_event(client, name="Secret meeting", venue_id=venue["id"])
        response = client.get(f"/venues/{venue['id']}/events")
        assert response.status_code == 200, response.text
        assert [row["id"] for row in response.json()["items"]] == [shown["id"]]


# -- GET /venues/{venue_id}/upcoming-events: a custom query composed with generated filters --


def _venue_with_events(client: TestClient) -> tuple[int, list[dict[str, Any]]]:
    """A venue with one past and four future events (two at the same time), and a future
    event elsewhere."""
    venue = client.post("/venues", json={"name": "Arena", "city": "Oslo"})
    assert venue.status_code == 201, venue.text
    venue_id = venue.json()["id"]
    create_event(client, name="Past", starts_at="2001-01-01T10:00:00Z", venue_id=venue_id)
    future = [
        create_event(client, name=name, starts_at=at, capacity=capacity, venue_id=venue_id)
        for name, at, capacity in (
            ("F1", "2091-01-01T10:00:00Z", 10),
            ("F2", "2090-01-01T10:00:00Z", 20),
            ("F3", "2092-01-01T10:00:00Z", 30),
            ("F4", "2092-01-01T10:00:00Z", 40),
        )
    ]
    create_event(client, name="Elsewhere", starts_at="2091-06-01T10:00:00Z")
    return venue_id, future


def test_upcoming_events_leave_out_past_ones_and_other_venues(client: TestClient) -> None:
    venue_id, future = _venue_with_events(client)
    response = client.get(f"/venues/{venue_id}/upcoming-events", params={"count": "true"})
    assert response.status_code == 200, response.text
    page = response.json()
    # The default order of events: starts_at descending, the id breaking ties.
    expected = sorted(future, key=lambda r: (parse_utc(r["starts_at"]), r["id"]), reverse=True)
    assert [row["name"] for row in page["items"]] == [row["name"] for row in expected]
    assert page["total"] == 4


def test_upcoming_events_take_the_generated_filters_sort_and_cursor(client: TestClient) -> None:
    venue_id, _ = _venue_with_events(client)
    url = f"/venues/{venue_id}/upcoming-events"
    filtered = client.get(url, params={"capacity__gte": 20, "sort": "capacity"})
    assert [row["name"] for row in filtered.json()["items"]] == ["F2", "F3", "F4"]
    first = client.get(url, params={"sort": "-capacity", "limit": 2}).json()
    assert [row["name"] for row in first["items"]] == ["F4", "F3"]
    params = {"sort": "-capacity", "limit": 2, "cursor": first["next_cursor"]}
    second = client.get(url, params=params).json()
    assert [row["name"] for row in second["items"]] == ["F2", "F1"]
    assert second["next_cursor"] is None
    # The cursor is bound to this list: the generated list refuses it.
    assert client.get("/events", params=params).status_code == 400


def test_upcoming_events_refuse_what_the_list_refuses(client: TestClient) -> None:
    venue_id, _ = _venue_with_events(client)
    url = f"/venues/{venue_id}/upcoming-events"
    assert_param_error(client.get(url, params={"capacity__gte": "many"}), "capacity__gte")
    assert client.get(url, params={"nonsense": 1}).status_code == 422
    assert client.get("/venues/999/upcoming-events").status_code == 404


def test_upcoming_events_document_the_list_parameters(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    operation = served["paths"]["/venues/{venue_id}/upcoming-events"]["get"]
    listed = served["paths"]["/events"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {p["name"] for p in listed["parameters"]} - {"venue_id", "venue_id__is_null"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/EventPage"}
