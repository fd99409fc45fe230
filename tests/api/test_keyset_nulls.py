"""Sort keys that may be null, paged by keyset: nulls last ascending and first
descending on every database, and every row answered once, in order, across pages.

Venues sort by ``seats`` (optional) and ``opened`` (nullable). The property test
pages through random rows, with nulls and ties in one or two such keys, in random
directions and page sizes, and compares the pages with an ordering made in memory
(:func:`tests.api.query_helpers.compare`, where null is greater than every value).
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

import orjson
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_problem, each_case
from tests.api.query_helpers import Row, ids, listed, sort_key

DATES = ("2020-01-01", "2020-06-30", "2021-01-01")
# (seats, opened) of one venue: few values, so that ties are frequent; None is no value.
VENUES = st.lists(
    st.tuples(st.none() | st.integers(1, 3), st.none() | st.sampled_from(DATES)), max_size=16
)


@st.composite
def _sorts(draw: st.DrawFn) -> str:
    """One or two nullable keys, with perhaps a key that is never null among them."""
    keys = draw(st.lists(st.sampled_from(("seats", "opened")), min_size=1, max_size=2, unique=True))
    extra = draw(st.sampled_from((None, "city", "name", "id")))
    if extra is not None:
        keys.insert(draw(st.integers(0, len(keys))), extra)
    return ",".join(("-" if draw(st.booleans()) else "") + key for key in keys)


class Venues:
    """Venues of one example, apart from the others' by a city of their own."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.serial = itertools.count()

    def create(self, values: list[tuple[int | None, str | None]]) -> tuple[str, list[Row]]:
        city = f"c{next(self.serial):05d}"
        rows = []
        for index, (seats, opened) in enumerate(values):
            body: dict[str, Any] = {"name": f"{city}n{index:03d}", "city": city, "opened": opened}
            if seats is not None:  # optional: left out, not null
                body["seats"] = seats
            response = self.client.post("/venues", json=body)
            assert response.status_code == 201, response.text
            rows.append(response.json())
        return city, rows


def _pages(client: TestClient, params: dict[str, Any], limit: int) -> list[list[Row]]:
    pages: list[list[Row]] = []
    query: dict[str, Any] = {**params, "limit": limit}
    for _ in range(100):
        response = client.get("/venues", params=query)
        assert response.status_code == 200, f"{query}: {response.text}"
        page = response.json()
        pages.append(page["items"])
        if page["next_cursor"] is None:
            return pages
        query = {**params, "limit": limit, "cursor": page["next_cursor"]}
    raise AssertionError("next_cursor never ends")


def test_pages_of_nullable_sort_keys_are_the_order_made_in_memory(client: TestClient) -> None:
    venues = Venues(client)

    @settings(
        max_examples=40,
        deadline=None,
        # One client for every example: each example's rows have a city of their own.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(VENUES, st.lists(st.tuples(_sorts(), st.integers(1, 6)), min_size=1, max_size=3))
    def pages_in_memory_order(values: list[Any], walks: list[tuple[str, int]]) -> None:
        city, rows = venues.create(values)
        for sort, limit in walks:
            pages = _pages(client, {"city": city, "sort": sort}, limit)
            answered = [row for page in pages for row in page]
            expected = sorted(rows, key=sort_key(sort))
            assert ids(answered) == ids(expected), f"sort={sort} limit={limit}"
            # Full pages but the last; an empty page only when there is no row at all.
            assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
            assert 0 < len(pages[-1]) <= limit or not rows

    pages_in_memory_order()


def _venues(client: TestClient) -> list[Row]:
    values: list[tuple[int | None, str | None]] = [
        (2, None), (None, "2020-01-01"), (1, "2021-01-01"), (None, None), (2, "2020-01-01"),
    ]  # fmt: skip
    return Venues(client).create(values)[1]


def test_nulls_sort_last_ascending_and_first_descending(client: TestClient) -> None:
    rows = _venues(client)
    by_id = {row["id"]: row for row in rows}
    seats = [by_id[i]["seats"] for i in ids(listed(client, "/venues", {"sort": "seats"}))]
    assert seats == [1, 2, 2, None, None]
    seats = [by_id[i]["seats"] for i in ids(listed(client, "/venues", {"sort": "-seats"}))]
    assert seats == [None, None, 2, 2, 1]
    opened = [r["opened"] for r in listed(client, "/venues", {"sort": "-opened,seats"}, limit=1)]
    assert opened == [None, None, "2021-01-01", "2020-01-01", "2020-01-01"]


def _payload(cursor: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _encode(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


def test_a_cursor_holds_a_null_in_the_payload_old_cursors_have(client: TestClient) -> None:
    """A null key is JSON null in the same payload as before, so a cursor an older
    server wrote for a sort by keys that are never null is still taken."""
    rows = _venues(client)
    page = client.get("/venues", params={"sort": "-seats", "limit": 1}).json()
    ordering, bound, key = _payload(page["next_cursor"])
    assert (ordering, key) == ("-seats,-id", [None, page["items"][0]["id"]])
    # Written by the server before nullable sort keys: ["name,id", <bound>, [name, id]].
    first = rows[0]
    old = _encode(["name,id", bound, [first["name"], first["id"]]])
    after = client.get("/venues", params={"sort": "name", "cursor": old, "limit": 10})
    assert after.status_code == 200, after.text
    assert ids(after.json()["items"]) == ids(rows[1:])
    # Null where the key is never null, or a value of another type, is no cursor.
    forged = [
        ["name,id", bound, [None, first["id"]]],
        ["-seats,-id", bound, [None, None]],
        ["-seats,-id", bound, ["2", first["id"]]],
        ["-seats,-id", bound, [2.5, first["id"]]],
        ["-opened,-id", bound, ["2020-13-01", first["id"]]],
        ["-opened,-id", bound, [0, first["id"]]],
    ]
    for payload, check in each_case(forged):
        with check:
            sort = payload[0].removesuffix(",-id").removesuffix(",id")
            params = {"sort": sort, "cursor": _encode(payload), "limit": 1}
            assert_problem(client.get("/venues", params=params), 400)
