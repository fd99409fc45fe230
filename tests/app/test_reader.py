"""Reads without the ORM (app.core.data.reader): the same values the ORM reads, on every dialect.

The get and list operations read rows through SQL compiled once per dialect and sent
through the driver's own connection; each test compares what they answer with the same
rows loaded through the ORM, column by column.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.core.data import reader
from app.core.data.database import AsyncDBPool, Base
from app.core.data.repository import Strategy
from app.core.data.schema_sync import sync_schema
from app.core.operations.registry import models_metadata
from generated.event.models import Event
from generated.event.repository import EventRepositoryBase
from generated.event.schemas import EventStatus
from generated.image.models import Image
from generated.image.repository import ImageRepositoryBase

T = TypeVar("T")

EVENTS = [
    {
        "name": "Full",
        "location": "Hall",
        "starts_at": datetime(2026, 5, 1, 18, 30, 15, 250_000, tzinfo=UTC),
        "capacity": 2**40,
        "status": EventStatus.published,
        "contact": "a@example.com",
        "tags": ["x", "ü", ""],
    },
    {
        "name": "Sparse",
        "starts_at": datetime(1, 1, 1, tzinfo=UTC),
        "capacity": 0,
        "status": EventStatus.draft,
        "tags": [],
    },
]


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` on a session of a database holding ``EVENTS`` and one image, then committed."""

    async def main() -> T:
        database = AsyncDBPool(settings.database)
        try:
            await sync_schema(database.engine, models_metadata())
            async with database.get_session() as session:
                session.add_all(Event(**values) for values in EVENTS)
                await session.flush()
                session.add(Image(url="https://example.com/a.png", width=1, height=2,
                                  content_type="image/png", event_id=1))  # fmt: skip
            async with database.get_session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(dialect, statement) of every statement compiled while the test runs."""
    made: list[tuple[str, str]] = []
    of = reader.CompiledSelect.of.__func__  # type: ignore[attr-defined]

    def recording(cls: type[reader.CompiledSelect], *args: Any) -> reader.CompiledSelect:
        made.append((args[1].name, str(args[0])))
        result: reader.CompiledSelect = of(cls, *args)
        return result

    monkeypatch.setattr(reader.CompiledSelect, "of", classmethod(recording))
    return made


def _columns(row: Any, model: type[Base]) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in inspect(model).columns}


Compared = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _both_ways(
    repository_class: type[EventRepositoryBase],
) -> Callable[[AsyncSession], Awaitable[Compared]]:
    """Events 1 and 2 as ``read`` answers them, and as the ORM loads them."""

    async def work(session: AsyncSession) -> Compared:
        repository = repository_class(session)
        read = [_columns(await repository.read(i), Event) for i in (1, 2)]
        loaded = [_columns(await session.get(Event, i), Event) for i in (1, 2)]
        return read, loaded

    return work


def test_a_read_answers_what_the_orm_loads(settings: Settings) -> None:
    read, loaded = _run(settings, _both_ways(EventRepositoryBase))
    assert len(read) == 2
    assert read == loaded
    first = read[0]
    assert first["starts_at"] == EVENTS[0]["starts_at"]
    assert first["starts_at"].utcoffset() is not None  # aware, on SQLite too
    assert first["tags"] == ["x", "ü", ""]
    assert first["status"] == EventStatus.published
    assert first["capacity"] == 2**40


def test_a_missing_or_soft_deleted_row_is_not_read(settings: Settings) -> None:
    async def work(session: AsyncSession) -> list[Any]:
        repository = ImageRepositoryBase(session)
        before = await repository.read(1)
        image = await repository.get(1)
        assert image is not None
        await repository.delete(image)  # soft: the row stays, with deleted_at set
        return [before, await repository.read(1), await repository.read(99)]

    before, after, missing = _run(settings, work)
    assert before is not None
    assert before.url == "https://example.com/a.png"
    assert after is None
    assert missing is None


def test_a_read_sees_what_the_session_has_not_sent_yet(settings: Settings) -> None:
    async def work(session: AsyncSession) -> Any:
        row = await session.get(Event, 2)
        assert row is not None
        row.capacity = 7  # pending in the session, not flushed
        return await EventRepositoryBase(session).read(2)

    assert _run(settings, work).capacity == 7


def test_a_page_is_read_without_the_orm(settings: Settings) -> None:
    async def work(session: AsyncSession) -> tuple[list[Any], list[Any]]:
        repository = EventRepositoryBase(session)
        page = await repository.page(EventRepositoryBase.listing.parse({}))
        loaded = [await session.get(Event, row.id) for row in page.rows]
        return [_columns(r, Event) for r in page.rows], [_columns(r, Event) for r in loaded]

    rows, loaded = _run(settings, work)
    assert [row["name"] for row in rows] == ["Full", "Sparse"]  # -starts_at
    assert rows == loaded


def test_the_statement_is_compiled_once_per_dialect(
    settings: Settings, compiled: list[tuple[str, str]]
) -> None:
    class Fresh(EventRepositoryBase):  # its own cache of compiled reads
        pass

    async def work(session: AsyncSession) -> list[Any]:
        return [await Fresh(session).read(i) for i in (1, 2, 1, 3)]

    rows = _run(settings, work)
    assert [row and row.name for row in rows] == ["Full", "Sparse", "Full", None]
    dialect = settings.database.get_dialect().name
    assert [name for name, _ in compiled] == [dialect]
    assert Fresh._by_id[dialect].sql  # sent through the driver itself


def test_another_driver_reads_through_sqlalchemy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "DIRECT_DRIVERS", frozenset())

    class Fresh(EventRepositoryBase):
        pass

    async def work(session: AsyncSession) -> Compared:
        read, loaded = await _both_ways(Fresh)(session)
        assert not next(iter(Fresh._by_id.values())).sql
        return read, loaded

    read, loaded = _run(settings, work)
    assert len(read) == 2
    assert read == loaded


def test_another_driver_lists_through_sqlalchemy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "DIRECT_DRIVERS", frozenset())

    class Fresh(EventRepositoryBase):
        pass

    async def pages(session: AsyncSession) -> list[Any]:
        listing, repository = Fresh.listing, Fresh(session)
        first = await repository.page(listing.parse({"limit": "1", "count": "true"}))
        after = {"limit": "1", "count": "true", "cursor": first.next_cursor or ""}
        second = await repository.page(listing.parse(after))
        status = await repository.page(listing.parse({"status__in": "draft,cancelled"}))
        kept = [c for pair in Fresh._pages.values() for c in pair if c is not None]
        assert len(kept) == 5  # 3 shapes, 2 of them with a count
        assert not any(c.sql for c in kept)  # none is sent through the driver
        return [first, second, status]

    first, second, status = _run(settings, pages)
    assert [row.name for row in first.rows] == ["Full"]
    assert [row.name for row in second.rows] == ["Sparse"]
    assert first.total == second.total == 2
    assert second.next_cursor is None
    assert [row.name for row in status.rows] == ["Sparse"]


def test_a_repository_of_the_orm_strategy_is_read_through_its_get(settings: Settings) -> None:
    class OnlyPublished(EventRepositoryBase):
        strategy = Strategy.ORM

        async def get(self, row_id: Any) -> Event | None:
            row = await super().get(row_id)
            return row if row is not None and row.status == EventStatus.published else None

    async def work(session: AsyncSession) -> list[Any]:
        return [await OnlyPublished(session).read(i) for i in (1, 2)]

    published, draft = _run(settings, work)
    assert isinstance(published, Event)
    assert draft is None


def test_a_shape_of_list_query_is_compiled_once(
    settings: Settings, compiled: list[tuple[str, str]]
) -> None:
    class Fresh(EventRepositoryBase):
        pass

    listing = EventRepositoryBase.listing

    async def work(session: AsyncSession) -> list[list[str]]:
        repository = Fresh(session)
        names = []
        for params in (
            {"name__contains": "Fu"},
            {"name__contains": "Spar"},  # the same shape, another value
            {"name__contains": "l", "capacity__gte": "1"},  # another shape
            {"name__contains": "F", "capacity__gte": "5"},
        ):
            page = await repository.page(listing.parse(params))
            names.append([row.name for row in page.rows])
        # A custom condition is not a shape: it runs as built, and nothing is kept.
        custom = await repository.page(listing.parse({}), Event.capacity == 0)
        names.append([row.name for row in custom.rows])
        return names

    names = _run(settings, work)
    assert names == [["Full"], ["Sparse"], ["Full"], ["Full"], ["Sparse"]]
    assert len(compiled) == 2
    assert len(Fresh._pages) == 2


def test_a_repository_of_the_orm_strategy_builds_its_statements_per_request(
    settings: Settings,
) -> None:
    class OnlyBig(EventRepositoryBase):
        strategy = Strategy.ORM

        def filtered(self, query: Any, *where: Any) -> Any:
            return super().filtered(query, Event.capacity > 10, *where)

    async def work(session: AsyncSession) -> list[str]:
        page = await OnlyBig(session).page(EventRepositoryBase.listing.parse({}))
        return [row.name for row in page.rows]

    assert _run(settings, work) == ["Full"]
    assert OnlyBig._pages == {}
