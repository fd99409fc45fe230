"""A list's query string as the contract declares it: repeated keys, commas, escapes, cursors.

Generated clients send an array as one key per value (``style: form, explode: true``);
the server also takes the values separated by commas. Inside an ``__in`` value, ``\\,``
is a comma and ``\\\\`` a backslash. A cursor has the shape its schema says, and a
cursor of that shape that no page answered is the documented 400.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.core.data.query_values import split_escaped
from tests.api.helpers import (
    CONTRACT,
    assert_param_error,
    assert_problem,
    create_event,
    create_image,
    each_case,
)

Query = list[tuple[str, Any]]


def _ids(client: TestClient, path: str, query: Query) -> list[int]:
    response = client.get(path, params=[*query, ("limit", "100")])
    assert response.status_code == 200, f"{path} {query}: {response.text}"
    return [row["id"] for row in response.json()["items"]]


def _same_answer(client: TestClient, path: str, cases: list[tuple[Query, Query]]) -> None:
    """Each pair of query strings lists the same rows, in the same order, and some."""
    for (repeated, joined), check in each_case(cases):
        with check:
            answered = _ids(client, path, repeated)
            assert answered == _ids(client, path, joined), (repeated, joined)
            assert answered, repeated


def _events(client: TestClient) -> list[dict[str, Any]]:
    venue = client.post("/venues", json={"name": "Hall", "city": "Lyon"}).json()["id"]
    specs: list[dict[str, Any]] = [
        {"location": "Lyon", "status": "draft", "capacity": 10, "venue_id": venue,
         "starts_at": "2099-01-01T10:00:00Z"},
        {"location": "Paris", "status": "published", "capacity": 10, "venue_id": venue,
         "starts_at": "2099-01-02T10:00:00Z"},
        {"location": "Nice", "status": "cancelled", "capacity": 20, "venue_id": venue,
         "starts_at": "2099-01-03T10:00:00Z"},
        {"location": "Lyon", "status": "published", "capacity": 20},
    ]  # fmt: skip
    return [create_event(client, name=f"Event {i}", **spec) for i, spec in enumerate(specs)]


def test_array_parameters_take_repeated_keys(client: TestClient) -> None:
    """``?k=a&k=b`` is ``?k=a,b`` for every ``__in``, ``sort`` and ``expand``, on generated
    lists, nested lists and the custom route that takes list_events' parameters."""
    rows = _events(client)
    venue = rows[0]["venue_id"]
    cases: list[tuple[Query, Query]] = [
        ([("status__in", "draft"), ("status__in", "cancelled")],
         [("status__in", "draft,cancelled")]),
        ([("status__in", "draft,cancelled"), ("status__in", "published")],
         [("status__in", "draft,cancelled,published")]),
        ([("location__in", "Lyon"), ("location__in", "Nice")], [("location__in", "Lyon,Nice")]),
        ([("sort", "capacity"), ("sort", "-name")], [("sort", "capacity,-name")]),
        ([("sort", "-capacity"), ("sort", "name")], [("sort", "-capacity,name")]),
        ([("sort", "-capacity"), ("status__in", "published"), ("sort", "name"),
          ("status__in", "draft")],
         [("sort", "-capacity,name"), ("status__in", "published,draft")]),
    ]  # fmt: skip
    _same_answer(client, "/events", cases)
    _same_answer(client, f"/venues/{venue}/upcoming-events", [*cases[:2], *cases[3:5]])
    image = create_image(client, rows[0]["id"], content_type="image/png")
    create_image(client, rows[0]["id"], content_type="image/jpeg")
    create_image(client, rows[1]["id"], content_type="image/webp")
    images: list[tuple[Query, Query]] = [
        ([("content_type__in", "image/png"), ("content_type__in", "image/webp")],
         [("content_type__in", "image/png,image/webp")]),
        ([("event_id__in", str(rows[0]["id"])), ("event_id__in", str(rows[2]["id"]))],
         [("event_id__in", f"{rows[0]['id']},{rows[2]['id']}")]),
    ]  # fmt: skip
    _same_answer(client, "/images", images)
    _same_answer(client, f"/events/{rows[0]['id']}/images", images[:1])
    # expand, on a list and on a get
    both: Query = [("expand", "images"), ("expand", "venue")]
    listed = client.get("/events", params=both)
    assert listed.status_code == 200, listed.text
    assert listed.json() == client.get("/events", params={"expand": "images,venue"}).json()
    assert {"images", "venue"} <= set(listed.json()["items"][0])
    got = client.get(f"/events/{rows[0]['id']}", params=both)
    assert got.status_code == 200, got.text
    assert got.json()["images"][0]["id"] == image["id"]
    assert got.json()["venue"]["id"] == venue


