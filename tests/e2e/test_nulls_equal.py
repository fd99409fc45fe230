"""`unique: [{fields: [code, warehouse_id], nulls: equal}]`: a null counts as one value.

A copy of the project gets a Sku whose warehouse is optional and whose code is unique
per warehouse, the unplaced ones included. Served by uvicorn (LOCAL: the app makes its
tables), a second unplaced sku with a taken code answers 409 naming both fields, and
50 concurrent creates leave one row, on SQLite and PostgreSQL; MariaDB/MySQL, which
cannot keep it, refuses at start-up and in `db revision` with one line. Autogenerate
makes it (a PostgreSQL constraint, a SQLite partial index) and then sees no change.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from specbase.cli.main import main as specbase
from tests.support.databases import ServerDatabase, server_url
from tests.support.project import copy_project
from tests.support.proxy import free_port

WAREHOUSE = """\
resource: Warehouse
description: A place that holds stock.
fields:
  name: {type: string, minLength: 1, maxLength: 100}
required: [name]
"""
SKU = """\
resource: Sku
description: A stock-keeping unit, in a warehouse or not placed yet.
fields:
  code: {type: string, minLength: 1, maxLength: 40}
required: [code]
unique: [{fields: [code, warehouse_id], nulls: equal}]
relations:
  warehouse: {belongs_to: Warehouse, on_delete: set_null, nullable: true}
"""
REFUSAL = (
    "skus: unique [code, warehouse_id] says `nulls: equal`, which MySQL and MariaDB cannot "
    "keep (a unique key there lets any number of rows hold null); use PostgreSQL or "
    "SQLite, or drop `nulls: equal` from its spec"
)
STARTUP_SECONDS = 120


@pytest.fixture(scope="module")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("nulls-equal"))
    (root / "specs" / "warehouse.yaml").write_text(WAREHOUSE, "utf-8")
    (root / "specs" / "sku.yaml").write_text(SKU, "utf-8")
    assert specbase(["--root", str(root), "generate", "--no-server"]) == 0
    return root


@pytest.fixture
def root(generated_root: Path, tmp_path: Path) -> Path:
    """A copy of the generated project of its own: a test writes revisions into it."""
    return Path(shutil.copytree(generated_root, tmp_path / "project"))


def _env(root: Path, url: str, environment: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return env | {
        "DATABASE_URL": url,
        "ENVIRONMENT": environment,
        "PYTHONPATH": str(root),
        "SECRETS_DIR": str(root / "no-secrets"),
    }


@pytest.fixture
def url(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, with no table: the session's ones hold the example
    project's tables, which autogenerate would compare too."""
    if dialect == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'skus.db'}"
        return
    server = server_url(dialect)
    assert server is not None  # the dialect fixture skipped the test otherwise
    database = ServerDatabase(server, prefix="specbase_nulls")
    database.create()
    try:
        yield database.url_string
    finally:
        database.drop()


@contextmanager
def _served(root: Path, url: str) -> Iterator[httpx.Client]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
    log = root / "uvicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=root, env=_env(root, url, "LOCAL"),
                                   stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _answers(client):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.TransportError:
        return False


async def _create_at_once(base_url: str, body: dict[str, object], times: int) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        answers = await asyncio.gather(*(client.post("/skus", json=body) for _ in range(times)))
    return [answer.status_code for answer in answers]


def _codes(client: httpx.Client) -> list[tuple[str, object]]:
    items = client.get("/skus", params={"limit": 100}).json()["items"]
    return sorted(((item["code"], item["warehouse_id"]) for item in items), key=str)


@pytest.mark.dialects("sqlite", "postgresql")
def test_a_null_counts_as_one_value(root: Path, url: str) -> None:
    with _served(root, url) as client:
        place = client.post("/warehouses", json={"name": "North"}).json()["id"]
        assert client.post("/skus", json={"code": "A"}).status_code == 201
        second = client.post("/skus", json={"code": "A", "warehouse_id": None})
        assert second.status_code == 409, second.text
        assert second.headers["content-type"].startswith("application/problem+json")
        pointers = {error["pointer"] for error in second.json()["errors"]}
        assert pointers == {"/code", "/warehouse_id"}, second.json()
        # A value still differs from null, and from another value.
        assert client.post("/skus", json={"code": "A", "warehouse_id": place}).status_code == 201
        again = client.post("/skus", json={"code": "A", "warehouse_id": place})
        assert again.status_code == 409, again.text
        assert client.post("/skus", json={"code": "B"}).status_code == 201
        # Moving a placed sku out of its warehouse onto a taken (code, null) conflicts too.
        placed = client.post("/skus", json={"code": "B", "warehouse_id": place}).json()
        moved = client.patch(f"/skus/{placed['id']}", json={"warehouse_id": None},
                             headers={"Content-Type": "application/merge-patch+json"})  # fmt: skip
        assert moved.status_code == 409, moved.text

        answers = asyncio.run(_create_at_once(str(client.base_url), {"code": "C"}, 50))
        assert sorted(set(answers)) == [201, 409], answers
        assert answers.count(201) == 1, answers
        expected = [("A", None), ("A", place), ("B", None), ("B", place), ("C", None)]
        assert _codes(client) == sorted(expected, key=str)


@pytest.mark.dialects("mysql")
def test_mariadb_refuses_it_with_one_line(root: Path, url: str) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(free_port())],
        cwd=root, env=_env(root, url, "LOCAL"), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert started.returncode == 1, started
    assert started.stderr.splitlines() == [f"specbase: cannot start: {REFUSAL}"], started.stderr
    revision = _specbase(root, url, "db", "revision", "-m", "skus")
    assert revision.returncode == 1, revision
    assert revision.stderr.splitlines() == [f"specbase: {REFUSAL}"], revision.stderr
    assert not list((root / "migrations" / "versions").glob("*.py"))[1:]  # __init__ only
    (root / "skus.json").write_text('{"skus": [{"code": "A"}]}', "utf-8")
    loaded = _specbase(root, url, "load", "skus.json", environment="LOCAL")  # makes tables
    assert loaded.returncode == 1, loaded
    assert loaded.stderr.splitlines() == [f"specbase: {REFUSAL}"], loaded.stderr


@pytest.mark.dialects("sqlite", "postgresql")
def test_autogenerate_makes_it_then_sees_no_change(root: Path, url: str, dialect: str) -> None:
    for command in (("db", "revision", "-m", "skus"), ("db", "upgrade"), ("db", "check")):
        done = _specbase(root, url, *command)
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    assert "the migrations cover the models" in done.stdout
    (revision,) = [p for p in (root / "migrations" / "versions").glob("*.py") if p.stem[0] != "_"]
    text = revision.read_text("utf-8")
    partial = "uq_skus_code_where_warehouse_id_null"
    if dialect == "postgresql":
        assert "postgresql_nulls_not_distinct=True" in text, text
        assert partial not in text, text
    else:
        assert partial in text, text
        assert "sqlite_where" in text, text
    with _served(root, url) as client:  # the migrated database keeps it as create_all does
        assert client.post("/skus", json={"code": "A"}).status_code == 201
        assert client.post("/skus", json={"code": "A"}).status_code == 409


def _specbase(
    root: Path, url: str, *args: str, environment: str = "DEV"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specbase", *args],
        cwd=root, env=_env(root, url, environment), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
