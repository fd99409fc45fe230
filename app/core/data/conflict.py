"""What a write answers when another write to its row came between its read and its write.

RFC 9110 makes 412 the answer to a precondition the client asked for (``If-Match``) that
no longer holds. A client that asked for none has its change applied to the row as it
now is (see ``docs/concurrency.md``); :class:`RowChanged` is what is left when even that
cannot be done: a 409 that says to retry.
"""

from __future__ import annotations

from typing import Any

from app.core.domain.errors import Problem

__all__ = ["WRITE_ATTEMPTS", "RowChanged", "stale"]

# How many times a change without If-Match is tried: first optimistically (the read
# takes no lock, the write names the version read), then with the row locked from its
# read to its write (SELECT … FOR UPDATE; on SQLite the transaction holds the writes).
# A locked attempt cannot meet a write made through this app, so the second one lands
# unless the row is gone (404); the third covers one write by something that takes no
# lock (another program). Past that the row is hot for reasons of its own: answering
# 409 beats holding its lock for longer.
WRITE_ATTEMPTS = 3


class RowChanged(Problem):
    """The row changed (or went) between the read of a write and the write itself."""

    def __init__(self, row_id: Any) -> None:
        super().__init__(
            409,
            f"The row {row_id} was changed by another request at the same time; retry the request.",
            title="Conflict",
        )
        self.row_id = row_id


def stale(row_id: Any) -> Problem:
    """The answer to a write whose If-Match named a version the row no longer has."""
    return Problem(
        412,
        f"The row {row_id} has changed since the version If-Match names; read it again.",
        title="Precondition Failed",
    )