def test_scalar_parameters_given_twice_are_refused(client: TestClient) -> None:
    """A parameter of one value, given twice, is a 422 naming it: which one would count?"""
    cases = [
        ("/events", "limit", ["1", "2"]),
        ("/events", "cursor", ["AAAA", "AAAA"]),
        ("/events", "location", ["Lyon", "Lyon"]),
        ("/events", "location__is_null", ["true", "true"]),
        ("/events", "name__contains", ["a", "b"]),
        ("/events", "capacity__gte", ["1", "2"]),
        ("/events", "count", ["true", "false"]),
        ("/images", "include_deleted", ["true", "true"]),
    ]
    for (path, name, values), check in each_case(cases):
        with check:
            repeated: Query = [(name, value) for value in values]
            body = assert_param_error(client.get(path, params=repeated), name)
            assert "more than once" in str(body["errors"]), body
    # The arrays keep their own bounds across keys: a relation named twice, too many sorts.
    twice = client.get("/events", params=[("expand", "images"), ("expand", "images,venue")])
    assert_param_error(twice, "expand")
    many: Query = [
        ("sort", f"{sign}{name}") for name in ("name", "capacity") for sign in ("", "-")
    ] * 3
    assert_param_error(client.get("/events", params=many), "sort")


def test_in_values_escape_commas_and_backslashes(client: TestClient) -> None:
    """``\\,`` is a comma inside a value and ``\\\\`` a backslash; a bare comma separates."""
    locations = ["Lyon, France", "Lyon", " France", "C:\\Halls", "a\\,b", "Paris"]
    by_location = {
        location: create_event(client, name=f"Escaped {i}", location=location)["id"]
        for i, location in enumerate(locations)
    }

    def rows(*wanted: str) -> list[int]:
        return sorted(by_location[w] for w in wanted)

    cases: list[tuple[Query, list[int]]] = [
        ([("location__in", "Lyon\\, France")], rows("Lyon, France")),
        ([("location__in", "Lyon, France")], rows("Lyon", " France")),
        ([("location__in", "C:\\\\Halls")], rows("C:\\Halls")),
        ([("location__in", "a\\\\\\,b")], rows("a\\,b")),
        ([("location__in", "a\\\\,b")], []),  # "a\" and "b"
        ([("location__in", "Lyon\\, France,Paris")], rows("Lyon, France", "Paris")),
        ([("location__in", "Lyon\\, France"), ("location__in", "C:\\\\Halls")],
         rows("Lyon, France", "C:\\Halls")),
        # An eq filter takes its value as written: no separator, no escape.
        ([("location", "Lyon, France")], rows("Lyon, France")),
        ([("location", "a\\,b")], rows("a\\,b")),
    ]  # fmt: skip
    for (query, expected), check in each_case(cases):
        with check:
            assert sorted(_ids(client, "/events", query)) == expected, query
    for bad, check in each_case(["C:\\Halls", "trailing\\", "Lyon\\;France"]):
        with check:
            response = client.get("/events", params={"location__in": bad})
            body = assert_param_error(response, "location__in")
            assert "a backslash must escape a comma or a backslash" in body["errors"][0]["detail"]


# -- the contract says what the server reads ----------------------------------------------------


def _list_operations() -> dict[str, dict[str, Any]]:
    """Every operation of the contract that takes ``cursor``: the lists, nested ones too."""
    return {
        operation["operationId"]: operation
        for item in CONTRACT["paths"].values()
        for operation in item.values()
        if any(p["name"] == "cursor" for p in operation.get("parameters", []))
    }


