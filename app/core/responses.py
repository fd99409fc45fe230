"""JSON responses serialized straight to bytes by the schema's compiled serializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

__all__ = ["json_bytes_response", "json_response"]


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
