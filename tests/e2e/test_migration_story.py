"""Editing specs on a database that holds rows: regenerate, migrate, and lose nothing.

In a copy of the project, on SQLite and on PostgreSQL: rows are stored, then each spec
edit (an optional field; an index and a unique constraint; a new resource belonging to
an old one; a wider string) is followed by `generate`, `db revision`, `db upgrade` and a
served app that still answers every old row in the new shape. The revisions are then
downgraded, and a change that loses data is flagged, in the revision and by `diff`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from specbase.cli.main import main as specbase
from tests.support.project import copy_project
from tests.support.proxy import free_port

TICKET_SPEC = """\
resource: Ticket
description: A seat sold for an event.
fields:
  holder: {type: string, minLength: 1, maxLength: 100}
  price_cents: {type: integer, minimum: 0}
required: [holder, price_cents]
relations:
  event: {belongs_to: Event, on_delete: cascade}
"""


@dataclass
class Story:
    root: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "ENVIRONMENT": "DEV",  # outside LOCAL the app never changes the schema itself
            "PYTHONPATH": str(self.root),
            "SECRETS_DIR": str(self.root / "no-secrets"),
        }

    def specbase(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "specbase", "--root", str(self.root), *args],
            cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"specbase {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def edit(self, spec: str, old: str, new: str) -> None:
        path = self.root / "specs" / spec
        content = path.read_text("utf-8")
        assert old in content, f"{old!r} not in {spec}"
        path.write_text(content.replace(old, new), "utf-8")

    def generate(self) -> None:
        # In-process: the generator never imports the generated code it writes.
        assert specbase(["--root", str(self.root), "generate"]) == 0

    def migrate(self, message: str) -> str:
        self.generate()
        revision = self.specbase("db", "revision", "-m", message)
        self.specbase("db", "upgrade")
        return revision.stdout + revision.stderr

    @contextmanager
    def served(self) -> Iterator[httpx.Client]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
            cwd=self.root, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                _wait_until_up(client, process)
                yield client
        finally:
            process.terminate()
            process.wait(15)


def _wait_until_up(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.fixture(params=["sqlite", "postgresql"])
def story(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Story]:
    root = copy_project(tmp_path / "project")
    if request.param == "sqlite":
        yield Story(root, f"sqlite+aiosqlite:///{tmp_path / 'story.db'}")
        return
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        pytest.skip("TEST_POSTGRES_URL is not set: the PostgreSQL migration story is skipped")
    name = f"specbase_story_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield Story(root, make_url(server).set(database=name).render_as_string(False))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _seed(client: httpx.Client) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = []
    for n, place in enumerate(["Lyon", "Paris", "Nantes"]):
        body = {"name": f"Show {n}", "location": place, "starts_at": f"2027-0{n + 1}-01T20:00:00Z"}
        created = client.post("/events", json=body)
        assert created.status_code == 201, created.text
        events.append(created.json())
    image = {"url": "https://cdn.example/a.png", "width": 10, "height": 10,
             "content_type": "image/png", "event_id": events[0]["id"]}  # fmt: skip
    created = client.post("/images", json=image)
    assert created.status_code == 201, created.text
    return events, [created.json()]


def _same_rows(client: httpx.Client, events: list[dict[str, Any]], **new: Any) -> None:
    """Every old event still answers, unchanged, with the new fields at their new values."""
    for event in events:
        got = client.get(f"/events/{event['id']}")
        assert got.status_code == 200, got.text
        assert got.json() == {**event, **new}


def test_each_spec_edit_migrates_rows_forward_and_back(story: Story) -> None:
    story.migrate("initial schema")
    with story.served() as client:
        events, images = _seed(client)

    # (a) an optional field
    summary = "  summary: {type: [string, 'null'], maxLength: 300}\n"
    story.edit("event.yaml", "required: [name, starts_at]", summary + "required: [name, starts_at]")
    story.migrate("add event summary")
    with story.served() as client:
        _same_rows(client, events, summary=None)

    # (b) an index and a unique constraint
    story.edit("event.yaml", "unique: [[name, starts_at]]",
               "unique: [[name, starts_at], [location, name]]")  # fmt: skip
    width = "    maximum: 100000\n    description: Width"
    story.edit("image.yaml", width, width.replace("\n", "\n    x-index: true\n", 1))
    story.migrate("unique location and name, index width")
    with story.served() as client:
        _same_rows(client, events, summary=None)
        taken = client.post("/events", json={"name": "Show 0", "location": "Lyon",
                                             "starts_at": "2030-01-01T00:00:00Z"})  # fmt: skip
        assert taken.status_code == 409, taken.text
        assert client.get(f"/images/{images[0]['id']}").json() == images[0]

    # (c) a new resource belonging to an old one
    (story.root / "specs" / "ticket.yaml").write_text(TICKET_SPEC, "utf-8")
    story.migrate("tickets")
    with story.served() as client:
        _same_rows(client, events, summary=None)
        ticket = client.post("/tickets", json={"holder": "Ada", "price_cents": 1500,
                                               "event_id": events[1]["id"]})  # fmt: skip
        assert ticket.status_code == 201, ticket.text

    # (d) a wider string
    story.edit(
        "event.yaml",
        "    maxLength: 100\n    x-index: true",
        "    maxLength: 250\n    x-index: true",
    )
    story.migrate("wider location")
    with story.served() as client:
        _same_rows(client, events, summary=None)
        long_place = {"name": "Long", "location": "L" * 240, "starts_at": "2031-01-01T00:00:00Z"}
        created = client.post("/events", json=long_place)
        assert created.status_code == 201, created.text
        # narrowing the column back would cut this value (PostgreSQL refuses to): remove it
        assert client.delete(f"/events/{created.json()['id']}").status_code == 204
    story.specbase("db", "check")  # the revisions cover every edit

    # back down through (d), (c), (b) and (a): the first rows are still there
    story.specbase("db", "downgrade", "-4")
    asyncio.run(_count_events(story.url, expected=len(events)))


def _event_columns(connection: Connection) -> list[str]:
    return [column["name"] for column in inspect(connection).get_columns("events")]


async def _count_events(url: str, expected: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            count = (await connection.execute(text("SELECT COUNT(*) FROM events"))).scalar_one()
            columns = await connection.run_sync(_event_columns)
    finally:
        await engine.dispose()
    assert count == expected
    assert "summary" not in columns


def test_dropping_a_field_is_flagged_as_data_loss(story: Story, tmp_path: Path) -> None:
    if "sqlite" not in story.url:
        pytest.skip("flagging happens in the revision and the contract, the same on any database")
    story.migrate("initial schema")
    published = tmp_path / "published.yaml"
    published.write_bytes((story.root / "generated" / "openapi.yaml").read_bytes())
    story.edit("event.yaml", "  contact:\n    type: [string, \"null\"]\n    format: email\n"
               "    description: Who to write to about the event.\n", "")  # fmt: skip
    story.generate()
    revision = story.specbase("db", "revision", "-m", "no contact")
    assert "drops events.contact; their data will be lost" in revision.stderr
    scripts = sorted((story.root / "migrations" / "versions").glob("*no_contact*.py"))
    assert scripts, "the revision was not written"
    assert "DATA LOSS: drops events.contact" in scripts[-1].read_text("utf-8")
    diff = subprocess.run(
        [sys.executable, "-m", "specbase", "diff", str(published),
         str(story.root / "generated" / "openapi.yaml")],
        cwd=story.root, env=story.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert diff.returncode == 1
    assert (
        "BREAKING  paths./events/{event_id}.get.responses.200.application/json"
        ".properties.contact: field removed" in diff.stdout
    )
