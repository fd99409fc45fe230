"""A spec's actions at start-up: refused while unimplemented, with what to write where.

The app runs in a subprocess on a project whose generated/ is the `actions` golden case
(tests/generator/golden/actions): Event has the actions publish, stats, archive and
tickets_sold, Ticket has check_in. Its custom packages are written here: none, some
actions written (``partial``), every one (``custom``, which app.main's own app, built on
import, uses); the generated code and the custom code pass mypy --strict.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.generator.support import GOLDEN

ROOT = Path(__file__).resolve().parents[2]

_EVENT = """\
from __future__ import annotations

from generated.event.schemas import (
    EventPublishRequest,
    EventRead,
    EventStatsQuery,
    EventStatsResponse,
)
from generated.event.service import EventServiceBase
from generated.ticket.schemas import TicketRead


class EventService(EventServiceBase):
    async def publish(self, event_id: int, body: EventPublishRequest) -> EventRead:
        return EventRead.model_validate(await self.get(event_id))

    async def stats(self, query: EventStatsQuery) -> EventStatsResponse:
        return EventStatsResponse(count=query.top)
{extra}
"""
_DONE = """
    async def archive(self, event_id: int) -> None:
        await self.delete(event_id)

    async def tickets_sold(self, event_id: int) -> TicketRead:
        raise NotImplementedError(event_id)
"""
# publish written as a plain def, and stats without the query it is given.
_WRONG = (
    _EVENT.format(extra=_DONE)
    .replace("    async def publish(", "    def publish(  # type: ignore[override]\n        ")
    .replace(
        "return EventRead.model_validate(await self.get(event_id))", "raise NotImplementedError"
    )
    .replace("async def stats(self, query: EventStatsQuery)", "async def stats(self, since: str)")
)
_TICKET = """\
from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from generated.ticket.schemas import TicketCheckInRequest, TicketCheckInResponse
from generated.ticket.service import TicketServiceBase


class TicketService(TicketServiceBase):
    async def check_in(self, ticket_id: UUID, body: TicketCheckInRequest) -> TicketCheckInResponse:
        return TicketCheckInResponse(at=datetime.now(UTC))
"""
_START = """\
import sys
from app.config import Settings
from app.core.operations.discovery import ExtensionError
from app.main import create_app
from fastapi.testclient import TestClient

package = sys.argv[1] if sys.argv[1] != "-" else None
try:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///./app.db"), custom_package=package)
except ExtensionError as exc:
    print(exc)
    raise SystemExit(3) from None
with TestClient(app) as client:
    print(client.get("/events").status_code)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("actions")
    shutil.copytree(GOLDEN / "actions" / "expected", root / "generated")
    for package, event in (
        ("partial", _EVENT.format(extra="")),
        ("custom", _EVENT.format(extra=_DONE)),
        ("wrong", _WRONG),
    ):
        for module, text in (("event", event), ("ticket", _TICKET)):
            folder = root / package / module
            folder.mkdir(parents=True)
            (root / package / "__init__.py").write_text("", "utf-8")
            (folder / "__init__.py").write_text("", "utf-8")
            (folder / "service.py").write_text(text, "utf-8")
    (root / "start.py").write_text(_START, "utf-8")
    return root


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = f"{project}{os.pathsep}{ROOT}"
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": path, "MYPYPATH": path, "APP_ENV": "LOCAL"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_startup_without_custom_code_names_every_action_to_write(project: Path) -> None:
    started = _run(project, "start.py", "-")
    assert started.returncode == 3, started.stdout + started.stderr
    message = started.stdout
    assert (
        "specs/event.yaml: action publish has no implementation; write async def publish(self, "
        "event_id: int, body: EventPublishRequest) -> EventRead in a subclass of "
        "EventServiceBase in custom/event/service.py"
    ) in message
    for name in ("stats", "archive", "tickets_sold"):
        assert f"specs/event.yaml: action {name} has no implementation" in message
    assert "specs/ticket.yaml: action check_in has no implementation" in message


def test_startup_with_some_actions_written_names_the_rest(project: Path) -> None:
    started = _run(project, "start.py", "partial")
    assert started.returncode == 3, started.stdout + started.stderr
    message = started.stdout
    assert (
        "action archive has no implementation; write async def archive(self, event_id: int)"
        in message
    )
    assert "in partial.event.service.EventService" in message
    assert "tickets_sold" in message
    assert "action publish" not in message
    assert "check_in" not in message


def test_startup_refuses_an_action_method_that_does_not_fit(project: Path) -> None:
    started = _run(project, "start.py", "wrong")
    assert started.returncode == 3, started.stdout + started.stderr
    assert started.stdout.splitlines() == [
        "wrong.event.service.EventService.publish: specs/event.yaml declares the action "
        "publish; its method is async def publish(self, event_id: int, body: "
        "EventPublishRequest) -> EventRead",
        "wrong.event.service.EventService.stats: specs/event.yaml declares the action "
        "stats; its method is async def stats(self, query: EventStatsQuery) -> "
        "EventStatsResponse",
    ]


def test_startup_with_every_action_written_serves(project: Path) -> None:
    started = _run(project, "start.py", "custom")
    assert started.returncode == 0, started.stdout + started.stderr
    assert started.stdout.strip() == "200"


def test_the_action_models_are_as_strict_as_the_contract(project: Path) -> None:
    script = textwrap.dedent("""\
        import pydantic
        from generated.event.schemas import EventPublishRequest, EventStatsQuery
        ok = EventPublishRequest.model_validate_json('{"note": "hi", "seats": 3}', strict=True)
        assert ok.notify is False
        for bad in ('{"note": "a\\\\u0000b"}', '{"seats": 9223372036854775808}',
                    '{"seats": true}', '{"other": 1}'):
            try:
                EventPublishRequest.model_validate_json(bad, strict=True)
            except pydantic.ValidationError:
                continue
            raise SystemExit(f"accepted {bad}")
        assert EventStatsQuery.model_validate({}).top == 3
        print("ok")
    """)
    checked = _run(project, "-c", script)
    assert checked.stdout.strip() == "ok", checked.stdout + checked.stderr


def test_the_generated_and_custom_code_pass_mypy_strict(project: Path) -> None:
    checked = _run(
        project, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(project / ".mypy_cache"), "generated", "custom",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
