"""``specbase fuzz`` against ``specbase serve``: schemathesis' own CLI over real HTTP.

The example project is served in a subprocess on a database of its own, on SQLite,
PostgreSQL and MariaDB (the servers the environment names; skipped without them); the
fuzz run is bounded by ``--max-examples`` and a fixed seed (tests/support/fuzzing.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.databases import ServerDatabase, server_url
from tests.support.fuzzing import SPECBASE, fuzz_without_failure
from tests.support.proxy import free_port

STARTUP_SECONDS = 30
# A call to a server database costs more: fewer examples of the same seed there.
EXAMPLES = {"sqlite": 5, "postgresql": 3, "mysql": 3}


@pytest.fixture
def served(dialect: str, tmp_path: Path) -> Iterator[str]:
    """``specbase serve`` on a free port and a fresh database; its base URL."""
    database: ServerDatabase | None = None
    if dialect == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fuzzed.db'}"
    else:
        database = ServerDatabase(server_url(dialect) or "", prefix="specbase_fuzz")
        database.create()
        url = database.url_string
    try:
        with _serving(url, tmp_path) as base_url:
            yield base_url
    finally:
        if database is not None:
            database.drop()


@contextmanager
def _serving(database_url: str, folder: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "LOCAL",
        "SECRETS_DIR": str(folder / "no-secrets"),
        "LOG_LEVEL": "WARNING",
    }
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [SPECBASE, "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"specbase serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"specbase serve did not answer in {STARTUP_SECONDS}s:\n{log.read_text()}")


def test_fuzz_finds_no_failure_in_the_served_app(served: str, dialect: str, tmp_path: Path) -> None:
    output = fuzz_without_failure(ROOT, served, tmp_path, examples=EXAMPLES[dialect], seed=1)
    tested = re.search(r"(\d+) generated", output)
    assert tested is not None, output
    assert int(tested[1]) > 100, output
