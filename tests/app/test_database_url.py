"""A database URL the app cannot use stops start-up and every command with one line.

A driver that is not installed, one SQLAlchemy does not know, a sync one, a database
the app does not run on, an empty or unparseable URL: each is one line on stderr
naming DATABASE_URL (or DATABASE_DRIVER) and what to do, exit code 1, no traceback;
for uvicorn, ``python -m app`` and each ``specbase`` command that reaches the database.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from app.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]

ASYNCMY = "mysql+asyncmy://root@127.0.0.1:3306/test"
ASYNCMY_LINE = (
    "DATABASE_URL: the driver 'asyncmy' is not installed; "
    "install the extra 'mysql' (aiomysql) or use mysql+aiomysql://"
)

# (DATABASE_URL, the line that names what is wrong with it)
BAD_URLS = [
    (ASYNCMY, ASYNCMY_LINE),
    (
        "postgresql+psycopg://app@127.0.0.1/app",
        "DATABASE_URL: the driver 'psycopg' is not installed; "
        "install the extra 'postgres' (asyncpg) or use postgresql+asyncpg://",
    ),
    (
        "postgresql+nosuch://app@127.0.0.1/app",
        "DATABASE_URL: SQLAlchemy knows no driver 'nosuch' for postgresql; "
        "use postgresql+asyncpg:// (the extra 'postgres')",
    ),
    (
        "oracle+x://app@127.0.0.1/app",
        "DATABASE_URL: the database 'oracle' is not supported; "
        "use postgresql+asyncpg://, mysql+aiomysql:// or sqlite+aiosqlite://",
    ),
    (
        "postgresql+psycopg2://app@127.0.0.1/app",
        "DATABASE_URL: the driver 'psycopg2' is not an async one; "
        "install the extra 'postgres' (asyncpg) or use postgresql+asyncpg://",
    ),
    (
        "sqlite:///./specbase.db",
        "DATABASE_URL: the driver 'pysqlite' is not an async one; "
        "install the extra 'sqlite' (aiosqlite) or use sqlite+aiosqlite://",
    ),
    (
        "",
        "DATABASE_URL: is empty; unset it for the SQLite file ./specbase.db, "
        "or give a database URL (dialect+driver://user@host/name)",
    ),
    ("not a url", "DATABASE_URL: not a database URL (dialect+driver://user@host/name)"),
]

# Every way to start the app, and every command that reaches the database.
COMMANDS = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "app.main:app", "--port", "0"],
    "python -m app": [sys.executable, "-m", "app"],
    "serve": [sys.executable, "-m", "specbase", "serve", "--port", "0"],
    "db revision": [sys.executable, "-m", "specbase", "db", "revision", "-m", "x"],
    "db upgrade": [sys.executable, "-m", "specbase", "db", "upgrade"],
    "db downgrade": [sys.executable, "-m", "specbase", "db", "downgrade", "-1"],
    "db check": [sys.executable, "-m", "specbase", "db", "check"],
    "load": [sys.executable, "-m", "specbase", "load", "data/example.json"],
}
STARTS = {"uvicorn", "python -m app", "serve"}


def _missing(*modules: str) -> None:
    for module in modules:
        if find_spec(module) is not None:
            pytest.skip(f"{module} is installed here")


def _run(command: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env |= {"SECRETS_DIR": "/nonexistent", "ENVIRONMENT": "LOCAL", **variables}
    return subprocess.run(
        COMMANDS[command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def _assert_one_line(done: subprocess.CompletedProcess[str], command: str, line: str) -> None:
    prefix = "specbase: cannot start: " if command in STARTS else "specbase: "
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == [prefix + line], done.stderr
    assert done.returncode == 1, done


@pytest.mark.parametrize("command", COMMANDS)
def test_a_driver_not_installed_is_one_line_for_every_command(command: str) -> None:
    _missing("asyncmy")
    _assert_one_line(_run(command, DATABASE_URL=ASYNCMY), command, ASYNCMY_LINE)


@pytest.mark.parametrize(
    ("url", "line"), BAD_URLS[1:], ids=[url or "empty" for url, _ in BAD_URLS[1:]]
)
def test_each_unusable_url_is_one_line(url: str, line: str) -> None:
    # Each command reads the settings alike (above): the cheapest to start stands for all.
    _missing("psycopg", "psycopg2")
    _assert_one_line(_run("python -m app", DATABASE_URL=url), "python -m app", line)


def test_a_driver_from_the_url_parts_names_database_driver() -> None:
    _missing("asyncmy")
    done = _run(
        "python -m app",
        DATABASE_HOST="127.0.0.1",
        DATABASE_NAME="app",
        DATABASE_DRIVER="mysql+asyncmy",
    )
    line = ASYNCMY_LINE.replace("DATABASE_URL", "DATABASE_DRIVER")
    _assert_one_line(done, "python -m app", line)


@pytest.mark.parametrize(("url", "line"), BAD_URLS, ids=[url or "empty" for url, _ in BAD_URLS])
def test_the_settings_refuse_an_unusable_url(tmp_path: Path, url: str, line: str) -> None:
    _missing("asyncmy", "psycopg", "psycopg2")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, database_url=url)
    assert str(caught.value) == line
    assert "127.0.0.1" not in str(caught.value)  # the URL itself may hold a password


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///./specbase.db",
        "postgresql+asyncpg://app:pw@db/app",
        "mysql+aiomysql://app:pw@db/app",
        "mariadb+aiomysql://app:pw@db/app",
    ],
)
def test_the_drivers_the_app_runs_on_are_accepted(tmp_path: Path, url: str) -> None:
    assert load_settings(tmp_path, database_url=url).database.drivername == url.split(":")[0]


def test_several_bad_settings_are_a_line_each(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, database_url="", database_pool_size=0)
    lines = str(caught.value).splitlines()
    assert [re.sub(":.*", "", line) for line in lines] == ["DATABASE_URL", "DATABASE_POOL_SIZE"]
