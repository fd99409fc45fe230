"""The Event resource written by hand, as a good engineer writes it from the docs.

FastAPI + SQLAlchemy 2.0 async ORM + Pydantic v2, the way their tutorials show: an
``async_sessionmaker``, a ``yield`` session dependency, ``response_model``, ORM reads
and writes, a PATCH through ``model_dump(exclude_unset=True)``. Idiomatic, neither
sabotaged nor tuned: it is the yardstick the generated app is compared with. It maps
the generated app's ``events`` table with its own class and shares nothing with
``app`` or ``generated``. Its pool is the generated app's: one connection on SQLite,
5 (+10 overflow, pre-ping) on a server database. Served with
``BENCH_DATABASE_URL=... uvicorn benchmarks.http.handwritten:app``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import JSON, DateTime, String, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

__all__ = ["app"]

Status = Literal["draft", "published", "cancelled"]
Tag = Annotated[str, Field(min_length=1, max_length=30)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Event(Base):
    """Something happening at a place and time."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(default=100)
    status: Mapped[str] = mapped_column(String(9), default="draft")
    contact: Mapped[str | None] = mapped_column(String(320))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    venue_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column()

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # Optimistic locking, as the generated app does: an UPDATE names the version it read.
        return {"version_id_col": cls.version}


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=100)
    starts_at: AwareDatetime
    capacity: int = Field(default=100, ge=0, le=100_000)
    status: Status = "draft"
    contact: str | None = Field(default=None, max_length=254)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    venue_id: int | None = Field(default=None, ge=1)


class EventUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    location: str | None = Field(default=None, max_length=100)
    starts_at: AwareDatetime | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    status: Status | None = None
    contact: str | None = Field(default=None, max_length=254)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    venue_id: int | None = Field(default=None, ge=1)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    location: str | None
    starts_at: datetime
    capacity: int
    status: Status
    contact: str | None
    tags: list[str]
    venue_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None


def _create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        return create_async_engine(url, pool_size=1, max_overflow=0)
    return create_async_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)


engine = _create_engine(os.environ.get("BENCH_DATABASE_URL", "sqlite+aiosqlite:///./bench.db"))
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    del app
    yield
    await engine.dispose()


app = FastAPI(title="Events, by hand", lifespan=lifespan)


def encode_cursor(event: Event) -> str:
    key = json.dumps([event.starts_at.isoformat(), event.id])
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        starts_at, event_id = json.loads(base64.urlsafe_b64decode(cursor))
        return datetime.fromisoformat(starts_at), int(event_id)
    except ValueError:
        raise HTTPException(status_code=400, detail="Invalid cursor") from None


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/events", response_model=EventPage)
async def list_events(
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> EventPage:
    statement = select(Event).order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit + 1)
    if status is not None:
        statement = statement.where(Event.status == status)
    if cursor is not None:
        starts_at, event_id = decode_cursor(cursor)
        statement = statement.where(
            or_(
                Event.starts_at < starts_at, and_(Event.starts_at == starts_at, Event.id < event_id)
            )
        )
    events = (await session.scalars(statement)).all()
    next_cursor = encode_cursor(events[limit - 1]) if len(events) > limit else None
    items = [EventRead.model_validate(event) for event in events[:limit]]
    return EventPage(items=items, next_cursor=next_cursor)


@app.get("/events/{event_id}", response_model=EventRead)
async def get_event(event_id: int, session: SessionDep) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise HTTPException(status_code=404, detail="Event not found")
    return event


@app.post("/events", response_model=EventRead, status_code=201)
async def create_event(data: EventCreate, session: SessionDep) -> Event:
    event = Event(**data.model_dump())
    session.add(event)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(
            status_code=409, detail="An event with this name and start exists"
        ) from None
    await session.commit()
    return event


@app.patch("/events/{event_id}", response_model=EventRead)
async def update_event(event_id: int, patch: EventUpdate, session: SessionDep) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise HTTPException(status_code=404, detail="Event not found")
    for field, value in patch.model_dump(exclude_unset=True).items():
        setattr(event, field, value)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(
            status_code=409, detail="An event with this name and start exists"
        ) from None
    return event
