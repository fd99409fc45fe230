"""JSON responses serialized straight to bytes by the schema's compiled serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

__all__ = ["Related", "json_bytes_response", "json_response", "page_fields", "with_related"]


def json_response(
    body: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        body.__pydantic_serializer__.to_json(body),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def json_bytes_response(body: Any, *, status_code: int = 200) -> Response:
    """A plain JSON document (dicts, lists, scalars) as a response."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


class Related:
    """A row seen with its expanded relations as extra attributes (for ``from_attributes``)."""

    __slots__ = ("_extra", "_row")

    def __init__(self, row: Any, extra: Mapping[str, Any]) -> None:
        self._row = row
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, name)


def with_related(row: Any, expanded: Mapping[str, Mapping[Any, Any]]) -> Any:
    """``row`` with the relations :meth:`SQLRepository.expand` loaded for it, if any."""
    if not expanded:
        return row
    return Related(row, {name: by_id[row.id] for name, by_id in expanded.items()})


def page_fields(next_cursor: str | None, total: int | None) -> dict[str, Any]:
    """The fields of a page besides its items (``total`` only when it was asked for)."""
    if total is None:
        return {"next_cursor": next_cursor}
    return {"next_cursor": next_cursor, "total": total}
