"""Bounded Python types shared by generated code (cursor keys, path ids)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, TypeAdapter

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "ROW_ID",
    "UUID_ID",
    "FiniteFloat",
    "Int64",
    "PositiveInt64",
    "SafeText",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
PositiveInt64 = Annotated[int, Field(ge=1, le=INT64_MAX)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
SafeText = Annotated[str, Field(pattern="^[^\\u0000]*$", max_length=10_000)]

# The ids of path parameters (``/events/{event_id}``), read by every resource's operations.
ROW_ID: TypeAdapter[int] = TypeAdapter(PositiveInt64)
UUID_ID: TypeAdapter[UUID] = TypeAdapter(UUID)
