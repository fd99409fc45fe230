"""Extra routes of the Venue resource: a custom query that composes with generated filters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.core.domain.errors import Problem
from app.core.domain.types import INT64_MAX
from app.core.http.deps import SessionDep
from app.core.http.openapi import load_contract
from app.core.http.responses import RowWriter
from custom.event.repository import EventRepository
from generated.event.expanded import EventExpanded, EventPage
from generated.event.models import Event
from generated.registry import CONTRACT_PATH
from generated.venue.repository import VenueRepositoryBase

router = APIRouter(prefix="/venues", tags=["Venue"])
# Pages of events, written as EventPage would write them (straight from the rows read).
EVENTS = RowWriter(EventExpanded, EventPage)


def _list_parameters(operation_id: str, *, leave_out: tuple[str, ...]) -> list[dict[str, Any]]:
    """The query parameters of a generated list, as the contract documents them."""
    contract = load_contract(CONTRACT_PATH)  # libyaml's parser, when installed
    for operations in contract["paths"].values():
        for operation in operations.values():
            if operation.get("operationId") == operation_id:
                return [p for p in operation["parameters"]
                        if p["in"] == "query" and not p["name"].startswith(leave_out)]  # fmt: skip
    raise LookupError(operation_id)


@router.get(
    "/{venue_id}/upcoming-events",
    operation_id="list_venue_upcoming_events",
    summary="Events at a venue that have not started yet",
    description="Takes every filter, sort and paging parameter of list_events.",
    response_model=None,
    openapi_extra={
        "parameters": _list_parameters("list_events", leave_out=("venue_id",)),
        "responses": {
            "200": {
                "description": "A page of the venue's upcoming events.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}}
                },
            },
            "400": {"$ref": "#/components/responses/BadRequest"},
            "404": {"$ref": "#/components/responses/NotFound"},
        },
    },
)
async def list_venue_upcoming_events(
    request: Request,
    session: SessionDep,
    venue_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
) -> Response:
    if await VenueRepositoryBase(session).read(venue_id) is None:  # missing, or deleted
        raise Problem(404, f"No Venue has the id {venue_id}.")
    events = EventRepository(session)
    # The scope binds the cursor to this venue's list, as for a generated nested route.
    query = events.listing.parse(request.query_params, scope=("upcoming", venue_id))
    page = await events.upcoming(query, Event.venue_id == venue_id)
    expanded = await events.expand(page.rows, query.expand)
    return EVENTS.page_response(page, expanded)
