"""A JSON body that names a key twice in one object: 400, saying which key and where.

The parsers keep the last value, so ``{"capacity": -5, "capacity": 5}`` would store 5
though its first value is invalid. Every write that takes a body refuses it, at any
depth, and stores nothing; a body without a duplicate is taken however it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    CONTRACT,
    MERGE_PATCH,
    assert_problem,
    create_event,
    create_image,
    unchanged,
)

JSON = {"content-type": "application/json"}
EVENT = '"name":"Dup","starts_at":"2026-01-01T10:00:00Z"'


@pytest.fixture
def rows(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    event = create_event(client, name="Stored", location="Lyon")
    return event, create_image(client, event["id"])


def _writes(rows: tuple[dict[str, Any], dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """Create, replace and merge patch of an event: (method, url, content type)."""
    event = rows[0]
    yield "POST", "/events", "application/json"
    yield "PUT", f"/events/{event['id']}", "application/json"
    yield "PATCH", f"/events/{event['id']}", MERGE_PATCH


def _assert_duplicate(response: Any, key: str, at: str, member: str) -> None:
    problem = assert_problem(response, 400, pointers=(member,))
    assert problem["title"] == "Duplicate key", problem
    assert f"duplicate key {key!r} at {at};" in problem["detail"], problem


# (body, key, where the object is, the pointer of the repeated member)
CASES = [
    (f'{{{EVENT},"capacity":-5,"capacity":5}}', "capacity", "/", "/capacity"),
    (f'{{"capacity":5,{EVENT},"capacity":5}}', "capacity", "/", "/capacity"),
    # Written in ways the quick test cannot decide: the full parse finds them too.
    (f'{{\n  {EVENT},\n  "capacity": 1,\n  "capacity": 2\n}}', "capacity", "/", "/capacity"),
    (f'{{{EVENT},"name" : "again"}}', "name", "/", "/name"),
    (f'{{{EVENT},"n\\u0061me":"escaped"}}', "name", "/", "/name"),
    (f'{{{EVENT},"location":"say \\":\\"","location":"x"}}', "location", "/", "/location"),
    # At depth: the object's pointer, escaped as RFC 6901 says.
    (f'{{{EVENT},"tags":[{{"a":1,"a":2}}]}}', "a", "/tags/0", "/tags/0/a"),
    (f'{{{EVENT},"x":{{"y/z":{{"k~":1,"k~":1}}}}}}', "k~", "/x/y~1z", "/x/y~1z/k~0"),
]


@pytest.mark.parametrize(("body", "key", "at", "member"), CASES)
def test_a_key_twice_is_refused_and_nothing_stored(
    client: TestClient, rows: Any, body: str, key: str, at: str, member: str
) -> None:
    for method, url, media_type in _writes(rows):
        with unchanged(client):
            response = client.request(
                method, url, content=body.encode(), headers={"content-type": media_type}
            )
        _assert_duplicate(response, key, at, member)


def test_a_key_twice_in_a_bulk_item(client: TestClient, rows: Any) -> None:
    del rows
    body = f'[{{{EVENT}}},{{"name":"Two","starts_at":"2026-01-02T10:00:00Z","name":"Two"}}]'
    with unchanged(client):
        response = client.post("/events/bulk", content=body.encode(), headers=JSON)
    _assert_duplicate(response, "name", "/1", "/1/name")


def test_a_key_twice_in_an_image(client: TestClient, rows: Any) -> None:
    event, image = rows
    body = (
        f'{{"url":"https://a.example/b.png","width":1,"height":1,"width":2,'
        f'"content_type":"image/png","event_id":{event["id"]}}}'
    )
    for method, url, media_type in [
        ("POST", "/images", "application/json"),
        ("PATCH", f"/images/{image['id']}", MERGE_PATCH),
    ]:
        with unchanged(client):
            response = client.request(
                method, url, content=body.encode(), headers={"content-type": media_type}
            )
        _assert_duplicate(response, "width", "/", "/width")


@pytest.mark.parametrize(
    "body",
    [
        f'{{\n  {EVENT},\n  "capacity" : 7\n}}',
        f'{{{EVENT},"location":"say \\":\\" and \\"capacity\\":","capacity":7}}',
        f'{{{EVENT},"tags":["a\\":","b"],"capacity":7}}',
        f'{{ {EVENT} , "capacity":7 }}',
    ],
    ids=["pretty", "colon-in-a-string", "colon-in-an-item", "spaces"],
)
def test_a_body_without_duplicates_is_taken_however_written(client: TestClient, body: str) -> None:
    response = client.post("/events", content=body.encode(), headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()["capacity"] == 7


def test_the_contract_documents_the_400() -> None:
    """Every operation that takes a JSON body documents the 400, which names this case."""
    described = CONTRACT["components"]["responses"]["BadRequest"]["description"]
    assert re.search(r"key given twice", described), described
    for path, item in CONTRACT["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
