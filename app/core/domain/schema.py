"""The base classes of every generated Pydantic schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["InputModel", "SchemaModel"]


class SchemaModel(BaseModel):
    """Refuses unknown fields and non-finite numbers; reads ORM rows by attribute.

    Request bodies are validated with ``strict=True`` from their JSON bytes, so a
    value must already have the contract's type.
    """

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, from_attributes=True, defer_build=True
    )


class InputModel(SchemaModel):
    """What clients send (create, replace, patch): no NUL character in any string field.

    PostgreSQL cannot store NUL in text and SQLite can, so it is refused for every
    database alike, including in strings whose own pattern would let it through. A
    free-form object is JSON, which holds NUL (``\\u0000``) in every database, as its
    contract (``type: object``) admits: its keys and values are not looked into.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain the NUL character (\\u0000)")
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    if isinstance(value, BaseModel):  # a RootModel item, such as a constrained string
        return _has_nul(getattr(value, "root", None))
    return False
