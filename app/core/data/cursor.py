"""Opaque keyset cursors: the sort key of the last row a page answered."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from pydantic import TypeAdapter, ValidationError

from app.core.domain.errors import Problem

__all__ = ["CURSOR_PATTERN", "CursorCodec", "Ordering"]

# What every cursor looks like, as the contract's pattern says: base64url without
# padding, whose length is never 4k+1. Text of this shape may still be no cursor (400).
CURSOR_PATTERN = "^(?:[A-Za-z0-9_-]{4})*[A-Za-z0-9_-]{2,4}$"


class CursorCodec:
    """Encodes the sort key of a page's last row, bound to what the page was asked for.

    The ordering and a digest of the filters travel inside the cursor, so that a cursor
    taken from one sort or set of filters is refused by another (400), never silently
    applied to it. ``key_types`` bounds each sortable field's value: a tampered cursor
    cannot put an out-of-range value into a query.
    """

    def __init__(self, key_types: Mapping[str, Any]) -> None:
        self._key_types = dict(key_types)
        self._adapters: dict[tuple[str, ...], TypeAdapter[Any]] = {}

    def _adapter(self, fields: tuple[str, ...]) -> TypeAdapter[Any]:
        adapter = self._adapters.get(fields)
        if adapter is None:
            key: Any = cast(Any, tuple)[tuple(self._key_types[f] for f in fields)]
            adapter = self._adapters[fields] = TypeAdapter(key)
        return adapter

    def encode(self, order: Ordering, bound_to: str, key: tuple[Any, ...]) -> str:
        fields = tuple(name for name, _ in order)
        values = self._adapter(fields).dump_python(key, mode="json")
        payload = orjson.dumps([_ordering(order), bound_to, values])
        return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")

    def decode(self, cursor: str, order: Ordering, bound_to: str) -> tuple[Any, ...]:
        try:
            # validate=True: a character outside the alphabet is refused, not skipped.
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), b"-_", validate=True)
            ordering, bound, key = orjson.loads(raw)
            if not isinstance(ordering, str) or not isinstance(bound, str):
                raise ValueError("not a cursor")
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise Problem(400, "The cursor is not one this list answered.",
                          title="Invalid cursor") from None  # fmt: skip
        if ordering != _ordering(order) or bound != bound_to:
            raise Problem(400, "The cursor was issued for another sort or other filters; "
                          "repeat the sort and filters of the first page, or drop the cursor.",
                          title="Cursor mismatch")  # fmt: skip
        fields = tuple(name for name, _ in order)
        try:
            # Strict JSON validation: a date-time is a string, an id an integer, as written.
            value: tuple[Any, ...] = self._adapter(fields).validate_json(
                orjson.dumps(key), strict=True
            )
            for part in value:
                if isinstance(part, datetime):
                    part.astimezone(UTC)  # a key past year 9999 in UTC cannot be compared
        except (ValueError, TypeError, OverflowError, ValidationError, orjson.JSONEncodeError):
            raise Problem(400, "The cursor is not one this list answered.",
                          title="Invalid cursor") from None  # fmt: skip
        return value


Ordering = tuple[tuple[str, bool], ...]


def _ordering(order: Ordering) -> str:
    return ",".join(("-" if descending else "") + name for name, descending in order)
