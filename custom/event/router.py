"""Extra routes of the Event resource, mounted beside the generated ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.core.http.deps import SessionDep
from custom.event.repository import EventRepository
from generated.event.schemas import EventRead

router = APIRouter(prefix="/events", tags=["Event"])


@router.get(
    "/by-location/{location}",
    operation_id="find_events_by_location",
    summary="Events at one location",
)
async def find_events_by_location(
    session: SessionDep,
    location: Annotated[str, Path(min_length=1, max_length=100, pattern="^[^\\u0000]*$")],
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[EventRead]:
    rows = await EventRepository(session).find_by_location(location, limit)
    return [EventRead.model_validate(row) for row in rows]
