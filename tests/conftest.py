"""Shared fixtures: an app on a clean database of each dialect, and a client running its lifespan.

Every test using ``settings`` (so ``app`` and ``client`` too) runs once per dialect:
on a fresh SQLite file, and on PostgreSQL and MariaDB/MySQL when ``TEST_POSTGRES_URL``
and ``TEST_MYSQL_URL`` name a server (otherwise those runs are skipped, saying so).
A server run uses a database created for the test session and emptied before each
test. ``@pytest.mark.dialects("sqlite")`` keeps a test to the dialects it names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, make_url

from app.config import Settings
from app.main import create_app
from tests.support.databases import (
    DIALECTS,
    FreshDatabase,
    ServerDatabase,
    server_url,
    skip_reason,
)

ROOT = Path(__file__).resolve().parents[1]
# `specbase generate` run by a test never leaves a warm server behind (see generator.server);
# the tests of that server ask for one themselves.
os.environ["SPECBASE_SERVER"] = "off"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dialects(*names): run the test on these dialects only "
        f"(of {', '.join(DIALECTS)}; all of them by default)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One run per dialect of every test that reaches a database through ``dialect``."""
    if "dialect" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("dialects")
    names = marker.args if marker else DIALECTS
    unknown = set(names) - set(DIALECTS)
    if unknown:
        raise pytest.UsageError(f"unknown dialects {sorted(unknown)}; known: {DIALECTS}")
    metafunc.parametrize("dialect", names, indirect=True)


def _server_database(dialect: str) -> Iterator[ServerDatabase]:
    url = server_url(dialect)
    if url is None:
        pytest.skip(skip_reason(dialect))
    database = ServerDatabase(url)
    database.create()
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[ServerDatabase]:
    """This session's database on the PostgreSQL server of ``TEST_POSTGRES_URL``."""
    yield from _server_database("postgresql")


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[ServerDatabase]:
    """This session's database on the MariaDB/MySQL server of ``TEST_MYSQL_URL``."""
    yield from _server_database("mysql")


@pytest.fixture
def dialect(request: pytest.FixtureRequest) -> str:
    """The dialect this run of the test uses: ``sqlite``, ``postgresql`` or ``mysql``;
    a server one is skipped, saying why, when the environment names no server."""
    name: str = request.param
    if name != "sqlite" and server_url(name) is None:
        pytest.skip(skip_reason(name))
    return name


@pytest.fixture
def fresh_database(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> FreshDatabase:
    """Answers the URL of a clean database each time it is called: a new SQLite file,
    or this session's server database, emptied."""
    if dialect == "sqlite":
        files = count()
        return lambda: make_url(f"sqlite+aiosqlite:///{tmp_path / f'test-{next(files)}.db'}")
    database: ServerDatabase = request.getfixturevalue(f"{dialect}_database")

    def emptied() -> URL:
        database.empty()
        return database.url

    return emptied


@pytest.fixture
def database_url(fresh_database: FreshDatabase) -> URL:
    return fresh_database()


@pytest.fixture
def settings(database_url: URL) -> Settings:
    return Settings(database_url=database_url.render_as_string(hide_password=False))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/generator/golden/*/expected/ from the generator's current output",
    )
