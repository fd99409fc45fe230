"""Writes that send no If-Match, many at once on one row (RFC 9110: only a precondition the
client asked for can fail with 412).

A change without If-Match is applied to the row as it is when it is written: of many
patches and replacements at once, every one lands, each on the one before it, and none
answers 412. The checks hold whatever the interleaving: every write that answers 200
made one version, and replaying them in version order gives each answer and the row
that remains. A delete of a row another delete removed answers 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.api.helpers import FIXTURES, MERGE_PATCH
from tests.api.query_helpers import Row, run_against

WRITERS = 50
START = "2026-01-01T00:00:00Z"


def _patch(client: httpx.AsyncClient, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.patch(url, json=body, headers={"content-type": MERGE_PATCH, **headers})


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Row:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    row: Row = response.json()
    return row


def _event_write(n: int) -> tuple[str, dict[str, Any]]:
    """The n-th writer's change of an event: every other one a replacement naming every
    field, the others a patch of one field in turn."""
    if n % 2:
        body = {"name": f"Replaced {n}", "starts_at": START, "location": f"Hall {n}",
                "capacity": 1000 + n, "status": "cancelled", "contact": None,
                "tags": [f"r{n}"], "venue_id": None}  # fmt: skip
        return "put", body
    field, value = [
        ("capacity", n),
        ("location", f"Room {n}"),
        ("contact", f"writer{n}@example.com"),
        ("tags", [f"t{n}"]),
    ][n // 2 % 4]
    return "patch", {field: value}


def _without_time(row: Row) -> Row:
    return {k: v for k, v in row.items() if k != "updated_at"}


def test_patches_and_replacements_at_once_all_land_in_version_order(app: FastAPI) -> None:
    async def scenario(client: httpx.AsyncClient) -> tuple[Row, list[tuple[Any, ...]], Row]:
        row = await _created(client, "/events", {"name": "Contended", "starts_at": START})
        url = f"/events/{row['id']}"
        writes = [_event_write(n) for n in range(WRITERS)]
        responses = await asyncio.gather(
            *(
                _patch(client, url, body) if method == "patch" else client.put(url, json=body)
                for method, body in writes
            )
        )
        answered = [
            (r.status_code, r.text, body) for r, (_, body) in zip(responses, writes, strict=True)
        ]
        return row, answered, (await client.get(url)).json()

    created, answered, stored = run_against(app, scenario)
    statuses = sorted(status for status, _, _ in answered)
    assert statuses == [200] * WRITERS, statuses  # every write landed: none 412, none lost
    done = sorted(
        ((httpx.Response(200, text=text).json(), body) for _, text, body in answered),
        key=lambda pair: pair[0]["version"],
    )
    assert [row["version"] for row, _ in done] == list(range(2, WRITERS + 2))
    state = _without_time(created)
    for row, body in done:  # each write applied to the row the one before left
        state = {**state, **body, "version": row["version"]}
        assert _without_time(row) == state
    assert _without_time(stored) == state


async def _deletes_and_patches(client: httpx.AsyncClient, url: str) -> list[httpx.Response]:
    """Deletes and empty patches of ``url`` at once, one after the other; then a get."""
    requests = [client.delete(url) if n % 2 else _patch(client, url, {}) for n in range(WRITERS)]
    return [*await asyncio.gather(*requests), await client.get(url)]


def _one_delete_won(responses: list[httpx.Response]) -> None:
    """Of :func:`_deletes_and_patches`' answers: one delete removed the row, the other
    deletes found nothing (404), each patch came before it (200) or after (404)."""
    deletes, patches, after = responses[1:-1:2], responses[0:-1:2], responses[-1]
    assert sorted(r.status_code for r in deletes) == [204] + [404] * (len(deletes) - 1)
    for response in [*patches, *deletes, after]:
        if response.status_code not in (200, 204):
            _problem(response, 404)
    assert after.status_code == 404


def test_unversioned_writes_at_once_all_land_and_the_last_wins(app: FastAPI) -> None:
    """Venues have no version: nothing to compare, so each write replaces what is there;
    and of deletes at once, one deletes it."""

    async def scenario(client: httpx.AsyncClient) -> tuple[list[httpx.Response], Row, Any]:
        row = await _created(client, "/venues", {"name": "Hall", "city": "Lyon"})
        url = f"/venues/{row['id']}"
        writes: list[Awaitable[httpx.Response]] = []
        for n in range(WRITERS):
            if n % 2:
                writes.append(_patch(client, url, {"seats": n + 1}))
            else:
                writes.append(client.put(url, json={"name": f"Hall {n}", "city": f"City {n}"}))
        responses = await asyncio.gather(*writes)
        stored = (await client.get(url)).json()
        return responses, stored, await _deletes_and_patches(client, url)

    responses, stored, deleting = run_against(app, scenario)
    assert sorted(r.status_code for r in responses) == [200] * WRITERS
    answers = [_without_time(r.json()) for r in responses]
    # What remains is one write's answer, or a replacement's with a later patch's seats.
    assert any(
        {**answer, "seats": stored["seats"]} == _without_time(stored) for answer in answers
    ), stored
    _one_delete_won(deleting)


@pytest.mark.parametrize(
    ("path", "body"),
    [("/events", {"name": "Doomed", "starts_at": START}), ("/performers", {"name": "Doomed"})],
)
def test_of_deletes_and_patches_at_once_one_delete_wins_and_the_rest_find_nothing(
    app: FastAPI, path: str, body: dict[str, Any]
) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        row = await _created(client, path, body)
        return await _deletes_and_patches(client, f"{path}/{row['id']}")

    _one_delete_won(run_against(app, scenario))


def test_of_deletes_of_a_soft_deletable_row_at_once_one_wins(app: FastAPI) -> None:
    async def scenario(client: httpx.AsyncClient) -> tuple[list[httpx.Response], int]:
        event = await _created(client, "/events", {"name": "Host", "starts_at": START})
        image = await _created(client, "/images", {
            "url": "https://cdn.example.com/a.png", "width": 1, "height": 1,
            "content_type": "image/png", "event_id": event["id"],
        })  # fmt: skip
        url = f"/images/{image['id']}"
        requests = [client.delete(url) if n % 2 else _patch(client, url, {"width": n + 1})
                    for n in range(WRITERS)]  # fmt: skip
        responses = await asyncio.gather(*requests)
        return responses, (await client.get(url)).status_code

    responses, after = run_against(app, scenario)
    deletes, patches = responses[1::2], responses[0::2]
    assert sorted(r.status_code for r in deletes) == [204] + [404] * (len(deletes) - 1)
    assert {r.status_code for r in patches} <= {200, 404}
    assert after == 404


# -- hooks and writers that take no lock ----------------------------------------------------------


def _app_with(settings: Settings, package: str) -> FastAPI:
    return create_app(settings, custom_package=f"{FIXTURES}.{package}")


async def _image(client: httpx.AsyncClient) -> Row:
    event = await _created(client, "/events", {"name": "Gallery", "starts_at": START})
    return await _created(client, "/images", {
        "url": "https://cdn.example.com/p.png", "width": 100, "height": 1,
        "content_type": "image/png", "event_id": event["id"],
    })  # fmt: skip


def test_a_hook_sees_the_row_as_it_is_when_writes_meet(settings: Settings) -> None:
    """The hook adds one to the width it is shown: each of many patches at once adds one."""
    app = _app_with(settings, "counting_hook")

    async def scenario(client: httpx.AsyncClient) -> tuple[list[httpx.Response], Row]:
        image = await _image(client)
        url = f"/images/{image['id']}"
        responses = await asyncio.gather(
            *(_patch(client, url, {"caption": "count"}) for _ in range(WRITERS))
        )
        return responses, (await client.get(url)).json()

    responses, stored = run_against(app, scenario)
    assert sorted(r.status_code for r in responses) == [200] * WRITERS
    assert sorted(r.json()["width"] for r in responses) == list(range(101, 101 + WRITERS))
    assert stored["width"] == 100 + WRITERS
    assert stored["version"] == 1 + WRITERS


Write = Callable[[httpx.AsyncClient, str, dict[str, str]], Awaitable[httpx.Response]]


def _put_image(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    body = {"url": "https://cdn.example.com/q.png", "width": 5, "height": 5,
            "content_type": "image/png", "event_id": int(headers.pop("x-event"))}  # fmt: skip
    return client.put(url, headers=headers, json=body)


_WRITES: dict[str, Write] = {
    "patch": lambda client, url, headers: _patch(client, url, {"height": 7}, **headers),
    "put": _put_image,
    "delete": lambda client, url, headers: client.delete(url, headers=headers),
}


@pytest.mark.parametrize("method", sorted(_WRITES))
def test_a_write_that_keeps_meeting_others_answers_409_retry_or_412_with_if_match(
    settings: Settings, method: str
) -> None:
    """Images through the ORM (hooks): the custom code changes the row's version just
    before each write, as a writer taking no lock would."""
    app = _app_with(settings, "meddling_writer")

    async def scenario(client: httpx.AsyncClient) -> list[tuple[httpx.Response, Row]]:
        answers = []
        image = await _image(client)
        url = f"/images/{image['id']}"
        for if_match in (None, '"1"'):
            headers = {"x-event": str(image["event_id"])}
            headers |= {"if-match": if_match} if if_match else {}
            response = await _WRITES[method](client, url, headers)
            answers.append((response, (await client.get(url)).json()))
        return answers

    (without, after_without), (with_if_match, after_with) = run_against(app, scenario)
    problem = _problem(without, 409)  # never 412 without If-Match: 409, retry
    assert "retry" in problem["detail"].lower(), problem
    _problem(with_if_match, 412)
    for after in (after_without, after_with):
        assert after["version"] == 1, after  # nothing changed, the meddling included


@pytest.mark.dialects("sqlite", "postgresql")  # MariaDB/MySQL patch through the ORM
def test_a_patch_without_the_orm_lands_on_the_row_as_it_is_or_answers_412(
    settings: Settings,
) -> None:
    """Events' patches without the ORM, the version changed just before each write: a
    patch without If-Match is written to the row as it is then; with If-Match it finds
    another version, 412."""
    app = _app_with(settings, "meddling_writer")

    async def scenario(client: httpx.AsyncClient) -> list[tuple[httpx.Response, Row]]:
        event = await _created(client, "/events", {"name": "Meddled", "starts_at": START})
        url = f"/events/{event['id']}"
        answers = []
        for headers in ({"if-match": '"1"'}, {}):
            response = await _patch(client, url, {"capacity": 7}, **headers)
            answers.append((response, (await client.get(url)).json()))
        return answers

    (with_if_match, after_with), (without, after_without) = run_against(app, scenario)
    _problem(with_if_match, 412)
    assert (after_with["version"], after_with["capacity"]) == (1, 100)
    assert without.status_code == 200, without.text
    assert without.json() == after_without
    assert (after_without["version"], after_without["capacity"]) == (3, 7)  # meddled, then ours
