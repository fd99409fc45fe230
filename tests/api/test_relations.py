"""Relations: what a delete does to the rows that refer to it, nested lists, links, expand.

Event has_many Image (cascade), belongs_to Venue (restrict) and many_to_many Performer;
Image belongs_to Performer (set_null). Venues and images are soft-deleted. ``?expand=``
loads related rows with one query per relation, whatever the number of rows: the
statement count below proves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.api.helpers import (
    assert_matches_schema,
    assert_param_error,
    assert_problem,
    create_event,
    create_image,
    each_case,
)
from tests.api.query_helpers import Row, engine_of, ids, listed

MISSING = 999_999


def _post(client: TestClient, path: str, body: dict[str, Any]) -> Row:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    row: Row = response.json()
    return row


def _venue(client: TestClient, name: str, **fields: Any) -> Row:
    return _post(client, "/venues", {"name": name, "city": "Lyon", **fields})


def _performer(client: TestClient, name: str, **fields: Any) -> Row:
    return _post(client, "/performers", {"name": name, **fields})


def _get(client: TestClient, path: str, **params: Any) -> Row:
    response = client.get(path, params=params)
    assert response.status_code == 200, f"{path}: {response.text}"
    row: Row = response.json()
    return row


def _link(client: TestClient, event_id: int, performer_id: int) -> None:
    response = client.put(f"/events/{event_id}/performers/{performer_id}")
    assert response.status_code == 204, response.text


def _all_images(client: TestClient) -> list[Row]:
    return listed(client, "/images", {"include_deleted": "true"})


# -- on_delete ----------------------------------------------------------------------------------


def test_deleting_an_event_deletes_its_images(client: TestClient) -> None:
    doomed = create_event(client, name="Doomed")["id"]
    kept = create_event(client, name="Kept")["id"]
    doomed_images = [create_image(client, doomed, width=w) for w in (1, 2, 3)]
    kept_image = create_image(client, kept)
    # A soft-deleted image goes with its event too.
    assert client.delete(f"/images/{doomed_images[0]['id']}").status_code == 204
    performer = _performer(client, "Linked")["id"]
    _link(client, doomed, performer)
    _link(client, kept, performer)

    assert client.delete(f"/events/{doomed}").status_code == 204

    for image in doomed_images:
        assert_problem(client.get(f"/images/{image['id']}"), 404)
    assert ids(_all_images(client)) == [kept_image["id"]]
    assert _get(client, f"/images/{kept_image['id']}") == kept_image
    assert_problem(client.get(f"/events/{doomed}/images"), 404)
    # Its links go too; the performer stays.
    assert ids(listed(client, f"/performers/{performer}/events", {})) == [kept]


def test_a_venue_with_events_cannot_be_deleted(client: TestClient) -> None:
    venue = _venue(client, "Busy Hall")
    idle = _venue(client, "Idle Hall")
    events = [create_event(client, name=f"At the hall {i}", venue_id=venue["id"]) for i in (1, 2)]

    refused = client.delete(f"/venues/{venue['id']}")

    assert_problem(refused, 409)
    assert _get(client, f"/venues/{venue['id']}") == venue
    for row in events:
        assert _get(client, f"/events/{row['id']}") == row
    assert ids(listed(client, f"/venues/{venue['id']}/events", {"sort": "name"})) == ids(events)

    # A venue without events goes; so does this one once no event refers to it.
    assert client.delete(f"/venues/{idle['id']}").status_code == 204
    moved = client.patch(
        f"/events/{events[0]['id']}",
        json={"venue_id": None},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert moved.status_code == 200, moved.text
    assert_problem(client.delete(f"/venues/{venue['id']}"), 409)  # one event still there
    assert client.delete(f"/events/{events[1]['id']}").status_code == 204
    assert client.delete(f"/venues/{venue['id']}").status_code == 204
    assert_problem(client.get(f"/venues/{venue['id']}"), 404)
    assert _get(client, f"/events/{events[0]['id']}")["venue_id"] is None


def test_a_deleted_venue_is_kept_but_takes_no_events(client: TestClient) -> None:
    """Venues are soft-deleted: kept for the record, and no parent of any event."""
    gone = _venue(client, "Old Hall")["id"]
    live = _venue(client, "New Hall")["id"]
    event = create_event(client, name="Gig", venue_id=live)
    assert client.delete(f"/venues/{gone}").status_code == 204
    kept = listed(client, "/venues", {"include_deleted": "true"})
    assert [(v["id"], v["deleted_at"] is not None) for v in kept] == [(live, False), (gone, True)]

    patch = {"content-type": "application/merge-patch+json"}
    for venue_id in (gone, MISSING):  # refused alike
        writes = [
            ("post", "/events", {"name": "New", "starts_at": "2030-01-01T00:00:00Z",
                                 "venue_id": venue_id}, {}, "/venue_id"),
            ("put", f"/events/{event['id']}", {"name": "Gig", "starts_at": event["starts_at"],
                                               "venue_id": venue_id}, {}, "/venue_id"),
            ("patch", f"/events/{event['id']}", {"venue_id": venue_id}, patch, "/venue_id"),
            ("post", "/events/bulk", [{"name": "B", "starts_at": "2030-01-01T00:00:00Z",
                                       "venue_id": venue_id}], {}, "/0/venue_id"),
        ]  # fmt: skip
        for (method, path, body, headers, pointer), check in each_case(writes):
            with check:
                answer = client.request(method, path, json=body, headers=headers)
                problem = assert_problem(answer, 422, pointers=(pointer,))
                assert f"venue_id={venue_id}" in problem["detail"]
        for path in (f"/venues/{venue_id}/events", f"/venues/{venue_id}/upcoming-events"):
            assert_problem(client.get(path), 404)
    assert _get(client, f"/events/{event['id']}") == event
    assert ids(listed(client, "/events", {})) == [event["id"]]


def test_a_deleted_venues_name_can_be_given_again(client: TestClient) -> None:
    first = _venue(client, "Hall")
    assert client.delete(f"/venues/{first['id']}").status_code == 204

    again = _venue(client, "Hall")

    assert_problem(client.post("/venues", json={"name": "Hall", "city": "Oslo"}), 409,
                   pointers=("/name",))  # fmt: skip
    other = _venue(client, "Other")
    renamed = client.patch(f"/venues/{other['id']}", json={"name": "Hall"},
                           headers={"content-type": "application/merge-patch+json"})  # fmt: skip
    assert_problem(renamed, 409, pointers=("/name",))
    assert client.delete(f"/venues/{again['id']}").status_code == 204
    assert _venue(client, "Hall")["name"] == "Hall"
    names = [
        (v["name"], v["deleted_at"] is None)
        for v in listed(client, "/venues", {"include_deleted": "true", "sort": "id"})
    ]
    assert names == [("Hall", False), ("Hall", False), ("Other", True), ("Hall", True)]


def test_deleting_a_performer_forgets_it_on_images(client: TestClient) -> None:
    gone = _performer(client, "Gone")["id"]
    stays = _performer(client, "Stays")["id"]
    first = create_event(client, name="First")["id"]
    second = create_event(client, name="Second")["id"]
    pictured = [
        create_image(client, first, performer_id=gone),
        create_image(client, second, performer_id=gone),
    ]
    hidden = create_image(client, second, performer_id=gone)
    assert client.delete(f"/images/{hidden['id']}").status_code == 204
    other = create_image(client, first, performer_id=stays)
    _link(client, first, gone)
    _link(client, first, stays)

    assert client.delete(f"/performers/{gone}").status_code == 204

    for image in pictured:
        after = _get(client, f"/images/{image['id']}")
        assert after["performer_id"] is None
        unchanged = {k: v for k, v in after.items() if k not in ("performer_id", "version")}
        assert unchanged == {k: v for k, v in image.items() if k not in ("performer_id", "version")}
    deleted = next(r for r in _all_images(client) if r["id"] == hidden["id"])
    assert deleted["performer_id"] is None
    assert _get(client, f"/images/{other['id']}") == other
    assert ids(listed(client, "/images", {"performer_id__is_null": "true"})) == ids(pictured)
    assert ids(listed(client, f"/events/{first}/performers", {})) == [stays]


# -- nested lists -------------------------------------------------------------------------------


def test_nested_lists_hold_only_the_parent_s_rows(client: TestClient) -> None:
    venue = _venue(client, "Hall")["id"]
    one = create_event(client, name="One", venue_id=venue)["id"]
    two = create_event(client, name="Two")["id"]
    empty = create_event(client, name="Empty")["id"]
    images = {one: [create_image(client, one, width=w) for w in (1, 2, 3)]}
    images[two] = [create_image(client, two, width=w) for w in (4, 5)]
    singer, dancer = _performer(client, "Singer")["id"], _performer(client, "Dancer")["id"]
    _link(client, one, singer)
    _link(client, one, dancer)
    _link(client, two, dancer)
    sort = {"sort": "width"}

    for event_id, rows in images.items():
        for limit in (1, 100):
            nested = listed(client, f"/events/{event_id}/images", sort, limit=limit)
            assert nested == rows, (event_id, limit)
    assert listed(client, f"/events/{empty}/images", {}) == []
    # Performers list by name by default.
    assert ids(listed(client, f"/events/{one}/performers", {})) == [dancer, singer]
    assert ids(listed(client, f"/events/{two}/performers", {})) == [dancer]
    assert ids(listed(client, f"/events/{empty}/performers", {})) == []
    assert ids(listed(client, f"/performers/{dancer}/events", {"sort": "name"})) == [one, two]
    assert ids(listed(client, f"/performers/{singer}/events", {})) == [one]
    assert ids(listed(client, f"/venues/{venue}/events", {})) == [one]
    # Filters apply within the parent.
    wide = listed(client, f"/events/{one}/images", {"width__gte": "2"})
    assert sorted(ids(wide)) == ids(images[one][1:])


def test_a_nested_list_of_a_missing_parent_is_404(client: TestClient) -> None:
    gone = create_event(client, name="Gone")["id"]
    assert client.delete(f"/events/{gone}").status_code == 204
    paths = [
        f"/events/{MISSING}/images",
        f"/events/{gone}/images",
        f"/events/{MISSING}/performers",
        f"/performers/{MISSING}/events",
        f"/venues/{MISSING}/events",
    ]
    for path, check in each_case(paths):
        with check:
            assert_problem(client.get(path), 404)


# -- many-to-many links -------------------------------------------------------------------------


def test_linking_and_unlinking_performers(client: TestClient) -> None:
    gig = create_event(client, name="Gig")["id"]
    other = create_event(client, name="Other gig")["id"]
    singer = _performer(client, "Singer")["id"]
    drummer = _performer(client, "Drummer")["id"]

    first = client.put(f"/events/{gig}/performers/{singer}")
    assert first.status_code == 204, first.text
    assert first.content == b""
    # Linking twice is harmless: still one link.
    assert client.put(f"/events/{gig}/performers/{singer}").status_code == 204
    # Either side links.
    assert client.put(f"/performers/{drummer}/events/{gig}").status_code == 204
    assert ids(listed(client, f"/events/{gig}/performers", {})) == [drummer, singer]
    assert ids(listed(client, f"/performers/{singer}/events", {})) == [gig]
    assert ids(listed(client, f"/events/{other}/performers", {})) == []

    missing = [
        ("put", f"/events/{gig}/performers/{MISSING}"),
        ("put", f"/events/{MISSING}/performers/{singer}"),
        ("put", f"/performers/{singer}/events/{MISSING}"),
        ("delete", f"/events/{gig}/performers/{MISSING}"),
        ("delete", f"/events/{MISSING}/performers/{singer}"),
        ("delete", f"/events/{other}/performers/{singer}"),  # rows exist, not linked
        ("delete", f"/performers/{drummer}/events/{other}"),
    ]
    for (method, path), check in each_case(missing):
        with check:
            assert_problem(client.request(method, path), 404)
    assert ids(listed(client, f"/events/{gig}/performers", {})) == [drummer, singer]

    assert client.delete(f"/events/{gig}/performers/{singer}").status_code == 204
    assert_problem(client.delete(f"/events/{gig}/performers/{singer}"), 404)
    assert client.delete(f"/performers/{drummer}/events/{gig}").status_code == 204
    assert ids(listed(client, f"/events/{gig}/performers", {})) == []
    assert ids(listed(client, f"/performers/{singer}/events", {})) == []
    # Unlinking deletes no row.
    assert _get(client, f"/events/{gig}")["id"] == gig
    assert _get(client, f"/performers/{singer}")["id"] == singer
    # A link can be made again.
    _link(client, gig, singer)
    assert ids(listed(client, f"/events/{gig}/performers", {})) == [singer]


# -- expand -------------------------------------------------------------------------------------


def test_expand_on_list_and_get_answers_the_related_rows(client: TestClient) -> None:
    venue = _venue(client, "Hall")
    full = create_event(client, name="Full", venue_id=venue["id"], starts_at="2026-02-01T00:00:00Z")
    bare = create_event(client, name="Bare", starts_at="2026-01-01T00:00:00Z")
    images = [create_image(client, full["id"], width=w) for w in (3, 1, 2)]
    performers = [_performer(client, name) for name in ("Zed", "Amy")]
    for performer in performers:
        _link(client, full["id"], performer["id"])
    pictured = create_image(client, bare["id"], performer_id=performers[0]["id"])

    page = _get(client, "/events", expand="images,performers,venue")
    assert_matches_schema(page, "EventPage")
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[full["id"]] == {
        **full,
        "images": images,
        "performers": performers,
        "venue": venue,
    }
    assert by_id[bare["id"]] == {**bare, "images": [pictured], "performers": [], "venue": None}

    only_venue = _get(client, "/events", expand="venue")["items"]
    assert {item["id"]: item for item in only_venue}[full["id"]] == {**full, "venue": venue}
    plain = _get(client, "/events")["items"]
    assert all(set(item) == set(full) for item in plain)

    got = _get(client, f"/events/{full['id']}", expand="venue,images")
    assert_matches_schema(got, "EventExpanded")
    assert got == {**full, "images": images, "venue": venue}
    assert _get(client, f"/events/{full['id']}") == full

    image = _get(client, f"/images/{pictured['id']}", expand="event,performer")
    assert image == {**pictured, "event": bare, "performer": performers[0]}
    image = _get(client, f"/images/{images[0]['id']}", expand="performer")
    assert image == {**images[0], "performer": None}
    listed_images = _get(client, f"/events/{full['id']}/images", expand="event")["items"]
    assert listed_images == [{**i, "event": full} for i in images]

    hall = _get(client, f"/venues/{venue['id']}", expand="events")
    assert hall == {**venue, "events": [full]}
    amy = _get(client, f"/performers/{performers[1]['id']}", expand="events")
    assert amy == {**performers[1], "events": [full]}


def test_expanding_what_is_not_a_relation_is_422(client: TestClient) -> None:
    row = create_event(client)
    image = create_image(client, row["id"])
    cases = [
        ("/events", "bogus"),
        ("/events", "images,bogus"),
        ("/events", "image"),
        ("/events", "venue_id"),
        ("/events", ""),
        (f"/events/{row['id']}", "bogus"),
        ("/images", "images"),
        (f"/images/{image['id']}", "venue"),
        ("/venues", "performers"),
    ]
    for (path, expand), check in each_case(cases):
        with check:
            body = assert_problem(client.get(path, params={"expand": expand}), 422)
            assert "query:/expand" in {e["pointer"] for e in body["errors"]}, body


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))  # (connection, cursor, statement, parameters, ...)

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _count(app: FastAPI, client: TestClient, path: str, **params: Any) -> tuple[int, Row]:
    with statements(app) as seen:
        body = _get(client, path, **params)
    return len(seen), body


def test_expand_runs_one_query_per_relation_whatever_the_number_of_rows(
    app: FastAPI, client: TestClient
) -> None:
    venues = [_venue(client, f"Hall {i}")["id"] for i in range(2)]
    performers = [_performer(client, f"Artist {i}")["id"] for i in range(3)]
    bodies = [
        {
            "name": f"Show {i}",
            "starts_at": f"2026-03-{i + 1:02d}T20:00:00Z",
            "venue_id": venues[i % 2],
        }
        for i in range(20)
    ]
    response = client.post("/events/bulk", json=bodies)
    assert response.status_code == 201, response.text
    events = ids(response.json()["items"])
    for index, event_id in enumerate(events):
        _link(client, event_id, performers[index % 3])
        if index % 2:
            _link(client, event_id, performers[(index + 1) % 3])
    expand = "images,performers,venue"

    plain, _ = _count(app, client, "/events", limit=20)
    without_images, page = _count(app, client, "/events", limit=20, expand=expand)
    assert [len(item["images"]) for item in page["items"]] == [0] * 20
    one_row, _ = _count(app, client, "/events", limit=1, expand=expand)
    got_plain, _ = _count(app, client, f"/events/{events[0]}")
    got_expanded, _ = _count(app, client, f"/events/{events[0]}", expand=expand)

    for event_id in events:
        for width in range(1, 6):
            create_image(client, event_id, width=width)

    with statements(app) as seen:
        page = _get(client, "/events", limit=20, expand=expand)
    with_images = len(seen)
    assert [len(item["images"]) for item in page["items"]] == [5] * 20
    assert {len(item["performers"]) for item in page["items"]} == {1, 2}
    assert all(item["venue"]["id"] in venues for item in page["items"])
    after_get, got = _count(app, client, f"/events/{events[0]}", expand=expand)
    assert len(got["images"]) == 5

    listing = "\n".join(seen)
    assert with_images == without_images == one_row, (
        f"{without_images} statements with no images, {with_images} with 5 per event, "
        f"{one_row} for one event:\n{listing}"
    )
    assert with_images <= plain + 3, f"more than one query per relation:\n{listing}"
    assert with_images <= 5, listing
    assert after_get == got_expanded <= got_plain + 3


def test_a_nested_list_takes_no_filter_on_its_parent_reference(client: TestClient) -> None:
    """Under /events/{event_id}/images the event is the path's: ?event_id= is no parameter."""
    event_id = create_event(client, name="Parent")["id"]
    response = client.get(f"/events/{event_id}/images", params={"event_id": event_id})
    assert_param_error(response, "event_id")
    served = client.get("/openapi.json").json()["paths"]
    nested = {p["name"] for p in served["/events/{event_id}/images"]["get"]["parameters"]}
    top = {p["name"] for p in served["/images"]["get"]["parameters"]}
    assert {"event_id", "event_id__in"} <= top
    assert nested == top - {"event_id", "event_id__in"} | {"event_id"}  # the path's own
    assert client.get("/images", params={"event_id": event_id}).status_code == 200
