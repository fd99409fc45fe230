"""Creating a row without the ORM: one INSERT … RETURNING, the same row the ORM would store.

A service that does not override ``after_create`` stores rows with
``SQLRepository.insert_row``; one that does gets the ORM object it was promised. Both
must store and answer the same values, map constraint violations to the same problems,
and leave nothing behind when the request fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from app.config import Settings
from app.core.context import RequestContext
from app.core.database import AsyncDBPool
from app.core.errors import Problem
from app.core.unit import UnitOfWork
from generated.event.models import Event
from generated.event.repository import EventRepositoryBase
from generated.event.schemas import EventCreate, EventStatus
from generated.event.service import EventServiceBase
from tests.support.databases import run_on_schema

T = TypeVar("T")
STARTS = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
FIELDS = ("name", "location", "starts_at", "capacity", "status", "contact", "tags", "version")


class HookedService(EventServiceBase):
    """Overrides after_create: it is given the ORM object."""

    seen: list[Any]

    async def after_create(self, row: Event) -> None:
        self.seen.append(row)


def _run(settings: Settings, work: Callable[[AsyncDBPool], Awaitable[T]]) -> T:
    return run_on_schema(settings.database, work)


def _service(unit: UnitOfWork, cls: type[EventServiceBase] = EventServiceBase) -> Any:
    return cls(EventRepositoryBase(unit), RequestContext(None))


def _data(name: str, **overrides: Any) -> EventCreate:
    return EventCreate.model_validate({"name": name, "starts_at": STARTS, **overrides})


async def _stored(database: AsyncDBPool) -> list[tuple[Any, ...]]:
    async with database.get_session() as session:
        rows = (await session.scalars(select(Event).order_by(Event.id))).all()
        return [tuple(getattr(row, name) for name in FIELDS) for row in rows]


def test_rows_made_without_the_orm_are_the_orms(settings: Settings) -> None:
    HookedService.seen = []

    async def work(database: AsyncDBPool) -> tuple[Any, Any, list[tuple[Any, ...]], bool]:
        async with UnitOfWork.opened(database) as unit:
            plain = await _service(unit).create(_data("Plain", tags=["a"], contact="a@b.c"))
            in_orm = bool(unit.session.identity_map)
        async with UnitOfWork.opened(database) as unit:
            hooked = await _service(unit, HookedService).create(_data("Hooked", tags=["a"],
                                                                      contact="a@b.c"))  # fmt: skip
        return plain, hooked, await _stored(database), in_orm

    plain, hooked, stored, in_orm = _run(settings, work)
    assert not isinstance(plain, Event)
    assert not in_orm  # nothing was loaded into the session
    assert isinstance(hooked, Event)
    assert HookedService.seen == [hooked]
    answered = [tuple(getattr(row, name) for name in FIELDS) for row in (plain, hooked)]
    assert answered == stored  # each answers what was stored
    assert stored[0][1:] == stored[1][1:]  # and both ways store the same values
    assert stored[0][4] == EventStatus.draft  # a server default, read back
    assert stored[0][7] == 1
    assert plain.created_at.tzinfo is not None
    assert plain.id != hooked.id


def test_a_unique_violation_is_a_409_and_a_failed_request_stores_nothing(
    settings: Settings,
) -> None:
    async def work(database: AsyncDBPool) -> tuple[Problem, list[tuple[Any, ...]]]:
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).create(_data("Twice"))
        with pytest.raises(Problem) as raised:
            await _two_creates(database, "Once more", "Twice")
        return raised.value, await _stored(database)

    problem, stored = _run(settings, work)
    assert problem.status == 409
    assert {e["pointer"] for e in problem.errors} == {"/name", "/starts_at"}
    assert [row[0] for row in stored] == ["Twice"]  # "Once more" was rolled back with it


async def _two_creates(database: AsyncDBPool, first: str, second: str) -> None:
    async with UnitOfWork.opened(database) as unit:
        await _service(unit).create(_data(first))
        await _service(unit).create(_data(second))


def test_a_missing_reference_is_a_422(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> Problem:
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database) as unit:
                await _service(unit).create(_data("Nowhere", venue_id=999))
        return raised.value

    problem = _run(settings, work)
    assert problem.status == 422
    assert problem.errors == [{"pointer": "/venue_id", "detail": "refers to a missing row"}]
