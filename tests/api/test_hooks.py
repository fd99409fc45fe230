"""A custom hook rejects a change with a Problem: that is the answer, and nothing is stored.

The app mounts ``tests/api/fixtures/rejecting_hook`` as its custom package.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    FIXTURES,
    MERGE_PATCH,
    assert_problem,
    create_event,
    event_body,
    other_app_client,
    snapshot,
    unchanged,
)


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[TestClient]:
    with other_app_client(tmp_path, custom_package=f"{FIXTURES}.rejecting_hook") as client:
        yield client


def test_before_create_rejects_with_its_problem(hooked: TestClient) -> None:
    with unchanged(hooked):
        response = hooked.post("/events", json=event_body(name="Blocked party"))
    problem = assert_problem(response, 409)
    assert problem["title"] == "Refused by a hook"
    assert problem["detail"] == "Events named Blocked… are refused."


def test_hooks_let_other_changes_through(hooked: TestClient) -> None:
    row = create_event(hooked, name="Allowed")
    assert snapshot(hooked)["/events"] == [row]


def test_a_hook_sees_the_request_headers(hooked: TestClient) -> None:
    with unchanged(hooked):
        response = hooked.post("/events", json=event_body(), headers={"x-read-only": "yes"})
    assert_problem(response, 403)
    assert hooked.post("/events", json=event_body()).status_code == 201


def test_after_create_rejection_rolls_the_insert_back(hooked: TestClient) -> None:
    with unchanged(hooked):
        response = hooked.post("/events", json=event_body(name="Regretted"))
    assert_problem(response, 409)
    nxt = create_event(hooked, name="Next")
    assert snapshot(hooked)["/events"] == [nxt]


def test_before_replace_rejection_keeps_the_row(hooked: TestClient) -> None:
    row = create_event(hooked, name="Fixed")
    with unchanged(hooked):
        response = hooked.put(f"/events/{row['id']}", json=event_body(name="Renamed"))
    assert_problem(response, 409)
    assert hooked.get(f"/events/{row['id']}").json() == row


def test_after_update_rejection_rolls_the_update_back(hooked: TestClient) -> None:
    row = create_event(hooked, capacity=50)
    with unchanged(hooked):
        response = hooked.patch(
            f"/events/{row['id']}",
            json={"capacity": 13, "location": "Rome"},
            headers={"content-type": MERGE_PATCH},
        )
    assert_problem(response, 409)
    assert hooked.get(f"/events/{row['id']}").json() == row


def test_before_delete_rejection_keeps_the_row(hooked: TestClient) -> None:
    row = create_event(hooked, status="published")
    with unchanged(hooked):
        response = hooked.delete(f"/events/{row['id']}")
    assert_problem(response, 409)
    assert hooked.get(f"/events/{row['id']}").status_code == 200


def test_after_delete_rejection_rolls_the_delete_back(hooked: TestClient) -> None:
    row = create_event(hooked, name="Sticky")
    with unchanged(hooked):
        response = hooked.delete(f"/events/{row['id']}")
    assert_problem(response, 409)
    assert hooked.get(f"/events/{row['id']}").json() == row
