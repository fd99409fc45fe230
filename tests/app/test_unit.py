"""A request's unit of work: reads need no session, writes get one, and nothing is lost.

Run on every dialect; on SQLite the pool holds one connection, so a read that kept its
connection while the session wanted one would wait forever (each test has a deadline).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from app.config import Settings
from app.core.data.database import AsyncDBPool
from app.core.data.query import ListQuery
from app.core.data.unit import UnitOfWork
from generated.event.models import Event
from generated.event.repository import EventRepositoryBase
from tests.support.databases import run_on_schema

T = TypeVar("T")
STARTS = datetime(2030, 1, 1, tzinfo=UTC)
_QUERY = ListQuery(limit=10, order=(("id", False),))


def _event(name: str) -> dict[str, Any]:
    return {"name": name, "starts_at": STARTS, "tags": []}


def _run(settings: Settings, work: Callable[[AsyncDBPool], Awaitable[T]]) -> T:
    """``work`` on a database holding one event (id 1)."""

    async def seeded(database: AsyncDBPool) -> T:
        async with database.get_session() as session:
            session.add(Event(**_event("Stored")))
        return await work(database)

    return run_on_schema(settings.database, seeded)


def _has_session(unit: UnitOfWork) -> bool:
    return unit._session is not None


async def _names(database: AsyncDBPool) -> list[str]:
    async with database.get_session() as session:
        return list((await session.scalars(select(Event.name).order_by(Event.id))).all())


def test_reads_need_no_session(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[Any, int, bool]:
        async with UnitOfWork.opened(database) as unit:
            repository = EventRepositoryBase(unit)
            row = await repository.read(1)
            page = await repository.page(_QUERY)
            return row, len(page.rows), _has_session(unit)

    row, listed, has_session = _run(settings, work)
    assert row.name == "Stored"
    assert listed == 1
    assert not has_session


def test_reads_see_the_requests_own_writes(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[Any, Any, list[str], list[str]]:
        async with UnitOfWork.opened(database) as unit:
            repository = EventRepositoryBase(unit)
            before = await repository.read(1)  # a pooled connection, given back
            row = await repository.insert(_event("New"))
            stored = await repository.get(1)
            assert stored is not None
            await repository.update(stored, {"name": "Renamed"})
            seen = await repository.read(row.id)  # through the session, before the commit
            listed = [r.name for r in (await repository.page(_QUERY)).rows]
        return before, seen, listed, await _names(database)

    before, seen, listed, stored = _run(settings, work)
    assert before.name == "Stored"
    assert seen is not None
    assert seen.name == "New"
    assert sorted(listed) == ["New", "Renamed"]
    assert stored == ["Renamed", "New"]


def test_a_failed_unit_changes_nothing(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> list[str]:
        with pytest.raises(LookupError, match="the request failed"):
            await _failing(database)
        return await _names(database)

    assert _run(settings, work) == ["Stored"]


async def _failing(database: AsyncDBPool) -> None:
    async with UnitOfWork.opened(database) as unit:
        repository = EventRepositoryBase(unit)
        await repository.read(1)
        await repository.insert(_event("Lost"))
        raise LookupError("the request failed")


def test_a_failure_undoes_writes_with_and_without_the_orm(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> list[str]:
        with pytest.raises(LookupError, match="failed after both"):
            await _both_then_fail(database)
        return await _names(database)

    assert _run(settings, work) == ["Stored"]


async def _both_then_fail(database: AsyncDBPool) -> None:
    async with UnitOfWork.opened(database) as unit:
        repository = EventRepositoryBase(unit)
        await repository.insert_row(_event("Inserted"))  # opens the transaction
        stored = await repository.get(1)  # the session joins it
        assert stored is not None
        await repository.update(stored, {"name": "Renamed"})
        raise LookupError("failed after both")


def test_a_held_session_serves_every_read(settings: Settings) -> None:
    async def work(database: AsyncDBPool) -> tuple[Any, bool]:
        async with database.get_session() as session:
            repository = EventRepositoryBase(session)
            session.add(Event(**_event("Pending")))
            listed = await repository.page(_QUERY)
            return [r.name for r in listed.rows], repository.session is session

    names, same = _run(settings, work)
    assert sorted(names) == ["Pending", "Stored"]
    assert same
