"""``specbase load``: import JSON files into the configured database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.config import Settings, get_settings
from app.core.data.database import AsyncDBPool
from app.core.data.schema_sync import sync_schema
from app.core.operations.discovery import discover
from app.core.operations.importer import load_file
from app.core.operations.registry import models_metadata

__all__ = ["load_files"]


async def load_files(
    paths: Sequence[Path], resource: str | None = None, settings: Settings | None = None
) -> list[str]:
    """Import each file in its own transaction; answer one line per file."""
    from generated.registry import RESOURCES

    settings = settings or get_settings()
    extensions = discover("custom", RESOURCES)
    database = AsyncDBPool(settings.database, echo=settings.database_echo)
    lines = []
    try:
        if settings.creates_schema:
            await sync_schema(database.engine, models_metadata())
        for path in paths:
            counts = await load_file(path, database, RESOURCES, extensions, resource)
            stored = ", ".join(f"{n} {name}" for name, n in counts.items())
            lines.append(f"{path}: stored {stored}")
    finally:
        await database.dispose()
    return lines
