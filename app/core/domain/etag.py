"""Entity tags from a row's version: ETag, If-Match (412) and If-None-Match (304)."""

from __future__ import annotations

from typing import Any

from app.core.domain.errors import Problem

__all__ = ["etag", "matches", "not_modified", "require_match"]


def etag(row: Any) -> str:
    """The strong entity tag of a versioned row: its version, quoted."""
    return f'"{row.version}"'


def _tags(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def matches(header: str, tag: str, *, weak: bool) -> bool:
    """Whether an If-Match (strong comparison) or If-None-Match (weak) header names ``tag``."""
    for candidate in _tags(header):
        if candidate == "*":
            return True
        if weak:
            candidate = candidate.removeprefix("W/")
        if candidate == tag:
            return True
    return False


def require_match(if_match: str | None, row: Any) -> None:
    """Answer 412 unless ``If-Match`` names the row's current version (RFC 9110, 13.1.1).

    A resource without versions ignores the header: it has no entity tags to compare.
    """
    if if_match is None or not hasattr(row, "version"):
        return
    if not matches(if_match, etag(row), weak=False):
        raise Problem(
            412,
            f"If-Match names {if_match[:100]!r}, but the row's version is now {etag(row)}; "
            "read it again and retry.",
            title="Precondition Failed",
            headers={"ETag": etag(row)},
        )


def not_modified(if_none_match: str | None, row: Any) -> bool:
    """Whether a get with ``If-None-Match`` should answer 304 for this row."""
    return if_none_match is not None and matches(if_none_match, etag(row), weak=True)
