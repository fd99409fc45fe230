"""Extra queries on events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from app.core.data.database import utcnow
from app.core.data.query import ListQuery
from app.core.data.repository import Page
from generated.event.models import Event
from generated.event.repository import EventRepositoryBase


class EventRepository(EventRepositoryBase):
    """Event's repository with the queries the generated one does not have."""

    async def find_by_location(self, location: str, limit: int = 100) -> Sequence[Event]:
        """Events at ``location``, in the list's usual order."""
        statement = self.ordered(select(Event).where(Event.location == location)).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def upcoming(self, query: ListQuery, *where: ColumnElement[bool]) -> Page[Event]:
        """Events that have not started yet, narrowed further by the client's filters, in
        the client's sort, one keyset page at a time: the generated list's whole query
        language, composed with this query's own condition."""
        return await self.page(query, Event.starts_at >= utcnow(), *where)

    async def count_starting(self, since: datetime | None) -> int:
        """How many events start at or after ``since`` (all of them for None)."""
        statement = select(func.count()).select_from(Event)
        if since is not None:
            statement = statement.where(Event.starts_at >= since)
        return int(await self.session.scalar(statement) or 0)
