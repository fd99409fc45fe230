"""Extra queries on events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from generated.event.models import Event
from generated.event.repository import EventRepositoryBase


class EventRepository(EventRepositoryBase):
    """Event's repository with the queries the generated one does not have."""

    async def find_by_location(self, location: str, limit: int = 100) -> Sequence[Event]:
        """Events at ``location``, in the list's usual order."""
        statement = self.ordered(select(Event).where(Event.location == location)).limit(limit)
        return (await self.session.scalars(statement)).all()
