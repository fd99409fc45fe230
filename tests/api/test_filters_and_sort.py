"""List filters per field type and operator, and sorting: what the spec declares, nothing else.

Every case compares the ids a filtered list answers with the ids a Python predicate
picks from the rows as created, so that a filter that admits too much or too little
fails, naming the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import (
    assert_problem,
    create_event,
    create_image,
    each_case,
    parse_utc,
)
from tests.api.query_helpers import Row, listed, sort_key


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _post(client: TestClient, path: str, body: dict[str, Any]) -> Row:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    row: Row = response.json()
    return row


# -- events of every kind of value --------------------------------------------------------------


@dataclass
class Events:
    rows: list[Row]
    venues: list[int]


def _events(client: TestClient) -> Events:
    """Events whose values differ in case, offset, null-ness and LIKE wildcards."""
    v1 = _post(client, "/venues", {"name": "Hall One", "city": "Lyon"})["id"]
    v2 = _post(client, "/venues", {"name": "Hall Two", "city": "Paris"})["id"]
    specs: list[dict[str, Any]] = [
        # 10:00+02:00 and 08:00Z below are the same instant.
        {"name": "Alpha Show", "location": "Lyon", "starts_at": "2026-05-01T10:00:00+02:00",
         "capacity": 100, "status": "published", "venue_id": v1},
        {"name": "alpha show", "location": "lyon", "starts_at": "2026-05-01T08:00:00Z",
         "capacity": 50, "status": "draft"},
        {"name": "Beta 100% Fun", "location": "Paris", "starts_at": "2026-05-02T00:00:00Z",
         "capacity": 0, "status": "cancelled", "venue_id": v2},
        {"name": "Beta 1000 Fun", "starts_at": "2026-04-30T23:59:59-05:00",
         "capacity": 100000, "status": "published"},
        {"name": "Beta_Night", "location": "Lyon", "starts_at": "2026-05-01T08:00:01Z",
         "venue_id": v1},
        {"name": "Beta1Night", "starts_at": "2026-05-01T07:59:59Z", "capacity": 99,
         "status": "published", "venue_id": v2},
        {"name": "AC/DC Tribute", "location": "Marseille", "starts_at": "2026-06-01T20:00:00Z",
         "capacity": 101, "status": "cancelled"},
        {"name": "Zeta", "location": "", "starts_at": "2027-01-01T00:00:00Z", "capacity": 1,
         "status": "published", "venue_id": v1},
        {"name": "Back\\Slash", "location": "Paris", "starts_at": "2026-05-01T08:00:00.5Z",
         "capacity": 100, "status": "draft"},
    ]  # fmt: skip
    rows = [create_event(client, **spec) for spec in specs]
    return Events(rows, [v1, v2])


def _ids(rows: list[Row]) -> list[int]:
    return sorted(r["id"] for r in rows)


def _check_filters(
    client: TestClient, path: str, rows: list[Row], cases: list[tuple[dict[str, Any], Any]]
) -> None:
    for (params, predicate), check in each_case(cases):
        with check:
            expected = _ids([r for r in rows if predicate(r)])
            got = _ids(listed(client, path, params))
            assert got == expected, f"{params}: answered {got}, expected {expected}"


def _instant(row: Row) -> datetime:
    return parse_utc(row["starts_at"])


T0 = _at("2026-05-01T08:00:00Z")
TENTH = timedelta(milliseconds=100)


def test_string_filters(client: TestClient) -> None:
    data = _events(client)
    name: Callable[[Row], str] = lambda r: r["name"]  # noqa: E731
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"name": "Alpha Show"}, lambda r: name(r) == "Alpha Show"),
        ({"name": "alpha show"}, lambda r: name(r) == "alpha show"),
        ({"name": "ALPHA SHOW"}, lambda _: False),
        ({"name": "Alpha"}, lambda _: False),  # eq is the whole value
        ({"name__contains": "lpha"}, lambda r: "lpha" in name(r)),
        # contains counts case; icontains does not.
        ({"name__contains": "Alpha"}, lambda r: "Alpha" in name(r)),
        ({"name__contains": "ALPHA"}, lambda _: False),
        ({"name__contains": "beta"}, lambda _: False),
        ({"name__icontains": "ALPHA"}, lambda r: "alpha" in name(r).lower()),
        ({"name__icontains": "beta"}, lambda r: "beta" in name(r).lower()),
        ({"name__icontains": "sHoW"}, lambda r: "show" in name(r).lower()),
        # % and _ are the text itself, never LIKE wildcards.
        ({"name__contains": "%"}, lambda r: "%" in name(r)),
        ({"name__contains": "0%"}, lambda r: "0%" in name(r)),
        ({"name__contains": "0% F"}, lambda r: "0% F" in name(r)),
        ({"name__contains": "_"}, lambda r: "_" in name(r)),
        ({"name__contains": "a_N"}, lambda r: "a_N" in name(r)),
        ({"name__icontains": "A_n"}, lambda r: "a_n" in name(r).lower()),
        ({"name__icontains": "0% f"}, lambda r: "0% f" in name(r).lower()),
        ({"name__icontains": "%"}, lambda r: "%" in name(r)),
        ({"name__contains": "C/D"}, lambda r: "C/D" in name(r)),
        ({"name__contains": "/"}, lambda r: "/" in name(r)),
        ({"name__contains": "k\\S"}, lambda r: "k\\S" in name(r)),
        ({"name__icontains": "\\s"}, lambda r: "\\s" in name(r).lower()),
    ]
    loc: Callable[[Row], str | None] = lambda r: r["location"]  # noqa: E731
    assert any(loc(r) is None for r in data.rows)
    cases += [
        ({"location": "Lyon"}, lambda r: loc(r) == "Lyon"),
        ({"location": "lyon"}, lambda r: loc(r) == "lyon"),
        ({"location": ""}, lambda r: loc(r) == ""),
        # ne admits the rows without a value: null differs from "Lyon".
        ({"location__ne": "Lyon"}, lambda r: loc(r) != "Lyon"),
        ({"location__ne": ""}, lambda r: loc(r) != ""),
        ({"location__in": "Lyon,Paris"}, lambda r: loc(r) in ("Lyon", "Paris")),
        ({"location__in": "lyon"}, lambda r: loc(r) == "lyon"),
        ({"location__in": "Nowhere,Marseille"}, lambda r: loc(r) == "Marseille"),
        ({"location__is_null": "true"}, lambda r: loc(r) is None),
        # An empty string is a value, not null.
        ({"location__is_null": "false"}, lambda r: loc(r) is not None),
    ]
    _check_filters(client, "/events", data.rows, cases)


def test_integer_date_time_enum_and_reference_filters(client: TestClient) -> None:
    data = _events(client)
    cap: Callable[[Row], int] = lambda r: r["capacity"]  # noqa: E731
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"capacity": "100"}, lambda r: cap(r) == 100),
        ({"capacity": "0"}, lambda r: cap(r) == 0),
        ({"capacity": "7"}, lambda _: False),
        ({"capacity__gte": "100"}, lambda r: cap(r) >= 100),
        ({"capacity__gte": "101"}, lambda r: cap(r) >= 101),
        ({"capacity__lte": "99"}, lambda r: cap(r) <= 99),
        ({"capacity__lte": "100"}, lambda r: cap(r) <= 100),
        ({"capacity__gte": "0"}, lambda _: True),
        ({"capacity__gte": "50", "capacity__lte": "100"}, lambda r: 50 <= cap(r) <= 100),
        ({"capacity__gte": "101", "capacity__lte": "100"}, lambda _: False),
    ]
    # Date-times compare as instants, whatever the offset either side is written in.
    cases += [
        ({"starts_at__gte": "2026-05-01T08:00:00Z"}, lambda r: _instant(r) >= T0),
        ({"starts_at__gte": "2026-05-01T10:00:00+02:00"}, lambda r: _instant(r) >= T0),
        ({"starts_at__gt": "2026-05-01T10:00:00+02:00"}, lambda r: _instant(r) > T0),
        ({"starts_at__gt": "2026-05-01T03:00:00-05:00"}, lambda r: _instant(r) > T0),
        ({"starts_at__lte": "2026-05-01T08:00:00Z"}, lambda r: _instant(r) <= T0),
        ({"starts_at__lt": "2026-05-01T08:00:00.000Z"}, lambda r: _instant(r) < T0),
        # Sub-second precision is kept: 08:00:00.5 lies between 08:00:00 and 08:00:01.
        ({"starts_at__gt": "2026-05-01T08:00:00.4Z"}, lambda r: _instant(r) > T0 + TENTH * 4),
        ({"starts_at__lt": "2026-05-01T08:00:00.6Z"}, lambda r: _instant(r) < T0 + TENTH * 6),
        (
            {"starts_at__gte": "2026-05-01T00:00:00Z", "starts_at__lt": "2026-05-02T00:00:00Z"},
            lambda r: _at("2026-05-01T00:00:00Z") <= _instant(r) < _at("2026-05-02T00:00:00Z"),
        ),
        ({"starts_at__gte": "2030-01-01T00:00:00Z"}, lambda _: False),
    ]
    middle = data.rows[len(data.rows) // 2]["created_at"]
    cases += [
        ({"created_at__gte": middle}, lambda r: parse_utc(r["created_at"]) >= _at(middle)),
        ({"created_at__lt": middle}, lambda r: parse_utc(r["created_at"]) < _at(middle)),
    ]
    status: Callable[[Row], str] = lambda r: r["status"]  # noqa: E731
    cases += [
        ({"status": "published"}, lambda r: status(r) == "published"),
        ({"status": "draft"}, lambda r: status(r) == "draft"),
        ({"status__ne": "draft"}, lambda r: status(r) != "draft"),
        ({"status__in": "draft,cancelled"}, lambda r: status(r) in ("draft", "cancelled")),
        ({"status__in": "published"}, lambda r: status(r) == "published"),
        ({"status": "published", "status__ne": "published"}, lambda _: False),
    ]
    v1, v2 = data.venues
    venue: Callable[[Row], int | None] = lambda r: r["venue_id"]  # noqa: E731
    cases += [
        ({"venue_id": str(v1)}, lambda r: venue(r) == v1),
        ({"venue_id": str(v2)}, lambda r: venue(r) == v2),
        ({"venue_id": str(v2 + 1000)}, lambda _: False),
        ({"venue_id__is_null": "true"}, lambda r: venue(r) is None),
        ({"venue_id__is_null": "false"}, lambda r: venue(r) is not None),
        (
            {"venue_id": str(v1), "status": "published", "capacity__gte": "50"},
            lambda r: venue(r) == v1 and r["status"] == "published" and r["capacity"] >= 50,
        ),
        (
            {"name__icontains": "beta", "location__ne": "Lyon", "venue_id__is_null": "false"},
            lambda r: "beta" in r["name"].lower() and r["location"] != "Lyon" and venue(r),
        ),
    ]
    _check_filters(client, "/events", data.rows, cases)
    before = len(listed(client, "/events", {"created_at__lt": middle}))
    assert 1 <= before < len(data.rows)
    # The same filters hold on a nested list of events.
    nested = _ids(listed(client, f"/venues/{v1}/events", {"status": "published"}))
    assert nested == _ids([r for r in data.rows if venue(r) == v1 and r["status"] == "published"])


def test_filters_of_images_venues_and_performers(client: TestClient) -> None:
    e1 = create_event(client, name="Host one")["id"]
    e2 = create_event(client, name="Host two")["id"]
    e3 = create_event(client, name="Host three")["id"]
    pictured = _post(client, "/performers", {"name": "Cy", "genre": "comedy"})
    p1 = pictured["id"]
    specs: list[tuple[int, dict[str, Any]]] = [
        (e1, {"width": 100, "content_type": "image/png", "caption": "Sunset 50%"}),
        (e1, {"width": 200, "content_type": "image/jpeg", "performer_id": p1}),
        (e2, {"width": 300, "content_type": "image/webp", "caption": "sunrise_1"}),
        (e2, {"width": 400, "content_type": "image/png", "performer_id": p1, "caption": "SUN"}),
        (e3, {"width": 500, "content_type": "image/gif", "caption": "Moon"}),
    ]
    rows = [create_image(client, event, **spec) for event, spec in specs]
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"event_id": str(e1)}, lambda r: r["event_id"] == e1),
        ({"event_id__in": f"{e1},{e3}"}, lambda r: r["event_id"] in (e1, e3)),
        ({"performer_id": str(p1)}, lambda r: r["performer_id"] == p1),
        ({"performer_id__is_null": "true"}, lambda r: r["performer_id"] is None),
        ({"performer_id__is_null": "false"}, lambda r: r["performer_id"] is not None),
        ({"content_type": "image/png"}, lambda r: r["content_type"] == "image/png"),
        (
            {"content_type__in": "image/gif,image/webp"},
            lambda r: r["content_type"] in ("image/gif", "image/webp"),
        ),
        ({"width__gte": "300"}, lambda r: r["width"] >= 300),
        ({"width__lte": "300"}, lambda r: r["width"] <= 300),
        ({"caption__icontains": "sun"}, lambda r: "sun" in (r["caption"] or "").lower()),
        ({"caption__icontains": "0%"}, lambda r: "0%" in (r["caption"] or "")),
        ({"caption__icontains": "E_1"}, lambda r: "e_1" in (r["caption"] or "").lower()),
        ({"caption__is_null": "true"}, lambda r: r["caption"] is None),
        ({"caption__is_null": "false"}, lambda r: r["caption"] is not None),
        (
            {"event_id": str(e2), "width__gte": "350", "caption__icontains": "s"},
            lambda r: r["event_id"] == e2 and r["width"] >= 350,
        ),
    ]
    _check_filters(client, "/images", rows, cases)
    venues = [
        _post(client, "/venues", {"name": "Small", "city": "Lyon", "seats": 50}),
        _post(client, "/venues", {"name": "Large", "city": "Paris", "seats": 5000}),
        _post(client, "/venues", {"name": "Field", "city": "lyon"}),
    ]
    _check_filters(
        client,
        "/venues",
        venues,
        [
            ({"city": "Lyon"}, lambda r: r["city"] == "Lyon"),
            ({"city__in": "Lyon,Paris"}, lambda r: r["city"] in ("Lyon", "Paris")),
            ({"city__icontains": "LY"}, lambda r: "ly" in r["city"].lower()),
            ({"seats__gte": "50"}, lambda r: r["seats"] is not None and r["seats"] >= 50),
            ({"seats__lte": "50"}, lambda r: r["seats"] is not None and r["seats"] <= 50),
            ({"seats__is_null": "true"}, lambda r: r["seats"] is None),
        ],
    )
    performers = [
        pictured,
        _post(client, "/performers", {"name": "Ana", "genre": "music"}),
        _post(client, "/performers", {"name": "ana", "genre": "dance"}),
        _post(client, "/performers", {"name": "Bo", "genre": "talk"}),
    ]
    _check_filters(
        client,
        "/performers",
        performers,
        [
            ({"name": "Ana"}, lambda r: r["name"] == "Ana"),
            ({"name__icontains": "AN"}, lambda r: "an" in r["name"].lower()),
            ({"genre": "dance"}, lambda r: r["genre"] == "dance"),
            ({"genre__in": "music,talk"}, lambda r: r["genre"] in ("music", "talk")),
        ],
    )


# -- refused filters ----------------------------------------------------------------------------


def _assert_names(response: Any, *parameters: str) -> None:
    body = assert_problem(response, 422)
    pointers = {e["pointer"] for e in body.get("errors", [])}
    for parameter in parameters:
        assert f"query:/{parameter}" in pointers, f"{parameter} not named in {sorted(pointers)}"


BAD_VALUES = [
    ("capacity__gte", "x"),
    ("capacity__gte", "many"),
    ("capacity", "1.5"),
    ("capacity", ""),
    ("capacity__lte", "1e3"),
    ("starts_at__gte", "yesterday"),
    ("starts_at__lt", "2026-05-01T08:00:00"),  # no offset: which instant?
    ("starts_at__gt", "2026-13-01T00:00:00Z"),
    ("created_at__gte", "not-a-date"),
    ("status", "archived"),
    ("status", "Published"),
    ("status__in", "draft,archived"),
    ("status__ne", ""),
    ("venue_id", "abc"),
    ("venue_id", "0"),
    ("venue_id", "-1"),
    ("venue_id", str(2**63)),
    ("venue_id__is_null", "maybe"),
    ("location__is_null", ""),
    ("name__contains", ""),
    ("name", "x" * 201),
]


def test_a_bad_filter_value_is_422_naming_the_parameter(client: TestClient) -> None:
    create_event(client)
    for (parameter, value), check in each_case(BAD_VALUES):
        with check:
            _assert_names(client.get("/events", params={parameter: value}), parameter)
    # Each bad parameter of one request is named, not just the first.
    response = client.get("/events", params={"capacity__gte": "x", "status": "archived"})
    _assert_names(response, "capacity__gte", "status")
    cases = [
        ("event_id__in", "1,x"),
        ("event_id", "one"),
        ("content_type", "image/tiff"),
        ("width__gte", "wide"),
        ("performer_id__is_null", "perhaps"),
    ]
    for (parameter, value), check in each_case(cases):
        with check:
            _assert_names(client.get("/images", params={parameter: value}), parameter)


UNDECLARED = [
    "foo",
    "contact",  # a field without filters
    "tags",
    "tags__contains",
    "starts_at",  # a field whose eq is not declared
    "name__gt",  # an operator the field does not declare
    "name__ne",
    "name__eq",  # eq is written ?name=
    "name__like",
    "name__",
    "capacity__ne",
    "capacity__in",
    "capacity__between",
    "status__contains",
    "location__icontains",
    "venue_id__in",
    "version",
    "include_deleted",  # events are not soft-deleted
    "Name",
]


def test_an_undeclared_field_or_operator_is_422_naming_it(client: TestClient) -> None:
    create_event(client)
    for parameter, check in each_case(UNDECLARED):
        with check:
            _assert_names(client.get("/events", params={parameter: "1"}), parameter)
    _assert_names(client.get("/events", params={"foo": "1", "name__gt": "a"}), "foo", "name__gt")
    # Another resource's filters are not this one's.
    _assert_names(client.get("/images", params={"capacity": "1"}), "capacity")
    _assert_names(client.get("/performers", params={"city": "Lyon"}), "city")


# -- sorting ------------------------------------------------------------------------------------


def _tied_events(client: TestClient) -> list[Row]:
    """30 events with few distinct values: every sort key repeats, in shuffled id order."""
    names = ["beta", "Alpha", "alpha", "Beta", "Zulu", "zulu"]
    bodies = [
        {
            "name": names[index % 6],  # (index % 6, index % 5) never repeats
            "starts_at": f"2026-07-0{1 + (index * 2) % 5}T12:00:00Z",
            "capacity": (index * 11) % 4 * 10,
        }
        for index in range(30)
    ]
    response = client.post("/events/bulk", json=bodies)
    assert response.status_code == 201, response.text
    rows: list[Row] = response.json()["items"]
    return rows


SORTS = [
    "name",
    "-name",
    "starts_at",
    "-starts_at",
    "capacity",
    "-capacity",
    "capacity,name",
    "-capacity,-starts_at",
    "capacity,-starts_at",
    "-starts_at,name",
    "name,starts_at,capacity",
    "-name,capacity,-starts_at",
    "created_at",
    "-created_at",
]


def test_sort_by_declared_fields_with_id_breaking_ties(client: TestClient) -> None:
    rows = _tied_events(client)
    for sort, check in each_case(SORTS):
        with check:
            expected = [r["id"] for r in sorted(rows, key=sort_key(sort))]
            whole = [r["id"] for r in listed(client, "/events", {"sort": sort})]
            assert whole == expected, f"sort={sort}"
    # Without ?sort=, the default: -starts_at.
    expected = [r["id"] for r in sorted(rows, key=sort_key("-starts_at"))]
    assert [r["id"] for r in listed(client, "/events", {})] == expected
    # A field named twice counts once; the id may be named, last.
    by_capacity = [r["id"] for r in listed(client, "/events", {"sort": "capacity"})]
    assert [r["id"] for r in listed(client, "/events", {"sort": "capacity,id"})] == by_capacity
    expected = [r["id"] for r in sorted(rows, key=sort_key("capacity,-id"))]
    assert [r["id"] for r in listed(client, "/events", {"sort": "capacity,-id"})] == expected
    assert [r["id"] for r in listed(client, "/events", {"sort": "capacity,name,capacity"})] == [
        r["id"] for r in listed(client, "/events", {"sort": "capacity,name"})
    ]


def test_order_with_ties_is_total_and_stable_across_pages(client: TestClient) -> None:
    """Pages of a sort with many equal keys, cut at several sizes, join into one order:
    each row once, equal keys ordered by id, the same order every time."""
    rows = _tied_events(client)
    cases = [
        (sort, limit)
        for sort in ["capacity", "-capacity", "starts_at,capacity", "-name"]
        for limit in (2, 7)
    ]
    for (sort, limit), check in each_case(cases):
        with check:
            whole = [r["id"] for r in listed(client, "/events", {"sort": sort})]
            again = [r["id"] for r in listed(client, "/events", {"sort": sort})]
            paged = [r["id"] for r in listed(client, "/events", {"sort": sort}, limit=limit)]
            assert whole == again, "the same list answered two orders"
            assert paged == whole, f"pages of {limit} disagree with one page"
            assert len(set(paged)) == len(rows)
            expected = [r["id"] for r in sorted(rows, key=sort_key(sort))]
            assert paged == expected


def test_images_sort_by_declared_fields(client: TestClient) -> None:
    event = create_event(client)["id"]
    rows = [
        create_image(client, event, width=(i * 3) % 4 + 1, height=(i * 5) % 3 + 1)
        for i in range(15)
    ]
    for sort, check in each_case(["width", "-width,height", "height,-width", "-created_at"]):
        with check:
            expected = [r["id"] for r in sorted(rows, key=sort_key(sort))]
            assert [r["id"] for r in listed(client, "/images", {"sort": sort}, limit=4)] == expected
            nested = listed(client, f"/events/{event}/images", {"sort": sort}, limit=4)
            assert [r["id"] for r in nested] == expected


BAD_SORTS = [
    "location",
    "-contact",
    "tags",
    "status",
    "version",
    "name,bogus",
    "Name",
    "",
    "name,",
    ",name",
    "--name",
    "name desc",
    "width",  # an image field
]


def test_sort_by_an_undeclared_field_is_422(client: TestClient) -> None:
    create_event(client)
    for sort, check in each_case(BAD_SORTS):
        with check:
            _assert_names(client.get("/events", params={"sort": sort}), "sort")
    _assert_names(client.get("/images", params={"sort": "name"}), "sort")
