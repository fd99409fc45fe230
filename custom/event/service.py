"""Event's actions: publishing a draft, and counting what is coming."""

from __future__ import annotations

from pydantic import MISSING

from app.core.domain.errors import Problem
from custom.event.repository import EventRepository
from generated.event.enums import EventStatus
from generated.event.schemas import (
    EventPublishRequest,
    EventRead,
    EventStatsQuery,
    EventStatsResponse,
    EventUpdate,
)
from generated.event.service import EventServiceBase


class EventService(EventServiceBase):
    """The actions of specs/event.yaml, beside the generated CRUD operations."""

    async def publish(self, event_id: int, body: EventPublishRequest) -> EventRead:
        """A draft becomes published (and may move its start); anything else is a 409.

        The row stays locked until the request ends, so two publishers of one draft
        cannot both succeed: the second finds it published.
        """
        event = await self.repository.get_for_update(event_id)
        if event is None:
            raise Problem(404, f"No event has the id {event_id}.")
        if event.status != EventStatus.draft:
            raise Problem(409, f"Only a draft can be published; this event is {event.status}.")
        patch = EventUpdate(status=EventStatus.published, starts_at=body.starts_at)
        return EventRead.model_validate(await self.update(event_id, patch))

    async def stats(self, query: EventStatsQuery) -> EventStatsResponse:
        # The query of custom/event/repository.py, in this request's unit, whichever
        # repository class the service was built with.
        repository = EventRepository(self.repository.unit)
        since = None if query.since is MISSING else query.since
        return EventStatsResponse(count=await repository.count_starting(since))
