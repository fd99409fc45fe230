"""`specbase load`: records go through the services, one transaction per file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.core.data.database import AsyncDBPool, Base
from app.core.data.schema_sync import sync_schema
from app.core.operations.importer import ImportFailure
from app.core.operations.registry import models_metadata
from app.loader import load_files
from generated.event.models import Event
from generated.image.models import Image

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def _count(settings: Settings, model: type[Base]) -> int:
    database = AsyncDBPool(settings.database)
    try:
        await sync_schema(database.engine, models_metadata())
        async with database.get_session() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await database.dispose()


async def _content_types(settings: Settings) -> list[str]:
    database = AsyncDBPool(settings.database)
    try:
        async with database.get_session() as session:
            rows = await session.scalars(select(Image.content_type).order_by(Image.id))
            return [str(value.value) for value in rows]
    finally:
        await database.dispose()


def test_the_shipped_example_loads_with_hooks_applied(settings: Settings) -> None:
    lines = asyncio.run(load_files([ROOT / "data" / "example.json"], settings=settings))
    assert lines == [f"{ROOT / 'data' / 'example.json'}: stored 3 Event, 3 Image"]
    assert asyncio.run(_count(settings, Event)) == 3
    # custom/image/service.py stores the legacy image/jpg as image/jpeg
    assert asyncio.run(_content_types(settings)) == ["image/jpeg", "image/webp", "image/png"]


def test_one_bad_record_stores_nothing_and_is_named(settings: Settings, tmp_path: Path) -> None:
    records = [
        {"name": "ok", "starts_at": "2027-01-01T00:00:00Z"},
        {"name": "also ok", "starts_at": "2027-01-02T00:00:00Z"},
        {"name": "bad", "starts_at": "2027-01-03T00:00:00Z", "capacity": -5},
    ]
    path = _write(tmp_path / "events.json", records)
    with pytest.raises(ImportFailure, match=r"events\[2\]: /capacity: .*greater than or equal"):
        asyncio.run(load_files([path], settings=settings))
    assert asyncio.run(_count(settings, Event)) == 0


def test_a_constraint_violation_stores_nothing(settings: Settings, tmp_path: Path) -> None:
    data = {
        "events": [{"name": "a", "starts_at": "2027-01-01T00:00:00Z"}],
        "images": [{"event_id": 99, "url": "https://x.example/a.png", "width": 1, "height": 1,
                    "content_type": "image/png"}],
    }  # fmt: skip
    path = _write(tmp_path / "both.json", data)
    with pytest.raises(ImportFailure, match=r"images\[0\]: /event_id: No Event matches"):
        asyncio.run(load_files([path], settings=settings))
    assert asyncio.run(_count(settings, Event)) == 0


def test_a_list_takes_its_resource_from_the_option_or_the_file_name(
    settings: Settings, tmp_path: Path
) -> None:
    records = [{"name": "n", "starts_at": "2027-01-01T00:00:00Z"}]
    named = _write(tmp_path / "events.json", records)
    other = _write(tmp_path / "whatever.json", records)
    asyncio.run(load_files([named], settings=settings))
    with pytest.raises(ImportFailure, match=r"'whatever' is not a resource \(known: events"):
        asyncio.run(load_files([other], settings=settings))
    _write(other, [{"name": "m", "starts_at": "2027-01-01T00:00:00Z"}])
    asyncio.run(load_files([other], resource="Event", settings=settings))
    assert asyncio.run(_count(settings, Event)) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('"a string"', "expected a list of records"),
        ('{"events": {"name": "x"}}', "events: expected a list of records"),
        ('{"events": [42]}', r"events\[0\]: a record is a JSON object"),
        ('{"events": [{"id": true, "name": "x", "starts_at": "2027-01-01T00:00:00Z"}]}',
         r"events\[0\]: /id: "),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_with_a_reason(
    settings: Settings, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "events.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailure, match=message):
        asyncio.run(load_files([path], settings=settings))


def test_explicit_ids_are_kept_and_new_ids_follow(settings: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "events.json", [
        {"id": 40, "name": "forty", "starts_at": "2027-01-01T00:00:00Z"},
    ])  # fmt: skip
    asyncio.run(load_files([path], settings=settings))
    after = _write(tmp_path / "more.json", {"events": [
        {"name": "next", "starts_at": "2027-01-02T00:00:00Z"},
    ]})  # fmt: skip
    asyncio.run(load_files([after], settings=settings))

    async def ids() -> list[int]:
        database = AsyncDBPool(settings.database)
        try:
            async with database.get_session() as session:
                return list(await session.scalars(select(Event.id).order_by(Event.id)))
        finally:
            await database.dispose()

    assert asyncio.run(ids()) == [40, 41]
