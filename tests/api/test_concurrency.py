"""Optimistic concurrency: versions, ETags, If-Match (412) and If-None-Match (304).

Events, images and performers are versioned: every write increments ``version`` and the
ETag is that number, quoted. Venues opt out (``versioned: false``). The last tests send
many writes at once through one app, with an async client: of the writes that name the
same version, exactly one wins, and increments retried on 412 lose nothing. Writes that
send no If-Match are tested in ``test_writes_without_preconditions.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.helpers import MERGE_PATCH, assert_problem, create_event, each_case
from tests.api.query_helpers import Row, run_against


@dataclass(frozen=True)
class Versioned:
    """A versioned resource: where it lives, a full body, and a patch that changes it."""

    path: str
    body: Callable[[TestClient, int], dict[str, Any]]
    patch: Callable[[int], dict[str, Any]]

    def create(self, client: TestClient, n: int = 0) -> tuple[Row, str]:
        response = client.post(self.path, json=self.body(client, n))
        assert response.status_code == 201, response.text
        return response.json(), response.headers.get("etag", "")


def _image_body(client: TestClient, n: int) -> dict[str, Any]:
    event_id = create_event(client, name=f"Host {n}")["id"]
    return {
        "url": f"https://cdn.example.com/{n}.png",
        "width": 10 + n,
        "height": 20,
        "content_type": "image/png",
        "event_id": event_id,
    }


VERSIONED = [
    Versioned(
        "/events",
        lambda _, n: {"name": f"Event {n}", "starts_at": "2026-01-01T10:00:00Z"},
        lambda n: {"capacity": n},
    ),
    Versioned("/images", _image_body, lambda n: {"width": n + 1}),
    Versioned("/performers", lambda _, n: {"name": f"Performer {n}"}, lambda n: {"name": f"P{n}"}),
]


def _tag(row: Row) -> str:
    return f'"{row["version"]}"'


def _patch(client: TestClient, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.patch(url, json=body, headers={"content-type": MERGE_PATCH, **headers})


def test_etag_on_create_get_replace_and_update(client: TestClient) -> None:
    for n, (resource, check) in enumerate(each_case(VERSIONED)):
        with check:
            row, tag = resource.create(client, n)
            url = f"{resource.path}/{row['id']}"
            assert row["version"] == 1
            assert tag == '"1"'

            got = client.get(url)
            assert got.status_code == 200
            assert got.headers["etag"] == '"1"'
            assert got.json() == row

            replaced = client.put(url, json=resource.body(client, 100 + n))
            assert replaced.status_code == 200, replaced.text
            assert replaced.json()["version"] == 2
            assert replaced.headers["etag"] == '"2"'

            updated = _patch(client, url, resource.patch(n))
            assert updated.status_code == 200, updated.text
            assert updated.json()["version"] == 3
            assert updated.headers["etag"] == '"3"'
            assert client.get(url).headers["etag"] == '"3"'
            # A patch that changes nothing is still a write.
            again = _patch(client, url, {})
            assert again.status_code == 200, again.text
            assert again.headers["etag"] == _tag(again.json())
            assert again.json()["version"] >= 3


def test_if_match_with_a_stale_version_is_412_and_changes_nothing(client: TestClient) -> None:
    for n, (resource, check) in enumerate(each_case(VERSIONED)):
        with check:
            row, _ = resource.create(client, n)
            url = f"{resource.path}/{row['id']}"
            current = _patch(client, url, resource.patch(n)).json()
            assert current["version"] == 2
            stale_headers = ['"1"', '"3"', 'W/"2"', '"1", "3"', '"2 "']
            writes: list[tuple[str, dict[str, Any] | None]] = [
                ("put", resource.body(client, 200 + n)),
                ("patch", resource.patch(1000 + n)),
                ("delete", None),
            ]
            for method, body in writes:
                for stale in stale_headers:
                    headers = {"if-match": stale}
                    if method == "patch":
                        headers["content-type"] = MERGE_PATCH
                    response = client.request(method, url, json=body, headers=headers)
                    assert_problem(response, 412)
                    after = client.get(url)
                    assert after.status_code == 200, f"{method} If-Match {stale} deleted the row"
                    assert after.json() == current, f"{method} If-Match {stale} changed the row"


def test_if_match_with_the_current_version_writes_and_increments(client: TestClient) -> None:
    for n, (resource, check) in enumerate(each_case(VERSIONED)):
        with check:
            row, tag = resource.create(client, n)
            url = f"{resource.path}/{row['id']}"
            versions = [row["version"]]
            for header in (tag, "*", '"0", "3"', ' "4" '):
                response = _patch(
                    client, url, resource.patch(len(versions)), **{"if-match": header}
                )
                assert response.status_code == 200, f"If-Match {header}: {response.text}"
                versions.append(response.json()["version"])
                assert response.headers["etag"] == _tag(response.json())
            replaced = client.put(
                url, json=resource.body(client, 300 + n), headers={"if-match": '"5"'}
            )
            assert replaced.status_code == 200, replaced.text
            versions.append(replaced.json()["version"])
            assert versions == [1, 2, 3, 4, 5, 6]
            assert client.delete(url, headers={"if-match": '"6"'}).status_code == 204
            assert_problem(client.get(url), 404)


def test_if_none_match_answers_304_while_the_version_is_current(client: TestClient) -> None:
    for n, (resource, check) in enumerate(each_case(VERSIONED)):
        with check:
            row, tag = resource.create(client, n)
            url = f"{resource.path}/{row['id']}"
            for header in (tag, 'W/"1"', "*", '"7", "1"'):
                response = client.get(url, headers={"if-none-match": header})
                assert response.status_code == 304, (
                    f"If-None-Match {header}: {response.status_code}"
                )
                assert response.content == b""
                assert response.headers["etag"] == '"1"'
            assert client.get(url, headers={"if-none-match": '"2"'}).status_code == 200

            _patch(client, url, resource.patch(n))
            stale = client.get(url, headers={"if-none-match": tag})
            assert stale.status_code == 200
            assert stale.json()["version"] == 2
            assert stale.headers["etag"] == '"2"'
            assert client.get(url, headers={"if-none-match": '"2"'}).status_code == 304


def test_a_venue_is_not_versioned_and_has_no_etag(client: TestClient) -> None:
    created = client.post("/venues", json={"name": "Hall", "city": "Lyon"})
    assert created.status_code == 201, created.text
    venue = created.json()
    url = f"/venues/{venue['id']}"
    assert "version" not in venue
    assert "etag" not in created.headers
    responses = [
        client.get(url),
        client.get(url, headers={"if-none-match": "*"}),
        client.put(url, json={"name": "Hall", "city": "Paris"}),
        _patch(client, url, {"seats": 10}),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert "etag" not in response.headers
        assert "version" not in response.json()


# -- many writers at once -----------------------------------------------------------------------

WRITERS = 10


async def _create(client: httpx.AsyncClient) -> Row:
    response = await client.post(
        "/events", json={"name": "Contended", "starts_at": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 201, response.text
    row: Row = response.json()
    return row


async def _apatch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], tag: str
) -> httpx.Response:
    headers = {"content-type": MERGE_PATCH, "if-match": tag}
    return await client.patch(url, json=body, headers=headers)


def test_of_concurrent_patches_naming_one_version_exactly_one_wins(app: FastAPI) -> None:

    async def scenario(client: httpx.AsyncClient) -> None:
        row = await _create(client)
        url = f"/events/{row['id']}"
        for version in range(1, 4):
            capacities = [version * 100 + task for task in range(WRITERS)]
            responses = await asyncio.gather(
                *(_apatch(client, url, {"capacity": c}, f'"{version}"') for c in capacities)
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [412] * (WRITERS - 1), f"version {version}: {statuses}"
            winner = next(r.json() for r in responses if r.status_code == 200)
            for response in responses:
                if response.status_code == 412:
                    assert response.headers["content-type"].startswith("application/problem+json")
            stored = (await client.get(url)).json()
            assert stored["version"] == version + 1
            assert stored == winner

    run_against(app, scenario)


def test_concurrent_increments_retried_on_412_lose_nothing(app: FastAPI) -> None:
    tasks, increments = 8, 4

    async def scenario(client: httpx.AsyncClient) -> None:
        row = await _create(client)
        url = f"/events/{row['id']}"
        start = row["capacity"]
        conflicts = 0

        async def increment_many() -> int:
            nonlocal conflicts
            done = 0
            for _ in range(500):
                if done == increments:
                    return done
                got = await client.get(url)
                assert got.status_code == 200, got.text
                capacity = got.json()["capacity"]
                response = await _apatch(
                    client, url, {"capacity": capacity + 1}, got.headers["etag"]
                )
                if response.status_code == 200:
                    done += 1
                else:
                    assert response.status_code == 412, response.text
                    conflicts += 1
            raise AssertionError("an increment kept failing")

        successes = sum(await asyncio.gather(*(increment_many() for _ in range(tasks))))
        stored = (await client.get(url)).json()
        assert successes == tasks * increments
        assert stored["capacity"] == start + successes, f"{conflicts} conflicts, {stored}"
        assert stored["version"] == 1 + successes
        assert conflicts > 0, "the writers never met: nothing was tested"

    run_against(app, scenario)


def test_of_a_concurrent_patch_and_delete_naming_one_version_one_wins(app: FastAPI) -> None:

    async def scenario(client: httpx.AsyncClient) -> None:
        row = await _create(client)
        url = f"/events/{row['id']}"
        patches = [_apatch(client, url, {"capacity": n}, '"1"') for n in range(5)]
        deletes = [client.delete(url, headers={"if-match": '"1"'}) for _ in range(5)]
        responses = await asyncio.gather(
            *[x for pair in zip(patches, deletes, strict=True) for x in pair]
        )
        winners = [r for r in responses if r.status_code in (200, 204)]
        assert len(winners) == 1, [r.status_code for r in responses]
        deleted = winners[0].status_code == 204
        losers = {r.status_code for r in responses if r not in winners}
        assert losers <= ({412, 404} if deleted else {412}), losers
        after = await client.get(url)
        if deleted:
            assert after.status_code == 404
        else:
            assert after.json()["version"] == 2

    run_against(app, scenario)


def test_creates_racing_failed_bulk_creates_store_theirs_and_never_the_others(
    app: FastAPI,
) -> None:
    """A create that is its request's only write commits as it inserts (on SQLite, straight
    through the connection); it must never commit a transaction another request holds
    open there: each failed bulk create (its last item a duplicate) stores nothing."""
    creates, bulks = 24, 6

    async def scenario(client: httpx.AsyncClient) -> tuple[list[int], list[str]]:
        taken = {"name": "Taken", "starts_at": "2026-01-01T00:00:00Z"}
        assert (await client.post("/events", json=taken)).status_code == 201

        async def one(n: int) -> httpx.Response:
            body = {"name": f"Single {n}", "starts_at": "2026-01-01T00:00:00Z"}
            return await client.post("/events", json=body)

        async def bulk(n: int) -> httpx.Response:
            items = [{"name": f"Bulk {n}.{i}", "starts_at": "2026-01-01T00:00:00Z"}
                     for i in range(4)]  # fmt: skip
            return await client.post("/events/bulk", json=[*items, taken])

        requests = [one(n) for n in range(creates)]
        for n in range(bulks):
            requests.insert(n * 4, bulk(n))
        responses = await asyncio.gather(*requests)
        names = []
        cursor = None
        while True:
            page = (await client.get("/events", params={"limit": 100, "cursor": cursor}
                                     if cursor else {"limit": 100})).json()  # fmt: skip
            names += [item["name"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return sorted(r.status_code for r in responses), names

    statuses, names = run_against(app, scenario)
    assert statuses == [201] * creates + [409] * bulks
    assert sorted(names) == sorted(["Taken", *(f"Single {n}" for n in range(creates))])
