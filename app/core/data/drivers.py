"""Whether a database URL names a database and an async driver this app can use.

Checked with the settings, so that a driver that is not installed (or one SQLAlchemy
does not know, or a sync one) stops start-up and every command with one line, instead
of a traceback from the first connection.
"""

from __future__ import annotations

from importlib.util import find_spec

from sqlalchemy.engine import URL
from sqlalchemy.exc import NoSuchModuleError

__all__ = ["driver_problem"]

# Each database the app runs on: its async driver, and the extra that installs it.
_SUPPORTED = {
    "postgresql": ("asyncpg", "postgres"),
    "mysql": ("aiomysql", "mysql"),
    "mariadb": ("aiomysql", "mysql"),
    "sqlite": ("aiosqlite", "sqlite"),
}
_CHOICES = "postgresql+asyncpg://, mysql+aiomysql:// or sqlite+aiosqlite://"


def driver_problem(url: URL) -> str | None:
    """What is wrong with the database and driver ``url`` names, in one sentence; None
    when the app can connect through it.

    Only the dialect's module is imported (the engine imports it anyway); the driver
    itself is looked for, not imported, when its name is its module's.
    """
    backend = url.get_backend_name()
    if backend not in _SUPPORTED:
        return f"the database {backend!r} is not supported; use {_CHOICES}"
    usual, extra = _SUPPORTED[backend]
    advice = f"install the extra {extra!r} ({usual}) or use {backend}+{usual}://"
    name = url.get_driver_name()
    try:
        dialect = url.get_dialect().get_async_dialect_cls(url)
    except NoSuchModuleError:
        known = f"SQLAlchemy knows no driver {name!r} for {backend}"
        return f"{known}; use {backend}+{usual}:// (the extra {extra!r})"
    if not dialect.is_async:
        return f"the driver {name!r} is not an async one; {advice}"
    if find_spec(dialect.driver) is None:
        try:  # a driver whose module is named otherwise
            dialect.import_dbapi()
        except ImportError:
            return f"the driver {dialect.driver!r} is not installed; {advice}"
    return None
