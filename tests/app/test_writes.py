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
from app.core.data.database import AsyncDBPool
from app.core.data.repository import Strategy
from app.core.data.unit import CommitPolicy, UnitOfWork
from app.core.domain.context import RequestContext
from app.core.domain.errors import Problem
from generated.event.models import Event
from generated.event.repository import EventRepositoryBase
from generated.event.schemas import EventCreate, EventStatus, EventUpdate
from generated.event.service import EventServiceBase
from tests.support.databases import run_on_schema

T = TypeVar("T")
STARTS = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
FIELDS = ("name", "location", "starts_at", "capacity", "status", "contact", "tags", "version")


class HookedService(EventServiceBase):
    """Declares the ORM strategy: after_create is given the ORM object."""

    strategy = Strategy.ORM
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


ONLY_WRITE = CommitPolicy.WITH_ONLY_WRITE


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
        policy = EventServiceBase.commit_policy("create")
        async with UnitOfWork.opened(database, policy) as unit:
            await _service(unit).create(_data("Alone"))
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
    async def work(database: AsyncDBPool) -> tuple[list[str], list[str], CommitPolicy]:
        policy = service.commit_policy("create")
        async with UnitOfWork.opened(database, policy) as unit:
            await _service(unit, service).create(_data("Kept back"))
            during = await _committed_names(database)
        return during, await _committed_names(database), policy

    during, after, policy = _run(settings, work)
    assert policy is CommitPolicy.AT_END
    assert during == []  # committed only with the request
    assert after == ["Kept back"]


def test_a_create_after_other_database_work_joins_the_transaction(settings: Settings) -> None:
    """The unit decides at the write: with the policy of a lone write, a request that
    already touched the transaction (here, the session) commits at its end."""

    async def work(database: AsyncDBPool) -> tuple[list[str], list[str]]:
        async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
            await _service(unit, SessionBeforeCreate).create(_data("Kept back"))
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    assert during == []
    assert after == ["Kept back"]


def test_a_failed_create_alone_stores_nothing_and_the_next_one_works(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[int, list[str]]:
        async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
            await _service(unit).create(_data("Twice"))
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
                await _service(unit).create(_data("Twice"))
        async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
            await _service(unit).create(_data("Then"))
        return raised.value.status, await _committed_names(database)

    status, names = _run(settings, work)
    assert status == 409
    assert names == ["Twice", "Then"]


class RegrettingService(EventServiceBase):
    """after_create writes another row, then refuses the create."""

    seen: list[Any]

    async def after_create(self, row: Event) -> None:
        self.seen.append(row)
        await EventRepositoryBase(self.repository.unit).insert_row(
            _data(f"Audit of {row.name}").model_dump()
        )
        raise Problem(409, "Created, then refused: nothing may be kept.")


def test_an_after_create_hook_that_writes_then_raises_leaves_nothing(settings: Settings) -> None:
    """The compiled create runs its hooks too (the strategy is declared, not inferred from
    the override): the hook is given the compiled row, and its own write and the
    create's are rolled back together, the request's policy being the boundary's."""
    RegrettingService.seen = []

    async def work(database: AsyncDBPool) -> tuple[int, list[str], CommitPolicy]:
        policy = RegrettingService.commit_policy("create")
        with pytest.raises(Problem) as raised:
            async with UnitOfWork.opened(database, policy) as unit:
                await _service(unit, RegrettingService).create(_data("Regretted"))
        return raised.value.status, await _committed_names(database), policy

    status, names, policy = _run(settings, work)
    returning = settings.database.get_backend_name() != "mysql" or _mariadb(settings)
    assert status == 409
    assert policy is CommitPolicy.AT_END
    assert names == []  # neither the row nor the hook's
    (given,) = RegrettingService.seen
    assert given.name == "Regretted"
    assert isinstance(given, Event) is not returning  # MySQL returns no inserted rows


def _mariadb(settings: Settings) -> bool:
    async def work(database: AsyncDBPool) -> bool:
        return bool(database.engine.dialect.insert_returning)

    return _run(settings, work)


async def _two_writes(database: AsyncDBPool) -> None:
    async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
        await _service(unit).create(_data("First"))
        await _service(unit).create(_data("Second"))


def test_database_work_after_a_write_committed_with_its_statement_is_refused(
    settings: Settings,
) -> None:
    """A unit told the write is the request's only one refuses more work once it has
    committed it, rather than keep the rest outside the write's transaction."""

    async def work(database: AsyncDBPool) -> tuple[list[str], bool]:
        with pytest.raises(RuntimeError, match="only write"):
            await _two_writes(database)
        return await _committed_names(database), True

    if settings.database.get_backend_name() != "sqlite":
        pytest.skip("only SQLite commits a write with its statement")
    names, _ = _run(settings, work)
    assert names == ["First"]  # committed with its statement; the second never sent


# -- changes without the ORM ---------------------------------------------------------------


class UpdateHooked(EventServiceBase):
    """Declares the ORM strategy: after_update is given the ORM object."""

    strategy = Strategy.ORM
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
            async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
                await _service(unit).update(other.id, _patch(name="Taken"))
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
        async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
            await _service(unit).update(created.id, _patch(name="After"))
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
        async with UnitOfWork.opened(database, ONLY_WRITE) as unit:
            repository = EventRepositoryBase(unit)
            read = await repository.read_for_update(created.id)
            assert read is not None
            await repository.update_row(read, {"name": "After"})
            during = await _committed_names(database)
        return during, await _committed_names(database)

    during, after = _run(settings, work)
    sqlite = settings.database.get_backend_name() == "sqlite"
    assert during == (["After"] if sqlite else ["Before"])
    assert after == ["After"]


class GetOverridden(EventRepositoryBase):
    """Adds a row rule to ``get``: it serves the ORM's writes, not the compiled path."""

    async def get(self, row_id: Any) -> Event | None:
        row = await super().get(row_id)
        return None if row is None or row.name.startswith("Secret") else row


@pytest.mark.dialects("sqlite", "postgresql")  # MariaDB/MySQL return no updated rows
def test_a_repository_that_overrides_get_changes_neither_path_nor_type(
    settings: Settings,
) -> None:
    """The strategy is the class's declaration: with ``Strategy.COMPILED`` (the generated
    one), a merge patch is one compiled UPDATE answering a compiled row, whatever ``get``
    does; ``Strategy.ORM`` is what sends it through ``get`` and the ORM."""

    class OrmGetOverridden(GetOverridden):
        strategy = Strategy.ORM

    async def work(database: AsyncDBPool) -> tuple[Any, Any, Problem]:
        async with UnitOfWork.opened(database) as unit:
            created = await _service(unit).create(_data("Secret plan"))
        async with UnitOfWork.opened(database) as unit:
            service = EventServiceBase(GetOverridden(unit), RequestContext(None))
            changed = await service.update(created.id, _patch(capacity=3))
            read = await service.read(created.id)
        with pytest.raises(Problem) as raised:
            await _update_with(database, OrmGetOverridden, created.id)
        return changed, read, raised.value

    changed, read, hidden = _run(settings, work)
    assert not isinstance(changed, Event)
    assert (changed.name, changed.capacity, changed.version) == ("Secret plan", 3, 2)
    assert not isinstance(read, Event)  # a compiled read, the same way
    assert hidden.status == 404  # the ORM path goes through get, whose rule hides it


async def _update_with(database: AsyncDBPool, repository: type[Any], row_id: Any) -> None:
    async with UnitOfWork.opened(database) as unit:
        service = EventServiceBase(repository(unit), RequestContext(None))
        await service.update(row_id, _patch(capacity=4))
