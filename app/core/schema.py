"""The base class of every generated Pydantic schema."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SchemaModel"]


class SchemaModel(BaseModel):
    """Refuses unknown fields and non-finite numbers; reads ORM rows by attribute.

    Request bodies are validated with ``strict=True`` from their JSON bytes, so a
    value must already have the contract's type.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, from_attributes=True)
