"""Unique and foreign-key constraints answer precise problems, never 500 or SQL text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    MERGE_PATCH,
    assert_no_sql,
    assert_problem,
    create_event,
    create_image,
    event_body,
    image_body,
    snapshot,
    unchanged,
)

STARTS_AT = "2026-09-01T18:00:00Z"


def test_duplicate_name_and_starts_at_is_409_naming_both_fields(client: TestClient) -> None:
    create_event(client, name="Gala", starts_at=STARTS_AT)

    with unchanged(client):
        response = client.post("/events", json=event_body(name="Gala", starts_at=STARTS_AT))
    problem = assert_problem(response, 409, pointers=("/name", "/starts_at"))
    assert_no_sql(problem)
    assert "Gala" in problem.get("detail", ""), problem


def test_same_instant_written_with_another_offset_is_a_duplicate(client: TestClient) -> None:
    create_event(client, name="Gala", starts_at=STARTS_AT)

    with unchanged(client):
        response = client.post(
            "/events", json=event_body(name="Gala", starts_at="2026-09-01T20:00:00+02:00")
        )
    assert_no_sql(assert_problem(response, 409, pointers=("/name", "/starts_at")))


def test_sharing_one_field_of_the_unique_pair_is_allowed(client: TestClient) -> None:
    create_event(client, name="Gala", starts_at=STARTS_AT)
    create_event(client, name="Gala", starts_at="2026-09-02T18:00:00Z")
    create_event(client, name="Ball", starts_at=STARTS_AT)
    assert len(snapshot(client)["/events"]) == 3


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_changing_a_row_into_a_duplicate_is_409(client: TestClient, method: str) -> None:
    create_event(client, name="Gala", starts_at=STARTS_AT)
    other = create_event(client, name="Ball", starts_at=STARTS_AT)

    with unchanged(client):
        if method == "PUT":
            response = client.put(
                f"/events/{other['id']}", json=event_body(name="Gala", starts_at=STARTS_AT)
            )
        else:
            response = client.patch(
                f"/events/{other['id']}",
                json={"name": "Gala"},
                headers={"content-type": MERGE_PATCH},
            )
    assert_no_sql(assert_problem(response, 409, pointers=("/name",)))
    assert client.get(f"/events/{other['id']}").json() == other


def test_the_app_keeps_working_after_a_conflict(client: TestClient) -> None:
    create_event(client, name="Gala", starts_at=STARTS_AT)
    refused = client.post("/events", json=event_body(name="Gala", starts_at=STARTS_AT))
    assert refused.status_code == 409
    after = client.post("/events", json=event_body(name="Next", starts_at=STARTS_AT))
    assert after.status_code == 201, after.text
    assert [e["name"] for e in snapshot(client)["/events"]] == ["Next", "Gala"]


# -- foreign key --------------------------------------------------------------------------------


def test_image_of_a_missing_event_is_422_pointing_at_event_id(client: TestClient) -> None:
    event = create_event(client)
    with unchanged(client):
        response = client.post("/images", json=image_body(event["id"] + 1))
    assert_no_sql(assert_problem(response, 422, pointers=("/event_id",)))


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_moving_an_image_to_a_missing_event_is_422(client: TestClient, method: str) -> None:
    image = create_image(client)
    missing = image["event_id"] + 1000
    with unchanged(client):
        if method == "PUT":
            response = client.put(f"/images/{image['id']}", json=image_body(missing))
        else:
            response = client.patch(
                f"/images/{image['id']}",
                json={"event_id": missing},
                headers={"content-type": MERGE_PATCH},
            )
    assert_no_sql(assert_problem(response, 422, pointers=("/event_id",)))


def test_moving_an_image_to_another_event_is_allowed(client: TestClient) -> None:
    image = create_image(client)
    target = create_event(client, name="Target")
    response = client.patch(
        f"/images/{image['id']}",
        json={"event_id": target["id"]},
        headers={"content-type": MERGE_PATCH},
    )
    assert response.status_code == 200, response.text
    assert client.get(f"/images/{image['id']}").json()["event_id"] == target["id"]


def test_deleting_an_event_deletes_its_images(client: TestClient) -> None:
    doomed = create_event(client, name="Doomed")
    kept = create_event(client, name="Kept")
    doomed_images = [create_image(client, doomed["id"]) for _ in range(3)]
    kept_image = create_image(client, kept["id"])

    assert client.delete(f"/events/{doomed['id']}").status_code == 204

    for image in doomed_images:
        assert_problem(client.get(f"/images/{image['id']}"), 404)
    assert snapshot(client) == {
        "/events": [client.get(f"/events/{kept['id']}").json()],
        "/images": [kept_image],
    }
