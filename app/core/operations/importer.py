"""Importing records from JSON files through the services, validated like API input.

A file holds a list of records for one resource, or an object keyed by resource
(``{"events": [...], "images": [...]}``, loaded in that order). Each file is one
transaction: every record is stored, or none is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.data.database import AsyncDBPool
from app.core.domain.context import RequestContext
from app.core.domain.errors import Problem, json_pointer
from app.core.operations.discovery import CustomExtensions
from app.core.operations.registry import ResourceBinding

__all__ = ["ImportFailure", "load_file"]


class ImportFailure(Exception):
    """A file that cannot be imported; the message names the record and the field."""


@dataclass(frozen=True)
class _Batch:
    binding: ResourceBinding
    key: str
    records: list[Any]


async def load_file(
    path: Path,
    database: AsyncDBPool,
    bindings: Sequence[ResourceBinding],
    extensions: CustomExtensions,
    resource: str | None = None,
) -> dict[str, int]:
    """Store every record of ``path`` in one transaction; answer the count per resource."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ImportFailure(f"{path}: not valid JSON: {exc}") from None
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read it: {exc.strerror}") from None
    batches = _batches(path, data, bindings, resource)
    counts: dict[str, int] = {}
    try:
        async with database.get_session() as session:
            for batch in batches:
                counts[batch.binding.name] = await _store(session, batch, extensions, path)
    except ImportFailure:
        raise
    return counts


def _batches(
    path: Path, data: Any, bindings: Sequence[ResourceBinding], resource: str | None
) -> list[_Batch]:
    if isinstance(data, list):
        key = resource or path.stem
        return [_Batch(_find(path, key, bindings), key, data)]
    if isinstance(data, dict) and resource is None:
        batches = []
        for key, records in data.items():
            if not isinstance(records, list):
                raise ImportFailure(f"{path}: {key}: expected a list of records")
            batches.append(_Batch(_find(path, key, bindings), key, records))
        return batches
    raise ImportFailure(
        f"{path}: expected a list of records, or an object of lists keyed by resource"
    )


def _find(path: Path, key: str, bindings: Sequence[ResourceBinding]) -> ResourceBinding:
    for binding in bindings:
        if key in (binding.name, binding.module, binding.plural):
            return binding
    known = ", ".join(sorted(b.plural for b in bindings))
    raise ImportFailure(f"{path}: {key!r} is not a resource (known: {known})")


async def _store(
    session: AsyncSession, batch: _Batch, extensions: CustomExtensions, path: Path
) -> int:
    binding = batch.binding
    repository = extensions.repository_for(binding)(session)
    service = extensions.service_for(binding)(repository, RequestContext())
    explicit_ids = False
    for index, record in enumerate(batch.records):
        where = f"{path}: {batch.key}[{index}]"
        if not isinstance(record, dict):
            raise ImportFailure(f"{where}: a record is a JSON object")
        row_id = record.pop("id", None)
        explicit_ids = explicit_ids or row_id is not None
        try:
            if row_id is not None:
                row_id = binding.id_type.validate_python(row_id, strict=True)
            data = binding.create_schema.model_validate_json(orjson.dumps(record), strict=True)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = json_pointer(tuple(first["loc"])) or "(the record)"
            field = "/id" if row_id is not None and first["loc"] == () else field
            raise ImportFailure(f"{where}: {field}: {first['msg']}") from None
        try:
            await service.create(data, row_id=row_id)
        except Problem as problem:
            fields = ", ".join(e["pointer"] for e in problem.errors)
            detail = problem.detail or problem.title
            raise ImportFailure(f"{where}: {fields + ': ' if fields else ''}{detail}") from None
    if explicit_ids:
        await repository.follow_explicit_ids()
    return len(batch.records)
