"""Opaque keyset cursors: the sort key of the last row a page answered."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from app.core.errors import Problem

__all__ = ["CursorCodec"]


class CursorCodec:
    """Encodes ``(sort value, id)`` for one ordering and refuses any other cursor.

    The ordering's name travels inside the cursor so that a cursor taken from one
    ordering is not silently applied to another.
    """

    def __init__(self, ordering: str, key_type: Any) -> None:
        self.ordering = ordering
        self._adapter: TypeAdapter[Any] = TypeAdapter(key_type)

    def encode(self, key: tuple[Any, ...]) -> str:
        payload = orjson.dumps([self.ordering, self._adapter.dump_python(key, mode="json")])
        return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")

    def decode(self, cursor: str) -> tuple[Any, ...]:
        try:
            # validate=True: a character outside the alphabet is refused, not skipped.
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), b"-_", validate=True)
            ordering, key = orjson.loads(raw)
            if ordering != self.ordering:
                raise ValueError("cursor of another ordering")
            # Strict JSON validation: a date-time is a string, an id an integer, as written.
            value: tuple[Any, ...] = self._adapter.validate_json(orjson.dumps(key), strict=True)
            for part in value:
                if isinstance(part, datetime):
                    part.astimezone(UTC)  # a key past year 9999 in UTC cannot be compared
        except (
            ValueError,
            TypeError,
            OverflowError,
            binascii.Error,
            ValidationError,
            orjson.JSONDecodeError,
        ):
            raise Problem(400, "The cursor is not one this list answered.",
                          title="Invalid cursor") from None  # fmt: skip
        return value
