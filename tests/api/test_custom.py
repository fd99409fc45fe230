"""The shipped custom/ package: its extra route, its hook, and the classes the app injects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.repository import SQLRepository
from app.core.service import ResourceService
from custom.event.repository import EventRepository
from custom.image.service import ImageService
from generated.event.repository import EventRepositoryBase
from generated.event.service import EventServiceBase
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
    """(repository class, service class) each generated route of a resource builds its
    service from, read from the closure of the route's service dependency."""
    found: set[tuple[type[Any], type[Any]]] = set()
    for served in served_routes(app):
        if not served.generated or not served.path.startswith(resource_path):
            continue
        for dependency in served.route.dependant.dependencies:
            call: Any = dependency.call
            cells = getattr(call, "__closure__", None) or ()
            classes = [c.cell_contents for c in cells if isinstance(c.cell_contents, type)]
            repositories = [c for c in classes if issubclass(c, SQLRepository)]
            services = [c for c in classes if issubclass(c, ResourceService)]
            if repositories and services:
                found.add((repositories[0], services[0]))
    return found


def test_generated_routes_are_given_the_custom_classes(app: FastAPI) -> None:
    assert _bound_classes(app, "/events") == {(EventRepository, EventServiceBase)}
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
