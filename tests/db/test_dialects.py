"""The API answers the same on SQLite, PostgreSQL and MariaDB.

Each test runs once per dialect. ``client`` serves the example resources in process;
``samples`` is a served copy of the project with a field of every type, a UUID id and
restrict and set-null relations (tests/db/conftest.py). Values go in through the API
and must come back unchanged, or refused alike, on every dialect.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    INT64_MAX,
    MERGE_PATCH,
    assert_no_sql,
    assert_problem,
    create_event,
    event_body,
    snapshot,
    unchanged,
)

INT64_MIN = -(2**63)
STARTS_AT = "2026-09-01T18:00:00Z"

# -- date-times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("2026-03-29T01:59:59.123456+05:30", "2026-03-28T20:29:59.123456Z"),
        ("2026-06-30T23:59:59.5-08:00", "2026-07-01T07:59:59.500000Z"),
        ("2026-01-01T00:00:00.000001+14:00", "2025-12-31T10:00:00.000001Z"),
        ("2026-01-01T00:00:00-00:00", "2026-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_date_times_come_back_in_utc_to_the_microsecond(
    client: TestClient, sent: str, answered: str
) -> None:
    created = create_event(client, starts_at=sent)
    assert created["starts_at"] == answered
    assert client.get(f"/events/{created['id']}").json() == created
    assert client.get("/events").json()["items"] == [created]


def test_one_microsecond_apart_are_two_instants(client: TestClient) -> None:
    create_event(client, name="Gala", starts_at="2026-09-01T18:00:00.000001Z")
    create_event(client, name="Gala", starts_at="2026-09-01T18:00:00.000002Z")
    with unchanged(client):
        again = client.post(
            "/events", json=event_body(name="Gala", starts_at="2026-09-01T20:00:00.000002+02:00")
        )
    assert_problem(again, 409, pointers=("/name", "/starts_at"))


def test_list_order_and_pages_follow_the_microseconds(client: TestClient) -> None:
    times = [f"2026-09-01T18:00:00.00000{n}Z" for n in (3, 1, 2)]
    ids = {t: create_event(client, name=f"E{t}", starts_at=t)["id"] for t in times}
    first = client.get("/events", params={"limit": 2}).json()
    rest = client.get("/events", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    listed = [row["id"] for row in first["items"] + rest["items"]]
    assert listed == [ids[t] for t in sorted(times, reverse=True)]


def test_a_date_time_past_year_9999_in_utc_is_refused(client: TestClient) -> None:
    with unchanged(client):
        response = client.post("/events", json=event_body(starts_at="0001-01-01T00:30:00+01:00"))
    assert_problem(response, 422, pointers=("/starts_at",))


# -- strings ------------------------------------------------------------------------------------

# MariaDB's default collation would make each of these one value.
SPELLINGS = ["Launch", "launch", "LAUNCH", "Launch ", " Launch", "Laùnch", "Launch\t"]


def test_unique_strings_differ_by_case_accents_and_spaces(client: TestClient) -> None:
    for name in SPELLINGS:
        create_event(client, name=name, starts_at=STARTS_AT)
    assert sorted(e["name"] for e in snapshot(client)["/events"]) == sorted(SPELLINGS)
    with unchanged(client):
        response = client.post("/events", json=event_body(name="launch", starts_at=STARTS_AT))
    assert_no_sql(assert_problem(response, 409, pointers=("/name", "/starts_at")))


def test_string_lookups_match_exactly(client: TestClient) -> None:
    places = ["Paris", "paris", "PARIS", "Paris ", "Pâris"]
    rows = {place: create_event(client, name=place, location=place) for place in places}
    for place in places:
        found = client.get(f"/events/by-location/{place}").json()
        assert found == [rows[place]], place


def test_four_byte_characters_round_trip(client: TestClient) -> None:
    created = create_event(
        client, name="🎉 Ünïcödé 中文 𝔘", location="São Paulo 🌆", tags=["🎉", "é", "中"]
    )
    assert (created["name"], created["location"]) == ("🎉 Ünïcödé 中文 𝔘", "São Paulo 🌆")
    assert created["tags"] == ["🎉", "é", "中"]
    assert client.get(f"/events/{created['id']}").json() == created


def test_a_string_at_its_max_length_of_four_byte_characters_fits(client: TestClient) -> None:
    created = create_event(client, name="🎉" * 200, location="𝔘" * 100)
    assert client.get(f"/events/{created['id']}").json()["name"] == "🎉" * 200
    with unchanged(client):
        response = client.post("/events", json=event_body(name="🎉" * 201))
    assert_problem(response, 422, pointers=("/name",))


def test_a_nul_byte_never_reaches_the_database(client: TestClient) -> None:
    with unchanged(client):
        response = client.post("/events", json=event_body(name="Lau\u0000nch"))
    assert_problem(response, 422, pointers=("/name",))
    with unchanged(client):
        response = client.post("/events", json=event_body(tags=["ok", "\u0000"]))
    assert_problem(response, 422)


# -- integers, enums, JSON arrays ---------------------------------------------------------------


def test_integer_bounds_are_kept_and_enforced(client: TestClient) -> None:
    low = create_event(client, name="low", capacity=0)
    high = create_event(client, name="high", capacity=100000)
    assert (low["capacity"], high["capacity"]) == (0, 100000)
    with unchanged(client):
        response = client.post("/events", json=event_body(capacity=100001))
    assert_problem(response, 422, pointers=("/capacity",))


@pytest.mark.parametrize(
    ("row_id", "status"), [(INT64_MAX, 404), (INT64_MAX + 1, 422), (INT64_MIN, 422), (0, 422)]
)
def test_path_ids_are_checked_before_any_query(
    client: TestClient, row_id: int, status: int
) -> None:
    create_event(client)
    for method in ("GET", "DELETE"):
        assert_problem(client.request(method, f"/events/{row_id}"), status)


@pytest.mark.parametrize("status", ["draft", "published", "cancelled"])
def test_enums_round_trip(client: TestClient, status: str) -> None:
    created = create_event(client, status=status)
    assert client.get(f"/events/{created['id']}").json()["status"] == status


def test_an_enum_value_differing_by_case_is_refused(client: TestClient) -> None:
    with unchanged(client):
        response = client.post("/events", json=event_body(status="Draft"))
    assert_problem(response, 422, pointers=("/status",))


@pytest.mark.parametrize("tags", [[], ["b", "a", "b"], [f"t{n}" for n in range(20)]])
def test_json_arrays_keep_their_order_and_duplicates(client: TestClient, tags: list[str]) -> None:
    created = create_event(client, tags=tags)
    assert client.get(f"/events/{created['id']}").json()["tags"] == tags
    patched = client.patch(
        f"/events/{created['id']}", json={"tags": tags[::-1]}, headers={"content-type": MERGE_PATCH}
    )
    assert patched.status_code == 200, patched.text
    assert client.get(f"/events/{created['id']}").json()["tags"] == tags[::-1]


# -- every field type (the served copy) ---------------------------------------------------------


def _owner(samples: httpx2.Client, name: str = "Ann") -> dict[str, Any]:
    response = samples.post("/owners", json={"name": name})
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


def _sample_body(owner_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Sample", "count": 1, "starts_at": STARTS_AT}
    body.update(overrides, owner_id=owner_id)
    return body


def _create_sample(samples: httpx2.Client, owner_id: str, **overrides: Any) -> dict[str, Any]:
    response = samples.post("/samples", json=_sample_body(owner_id, **overrides))
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


EVERY_TYPE_HIGH = {
    "title": "Ünï 🎉 top",
    "body": "é🎉" * 40_000,  # 240 KB: more than MySQL's TEXT holds
    "kind": "Large",
    "count": INT64_MAX,
    "score": 10,
    "ratio": 1.7976931348623157e308,
    "active": False,
    "born_on": "9999-12-31",
    "starts_at": "9999-12-31T23:59:59.999999Z",
    "token": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "email": "Mixed.Case@Example.org",
    "homepage": "https://example.org/%C3%A9?q=1#top",
    "labels": ["🎉", "b", "b"],
    "extra": {
        "z": [1, "two", None, True, {"deep": [[]]}],
        "a": {"big": INT64_MAX, "small": INT64_MIN, "float": 0.1, "tab": "a\tb"},
        "ü🎉": "",
    },
    "nickname": "Top",
}
EVERY_TYPE_LOW = {
    "title": "a",
    "body": "",
    "kind": "small",
    "count": INT64_MIN,
    "score": 0,
    "ratio": 5e-324,
    "active": True,
    "born_on": "0001-01-01",
    "starts_at": "0001-01-01T00:00:00Z",
    "token": "00000000-0000-0000-0000-000000000000",
    "email": "a@b.co",
    "homepage": "urn:isbn:0451450523",
    "labels": [],
    "extra": {},
    "nickname": None,
}


@pytest.mark.parametrize("body", [EVERY_TYPE_HIGH, EVERY_TYPE_LOW], ids=["high", "low"])
def test_every_field_type_round_trips_unchanged(
    samples: httpx2.Client, body: dict[str, Any]
) -> None:
    owner = _owner(samples)
    created = _create_sample(samples, owner["id"], **body)
    assert {name: created[name] for name in body} == body
    assert samples.get(f"/samples/{created['id']}").json() == created
    replaced = samples.put(f"/samples/{created['id']}", json=_sample_body(owner["id"], **body))
    assert replaced.status_code == 200, replaced.text
    assert {name: replaced.json()[name] for name in body} == body


def test_defaults_are_stored_alike(samples: httpx2.Client) -> None:
    created = _create_sample(samples, _owner(samples)["id"])
    assert (created["kind"], created["active"]) == ("small", True)
    assert [created[name] for name in ("body", "ratio", "token", "extra", "nickname")] == [None] * 5


def test_negative_zero_is_answered_as_zero(samples: httpx2.Client) -> None:
    """PostgreSQL alone would keep the sign; the API answers one zero everywhere."""
    created = _create_sample(samples, _owner(samples)["id"], ratio=-0.0)
    assert samples.get(f"/samples/{created['id']}").text.count('"ratio":0.0') == 1


@pytest.mark.parametrize("count", [INT64_MAX + 1, INT64_MIN - 1, 10**30])
def test_integers_past_int64_never_reach_the_driver(samples: httpx2.Client, count: int) -> None:
    owner = _owner(samples)
    response = samples.post("/samples", json=_sample_body(owner["id"], count=count))
    assert_no_sql(assert_problem(response, 422, pointers=("/count",)))
    assert samples.get("/samples").json()["items"] == []


def test_uuid_ids_are_found_and_checked(samples: httpx2.Client) -> None:
    owner = _owner(samples)
    assert samples.get(f"/owners/{owner['id']}").json() == owner
    assert samples.get(f"/owners/{owner['id'].upper()}").json() == owner
    assert_problem(samples.get(f"/owners/{uuid.uuid4()}"), 404)
    assert_problem(samples.get("/owners/not-a-uuid"), 422)


def test_titles_sort_by_code_point(samples: httpx2.Client) -> None:
    owner = _owner(samples)
    titles = ["b", "B", "a", "A", "É", "é", "Z", "_", " z", "z", "ä", "10", "9", "🎉"]
    for title in titles:
        _create_sample(samples, owner["id"], title=title)
    listed: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = samples.get("/samples", params=params).json()
        listed += [row["title"] for row in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert listed == sorted(titles)


def test_unique_names_differ_by_case_and_spaces(samples: httpx2.Client) -> None:
    for name in ["Ann", "ann", "ANN", "Ann ", " Ann", "Ànn"]:
        _owner(samples, name)
    response = samples.post("/owners", json={"name": "Ann"})
    assert_no_sql(assert_problem(response, 409, pointers=("/name",)))


def test_the_longest_indexed_string_fits_every_index(samples: httpx2.Client) -> None:
    """672 four-byte characters: a PostgreSQL index entry holds no more (2,704 bytes)."""
    motto = "".join(chr(0x1F300 + (n * 7919) % 0x700) for n in range(672))
    owner = samples.post("/owners", json={"name": "Ann", "motto": motto})
    assert owner.status_code == 201, owner.text
    assert samples.get(f"/owners/{owner.json()['id']}").json()["motto"] == motto
    again = samples.post("/owners", json={"name": "Bob", "motto": motto})
    assert_problem(again, 409, pointers=("/motto",))


def test_long_strings_share_a_row(samples: httpx2.Client) -> None:
    """Two strings of 9,000 four-byte characters: more than a MySQL row of VARCHARs holds."""
    texts = {"draft": "🎉" * 9000, "final": "中" * 9000}
    note = samples.post("/notes", json={"text": "long", **texts})
    assert note.status_code == 201, note.text
    stored = samples.get(f"/notes/{note.json()['id']}").json()
    assert {name: stored[name] for name in texts} == texts


def test_a_duplicate_names_its_own_constraint_whatever_the_values(samples: httpx2.Client) -> None:
    """MySQL quotes the duplicate values in its error, next to the key's name."""
    owner = _owner(samples)
    _create_sample(samples, owner["id"], title="one", nickname="uq_samples_title")
    response = samples.post(
        "/samples", json=_sample_body(owner["id"], title="two", nickname="uq_samples_title")
    )
    body = assert_problem(response, 409, pointers=("/nickname",))
    assert [error["pointer"] for error in body["errors"]] == ["/nickname"]


