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
from generated.event.schemas import EventCreate, EventStatus, EventUpdate
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


class CreateOverridden(EventServiceBase):
    """Overrides create itself: it may do more after the row is stored."""

    async def create(self, data: EventCreate, **options: Any) -> Any:
        return await super().create(data, **options)


class SessionBeforeCreate(EventServiceBase):
    """Uses the ORM session before the row is stored."""

    async def before_create(self, data: EventCreate) -> EventCreate:
        await self.repository.session.execute(select(Event.id).limit(1))
        return data


async def _committed_names(database: AsyncDBPool) -> list[str]:
    """What another connection sees: only committed rows."""
    async with database.read_engine.connect() as connection:
        return list((await connection.execute(select(Event.name).order_by(Event.id))).scalars())


def test_a_create_alone_is_committed_with_its_insert_on_sqlite(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[list[str], list[str]]:
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).create(_data("Alone"), alone=True)
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    # One trip to our write connection's thread stores and commits it; a server database commits it
    # with the request, as any write.
    assert during == (["Alone"] if settings.database.get_backend_name() == "sqlite" else [])
    assert after == ["Alone"]


@pytest.mark.parametrize("service", [CreateOverridden, SessionBeforeCreate])
def test_a_create_is_not_alone_when_the_service_may_do_more(
    settings: Settings, service: type[EventServiceBase]
) -> None:
    async def work(database: AsyncDBPool) -> tuple[list[str], list[str]]:
        async with UnitOfWork.opened(database) as unit:
            await _service(unit, service).create(_data("Kept back"), alone=True)
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    assert during == []  # committed only with the request
    assert after == ["Kept back"]


def test_a_failed_create_alone_stores_nothing_and_the_next_one_works(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[int, list[str]]:
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).create(_data("Twice"), alone=True)
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database) as unit:
                await _service(unit).create(_data("Twice"), alone=True)
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).create(_data("Then"), alone=True)
        return raised.value.status, await _committed_names(database)

    status, names = _run(settings, work)
    assert status == 409
    assert names == ["Twice", "Then"]


# -- changes without the ORM ---------------------------------------------------------------


class UpdateHooked(EventServiceBase):
    """Overrides after_update: it is given the ORM object, so the ORM changes the row."""

    seen: list[Any]

    async def after_update(self, row: Event) -> None:
        self.seen.append(row)


def _patch(**values: Any) -> EventUpdate:
    return EventUpdate.model_validate(values)


def _direct(settings: Settings) -> bool:
    """Whether the database returns updated rows (MariaDB/MySQL do not: the ORM changes them)."""
    return settings.database.get_backend_name() != "mysql"


def test_rows_changed_without_the_orm_are_the_orms(settings: Settings) -> None:
    UpdateHooked.seen = []

    async def work(database: AsyncDBPool) -> tuple[Any, Any, list[tuple[Any, ...]], Any]:
        async with UnitOfWork.opened(database) as unit:
            first = await _service(unit).create(_data("First", tags=["a"]))
            second = await _service(unit).create(_data("Second", tags=["a"]))
        patch = {"capacity": 7, "tags": ["b", "c"], "contact": "x@y.z"}
        async with UnitOfWork.opened(database) as unit:
            plain = await _service(unit).update(first.id, _patch(**patch), if_match='"1"')
        async with UnitOfWork.opened(database) as unit:
            hooked = await _service(unit, UpdateHooked).update(second.id, _patch(**patch))
        return plain, hooked, await _stored(database), first

    plain, hooked, stored, first = _run(settings, work)
    assert isinstance(hooked, Event)
    assert UpdateHooked.seen == [hooked]
    assert isinstance(plain, Event) is not _direct(settings)
    answered = [tuple(getattr(row, name) for name in FIELDS) for row in (plain, hooked)]
    assert answered == stored  # each answers what was stored
    assert stored[0][1:] == stored[1][1:]  # and both ways store the same values
    assert stored[0][3:] == (7, EventStatus.draft, "x@y.z", ["b", "c"], 2)
    assert plain.updated_at > first.updated_at
    assert plain.created_at == first.created_at


def test_a_change_to_a_row_changed_since_it_was_read_is_a_409_to_retry(
    settings: Settings,
) -> None:
    """The repository's write names the version it read; the service retries it (and
    answers 412 only for an If-Match), a caller of the repository gets a 409."""

    async def work(database: AsyncDBPool) -> tuple[Problem, list[tuple[Any, ...]]]:
        async with UnitOfWork.opened(database) as unit:
            created = await _service(unit).create(_data("Raced"))
        async with UnitOfWork.opened(database) as unit:
            read = await _service(unit).read(created.id)  # version 1
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).update(created.id, _patch(capacity=5))  # now version 2
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database) as unit:
                await EventRepositoryBase(unit).update_row(read, {"capacity": 6})
        return raised.value, await _stored(database)

    if not _direct(settings):
        pytest.skip("MariaDB and MySQL return no updated rows: the ORM changes them")
    problem, stored = _run(settings, work)
    assert problem.status == 409
    assert "retry" in (problem.detail or "")
    assert [(row[3], row[7]) for row in stored] == [(5, 2)]  # the second change was kept


def test_a_change_that_breaks_a_constraint_is_a_409_and_changes_nothing(
    settings: Settings,
) -> None:
    async def work(database: AsyncDBPool) -> tuple[Problem, list[tuple[Any, ...]]]:
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).create(_data("Taken"))
            other = await _service(unit).create(_data("Other"))
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database) as unit:
                await _service(unit).update(other.id, _patch(name="Taken"), alone=True)
        return raised.value, await _stored(database)

    problem, stored = _run(settings, work)
    assert problem.status == 409
    assert {e["pointer"] for e in problem.errors} == {"/name", "/starts_at"}
    assert [row[0] for row in stored] == ["Taken", "Other"]
    assert [row[7] for row in stored] == [1, 1]


def test_a_change_alone_is_committed_as_it_is_made_on_sqlite(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[list[str], list[str]]:
        async with UnitOfWork.opened(database) as unit:
            created = await _service(unit).create(_data("Before"))
        async with UnitOfWork.opened(database) as unit:
            await _service(unit).update(created.id, _patch(name="After"), alone=True)
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    sqlite = settings.database.get_backend_name() == "sqlite"
    assert during == (["After"] if sqlite else ["Before"])
    assert after == ["After"]


@pytest.mark.dialects("sqlite", "postgresql")  # MariaDB/MySQL return no updated rows
def test_a_change_alone_sent_in_the_transaction_is_committed_as_it_is_made_on_sqlite(
    settings: Settings,
) -> None:
    """A change alone that could not commit in one trip (here: a retry, after the row
    was read locked in the transaction) ends the transaction at once on SQLite, so that
    other requests' writes do not queue behind it to the end of the request."""

    async def work(database: AsyncDBPool) -> tuple[list[str], list[str]]:
        async with UnitOfWork.opened(database) as unit:
            created = await _service(unit).create(_data("Before"))
        async with UnitOfWork.opened(database) as unit:
            repository = EventRepositoryBase(unit)
            read = await repository.read_for_update(created.id)
            await repository.update_row(read, {"name": "After"}, alone=True)
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    sqlite = settings.database.get_backend_name() == "sqlite"
    assert during == (["After"] if sqlite else ["Before"])
    assert after == ["After"]
