"""aiosqlite without the COMMIT and ROLLBACK calls that have nothing to end.

aiosqlite runs every call on its connection's own thread: each one is a hop there and
back. SQLAlchemy commits at the end of every request and rolls back when the pool takes
the connection back, reads included; Python's sqlite3 then finds no transaction open
(SQLite opens one only for a write) and does nothing, after two hops. This dialect asks
the connection first (``in_transaction`` is read without a hop) and ends only a
transaction that is open, which is exactly what sqlite3 itself would do.

URLs keep their ``sqlite+aiosqlite`` form; :func:`quiet_url` names this dialect for the
engine, and ``dialect.driver`` stays ``aiosqlite``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

__all__ = ["QuietSQLiteDialect", "quiet_url"]

_NAME = "specbase_aiosqlite"


class QuietSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite, ending a transaction only when SQLite has one open."""

    supports_statement_cache = True

    def do_commit(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            dbapi_connection.commit()

    def do_rollback(self, dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            dbapi_connection.rollback()


def _in_transaction(dbapi_connection: Any) -> bool:
    # A closed connection (or one whose thread stopped) is left to aiosqlite to report.
    driver = dbapi_connection.driver_connection
    if getattr(driver, "_connection", None) is None:
        return True
    return bool(driver.in_transaction)


def quiet_url(url: URL) -> URL:
    """``url`` (``sqlite+aiosqlite://…``) served by :class:`QuietSQLiteDialect`."""
    if url.get_backend_name() != "sqlite" or url.get_driver_name() != "aiosqlite":
        return url
    return url.set(drivername=f"sqlite+{_NAME}")


registry.register(f"sqlite.{_NAME}", __name__, "QuietSQLiteDialect")