def test_contract_declares_arrays_as_repeated_keys() -> None:
    """Generated clients send arrays as repeated keys: the contract declares that form,
    and only for the array-valued parameters."""
    operations = _list_operations()
    assert {"list_events", "list_images", "list_event_images"} <= set(operations)
    for operation_id, operation in operations.items():
        for parameter in operation["parameters"]:
            if parameter["in"] != "query":
                continue
            label = f"{operation_id} {parameter['name']}"
            if parameter["schema"].get("type") == "array":
                assert (parameter.get("style"), parameter.get("explode")) == ("form", True), label
                assert "commas" in parameter["description"], label
            else:
                assert "explode" not in parameter, label
    get = CONTRACT["paths"]["/events/{event_id}"]["get"]
    expand = next(p for p in get["parameters"] if p["name"] == "expand")
    assert (expand["style"], expand["explode"]) == ("form", True)


def _in_item_pattern() -> str:
    operation = _list_operations()["list_events"]
    location_in = next(p for p in operation["parameters"] if p["name"] == "location__in")
    pattern: str = location_in["schema"]["items"]["pattern"]
    assert "\\," in location_in["description"], location_in["description"]
    return pattern


@given(data=st.data())
@settings(max_examples=200, derandomize=True, database=None)
def test_a_schema_valid_in_item_is_one_value(data: st.DataObject) -> None:
    """An ``__in`` item the contract admits is read as exactly one value, of at most the
    field's length; any value of the field can be written as such an item."""
    pattern = _in_item_pattern()
    item = data.draw(st.from_regex(pattern, fullmatch=True), label="item")
    (value,) = split_escaped([item])
    assert len(value) <= 100
    value = data.draw(st.text(st.characters(exclude_characters="\x00"), max_size=100))
    written = value.replace("\\", "\\\\").replace(",", "\\,")
    assert re.fullmatch(pattern, written), written
    assert split_escaped([written]) == [value]


def _cursor_schema() -> dict[str, Any]:
    operation = _list_operations()["list_events"]
    cursor = next(p for p in operation["parameters"] if p["name"] == "cursor")
    assert "400" in cursor["description"]
    assert "400" in operation["responses"]
    schema: dict[str, Any] = cursor["schema"]
    return schema


def _cursor_validator() -> Draft202012Validator:
    return Draft202012Validator(_cursor_schema())


def test_cursor_schema_says_what_a_cursor_looks_like(client: TestClient) -> None:
    """Every cursor a list answers is valid in the contract; text no cursor can be (a NUL,
    a character outside base64url, a length base64 never has) is not, and is refused."""
    validator = _cursor_validator()
    for i in range(6):
        create_event(client, name=f"Paged {i}", location="Lyon, France", capacity=i)
    queries: list[dict[str, Any]] = [
        {}, {"sort": "name"}, {"sort": "-capacity,name"}, {"location__in": "Lyon\\, France"},
        {"starts_at__gte": "2026-01-01T00:00:00+02:00", "sort": "created_at"},
    ]  # fmt: skip
    for query in queries:
        cursor = client.get("/events", params={**query, "limit": 1}).json()["next_cursor"]
        while cursor is not None:
            assert validator.is_valid(cursor), cursor
            page = client.get("/events", params={**query, "limit": 2, "cursor": cursor})
            assert page.status_code == 200, page.text
            cursor = page.json()["next_cursor"]
    for bad in ["", "A", "AAAAA", "\x00AAA", "AA\x00A", "AA=", "AA+A", "AA/A", "AA A", "!!AA"]:
        assert not validator.is_valid(bad), repr(bad)
        response = client.get("/events", params={"cursor": bad})
        assert 400 <= response.status_code < 500, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


@given(data=st.data())
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_a_schema_valid_cursor_is_taken_or_the_documented_400(
    client: TestClient, data: st.DataObject
) -> None:
    """A cursor of the contract's shape that no page answered is the 400 the contract
    documents, never a 422 for a value the contract admits."""
    validator = _cursor_validator()
    pattern = _cursor_schema()["pattern"]
    cursor = data.draw(st.from_regex(pattern, fullmatch=True).filter(validator.is_valid))
    response = client.get("/events", params={"cursor": cursor})
    if response.status_code != 200:
        assert_problem(response, 400)