# -- foreign keys -------------------------------------------------------------------------------


def test_a_missing_owner_is_422_naming_the_field(samples: httpx2.Client) -> None:
    owner = _owner(samples)
    missing = str(uuid.uuid4())
    response = samples.post("/samples", json=_sample_body(missing))
    assert_no_sql(assert_problem(response, 422, pointers=("/owner_id",)))
    sample = _create_sample(samples, owner["id"])
    for method in ("PUT", "PATCH"):
        if method == "PUT":
            response = samples.put(f"/samples/{sample['id']}", json=_sample_body(missing))
        else:
            response = samples.patch(
                f"/samples/{sample['id']}",
                json={"owner_id": missing},
                headers={"content-type": MERGE_PATCH},
            )
        assert_no_sql(assert_problem(response, 422, pointers=("/owner_id",)))
    assert samples.get(f"/samples/{sample['id']}").json() == sample


def test_deleting_a_referenced_owner_is_409_and_keeps_it(samples: httpx2.Client) -> None:
    owner = _owner(samples)
    sample = _create_sample(samples, owner["id"])
    assert_no_sql(assert_problem(samples.delete(f"/owners/{owner['id']}"), 409))
    assert samples.get(f"/owners/{owner['id']}").json() == owner
    assert samples.delete(f"/samples/{sample['id']}").status_code == 204
    assert samples.delete(f"/owners/{owner['id']}").status_code == 204


def test_deleting_a_sample_clears_its_notes_reference(samples: httpx2.Client) -> None:
    sample = _create_sample(samples, _owner(samples)["id"])
    note = samples.post("/notes", json={"text": "kept", "sample_id": sample["id"]})
    assert note.status_code == 201, note.text
    missing = samples.post("/notes", json={"text": "lost", "sample_id": sample["id"] + 1})
    assert_no_sql(assert_problem(missing, 422, pointers=("/sample_id",)))
    assert samples.delete(f"/samples/{sample['id']}").status_code == 204
    kept = samples.get(f"/notes/{note.json()['id']}").json()
    assert (kept["text"], kept["sample_id"]) == ("kept", None)
