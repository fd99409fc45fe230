"""The shipped example's actions, end to end on every database: Event's publish (an item
action with a body) and stats (a collection action with a query), declared in
specs/event.yaml and implemented in custom/event/service.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.helpers import (
    CONTRACT,
    FIXTURES,
    assert_matches_schema,
    assert_param_error,
    assert_problem,
    create_event,
    snapshot,
    unchanged,
)


def _publish(client: TestClient, row_id: Any, body: Any = None, **kwargs: Any) -> Any:
    return client.post(f"/events/{row_id}/publish", json={} if body is None else body, **kwargs)


def test_the_actions_are_in_the_contract_with_links_from_a_row() -> None:
    publish = CONTRACT["paths"]["/events/{event_id}/publish"]["post"]
    assert publish["operationId"] == "publish_event"
    assert publish["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventRead"
    }
    assert {"404", "409", "415", "422"} <= set(publish["responses"])
    stats = CONTRACT["paths"]["/events/stats"]["get"]
    assert [p["name"] for p in stats["parameters"]] == ["since"]
    created = CONTRACT["paths"]["/events"]["post"]["responses"]["201"]["links"]
    assert created["PublishEvent"]["operationId"] == "publish_event"


def test_publish_turns_a_draft_into_a_published_event(client: TestClient) -> None:
    row = create_event(client, name="Draft")
    assert row["status"] == "draft"
    response = _publish(client, row["id"], {"starts_at": "2032-05-01T18:00:00Z"})
    assert response.status_code == 200, response.text
    published = response.json()
    assert_matches_schema(published, "EventRead")
    assert published["status"] == "published"
    assert published["starts_at"] == "2032-05-01T18:00:00Z"
    assert published["version"] == row["version"] + 1
    assert client.get(f"/events/{row['id']}").json() == published


def test_publishing_twice_is_a_conflict_that_changes_nothing(client: TestClient) -> None:
    row = create_event(client)
    assert _publish(client, row["id"]).status_code == 200
    with unchanged(client):
        again = _publish(client, row["id"], {"starts_at": "2040-01-01T00:00:00Z"})
    assert "Only a draft" in assert_problem(again, 409)["detail"]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"starts_at": "not a date"}, {}, 422),
        ({"starts_at": "2032-05-01T18:00:00"}, {}, 422),  # no offset
        ({"unknown": 1}, {}, 422),
        ({"starts_at": 5}, {}, 422),
        ([], {}, 422),
        ({}, {"content-type": "text/plain"}, 415),
    ],
)
def test_a_bad_body_is_refused_and_changes_nothing(
    client: TestClient, body: Any, headers: dict[str, str], status: int
) -> None:
    row = create_event(client)
    with unchanged(client):
        response = _publish(client, row["id"], body, headers=headers)
    assert_problem(response, status)


def test_a_malformed_body_is_a_400(client: TestClient) -> None:
    row = create_event(client)
    response = client.post(
        f"/events/{row['id']}/publish", content=b"{", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


def test_the_path_id_is_validated_and_a_missing_row_is_a_404(client: TestClient) -> None:
    for value in ("0", "abc", str(2**63)):
        assert_param_error(_publish(client, value), "event_id")
    assert_problem(_publish(client, 999_999), 404)


def test_stats_counts_from_a_moment(client: TestClient) -> None:
    create_event(client, starts_at="2030-01-01T00:00:00Z")
    create_event(client, starts_at="2031-06-01T00:00:00Z")
    assert client.get("/events/stats").json() == {"count": 2}
    since = datetime(2031, 1, 1, tzinfo=UTC).isoformat()
    response = client.get("/events/stats", params={"since": since})
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert_matches_schema(response.json(), "EventStatsResponse")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("since=yesterday", "since"),
        ("since=0.5", "since"),  # seconds since 1970 are no date-time of the contract's
        ("since=2031-01-01T00:00:00Z&since=2032-01-01T00:00:00Z", "since"),
        ("limit=5", "limit"),
    ],
)
def test_a_bad_query_is_refused_naming_it(client: TestClient, query: str, name: str) -> None:
    assert_param_error(client.get(f"/events/stats?{query}"), name)


def test_a_collection_action_is_no_row_id(client: TestClient) -> None:
    """/events/stats is the action, not the event whose id is "stats"."""
    assert client.get("/events/stats").status_code == 200
    refused = client.put("/events/stats", json={})
    assert_problem(refused, 405)
    assert refused.headers["allow"] == "GET"


@pytest.fixture
def failing(settings: Settings) -> FastAPI:
    return create_app(settings, custom_package=f"{FIXTURES}.failing_action")


def test_an_action_that_raises_rolls_its_changes_back(failing: FastAPI) -> None:
    with TestClient(failing, raise_server_exceptions=False) as client:
        row = create_event(client, name="Kept")
        before = snapshot(client)
        response = _publish(client, row["id"])
        assert_problem(response, 409)
        assert snapshot(client) == before
        assert client.get(f"/events/{row['id']}").json()["name"] == "Kept"


def test_an_answer_off_the_contract_is_a_server_error_never_sent(failing: FastAPI) -> None:
    with TestClient(failing, raise_server_exceptions=False) as client:
        response = client.get("/events/stats")
    problem = assert_problem(response, 500)
    assert "count" not in str(problem)
