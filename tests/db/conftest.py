"""A served copy of the project whose specs hold every field type, on each dialect.

The example resources lack booleans, numbers, dates, UUIDs, objects, unbounded text,
long strings, UUID ids and restrict or set-null relations. A copy of the project gets three more
specs (``Owner``, ``Sample``, ``Note``) and ``specbase generate``; uvicorn serves it in a
subprocess per dialect (the copy's ``generated`` package cannot share this process),
on a database of its own, emptied before each test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from specbase.cli.main import main as specbase
from tests.support.databases import (
    Database,
    ServerDatabase,
    SQLiteFile,
    server_url,
    skip_reason,
)
from tests.support.project import copy_project
from tests.support.proxy import free_port

OWNER_SPEC = """\
resource: Owner
description: Who samples belong to; its id is a UUID.
id: uuid
fields:
  name: {type: string, minLength: 1, maxLength: 50, x-unique: true}
  motto: {type: [string, "null"], maxLength: 672, x-unique: true}
required: [name]
relations:
  samples: {has_many: Sample}
list:
  default_sort: name
"""
SAMPLE_SPEC = """\
resource: Sample
description: One field of every type.
fields:
  title: {type: string, minLength: 1, maxLength: 40, x-unique: true}
  body: {type: string}
  kind: {type: string, enum: [small, Large], default: small}
  count: {type: integer}
  score: {type: integer, minimum: 0, maximum: 10}
  ratio: {type: number}
  active: {type: boolean, default: true}
  born_on: {type: string, format: date}
  starts_at: {type: string, format: date-time}
  token: {type: string, format: uuid}
  email: {type: string, format: email}
  homepage: {type: string, format: uri}
  labels: {type: array, items: {type: string, maxLength: 10}, maxItems: 3}
  extra: {type: object}
  nickname: {type: [string, "null"], maxLength: 30, x-unique: true}
required: [title, count, starts_at]
relations:
  owner: {belongs_to: Owner, on_delete: restrict}
  notes: {has_many: Note}
list:
  default_sort: title
  max_limit: 100
"""
NOTE_SPEC = """\
resource: Note
description: A note about a sample, kept when the sample goes.
fields:
  text: {type: string, minLength: 1, maxLength: 100}
  draft: {type: [string, "null"], maxLength: 9000}
  final: {type: [string, "null"], maxLength: 9000}
required: [text]
relations:
  sample: {belongs_to: Sample, on_delete: set_null, nullable: true}
"""
STARTUP_SECONDS = 60


@pytest.fixture(scope="session")
def kitchen_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project copy with the three specs added and generated."""
    root = copy_project(tmp_path_factory.mktemp("kitchen"))
    for name, spec in (("owner", OWNER_SPEC), ("sample", SAMPLE_SPEC), ("note", NOTE_SPEC)):
        (root / "specs" / f"{name}.yaml").write_text(spec, encoding="utf-8")
    # With no revision, LOCAL creates every table the models name, the new ones too.
    for revision in (root / "migrations" / "versions").glob("*.py"):
        if revision.name != "__init__.py":
            revision.unlink()
    assert specbase(["--root", str(root), "generate"]) == 0
    return root


class KitchenServers:
    """One served copy per dialect, started on first use and stopped at the end."""

    def __init__(self, root: Path, tmp_path: Path) -> None:
        self.root = root
        self.tmp_path = tmp_path
        self._served: dict[str, tuple[Database, subprocess.Popen[bytes], httpx2.Client]] = {}
        self._servers: list[ServerDatabase] = []

    def client(self, dialect: str) -> httpx2.Client:
        """A client of the copy served on ``dialect``, its database emptied."""
        if dialect not in self._served:
            self._served[dialect] = self._serve(dialect)
        database, _, client = self._served[dialect]
        database.empty()
        return client

    def _serve(self, dialect: str) -> tuple[Database, subprocess.Popen[bytes], httpx2.Client]:
        database = self._database(dialect)
        port = free_port()
        log = self.tmp_path / f"uvicorn-{dialect}.log"
        env = {
            **os.environ,
            "PYTHONPATH": str(self.root),
            "DATABASE_URL": database.url.render_as_string(hide_password=False),
            "ENVIRONMENT": "LOCAL",
            "SECRETS_DIR": str(self.tmp_path / "no-secrets"),
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
                cwd=self.root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        try:
            _wait_until_serving(process, client, log)
        except BaseException:
            client.close()
            _stop(process)
            raise
        return database, process, client

    def _database(self, dialect: str) -> Database:
        if dialect == "sqlite":
            return SQLiteFile(self.tmp_path / "kitchen.db")
        url = server_url(dialect)
        if url is None:
            pytest.skip(skip_reason(dialect))
        database = ServerDatabase(url, prefix="specbase_kitchen")
        database.create()
        self._servers.append(database)
        return database

    def close(self) -> None:
        for _, process, client in self._served.values():
            client.close()
            _stop(process)
        for database in self._servers:
            database.drop()


def _wait_until_serving(process: subprocess.Popen[bytes], client: httpx2.Client, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the kitchen app exited with {process.returncode}:\n{log.read_text()}")
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.1)
    pytest.fail(f"the kitchen app did not answer in {STARTUP_SECONDS}s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def kitchen_servers(
    kitchen_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KitchenServers]:
    servers = KitchenServers(kitchen_project, tmp_path_factory.mktemp("kitchen-served"))
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def samples(dialect: str, kitchen_servers: KitchenServers) -> httpx2.Client:
    """A client of the every-type copy served on ``dialect``, on an empty database."""
    return kitchen_servers.client(dialect)
