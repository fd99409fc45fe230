"""``specbase fuzz`` against ``specbase serve``: schemathesis' own CLI over real HTTP.

The app is served in a subprocess on its own SQLite file; the fuzz run is bounded by
``--max-examples 5`` and a fixed seed, and runs in a temporary folder, where
schemathesis keeps its example database and crash files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.support.proxy import free_port

SPECBASE = str(Path(sys.executable).with_name("specbase"))
STARTUP_SECONDS = 30
FUZZ_SECONDS = 300  # a bound, far above the run's usual half minute


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``specbase serve`` on a free port and a fresh database; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fuzzed.db'}",
        "ENVIRONMENT": "LOCAL",
        "SECRETS_DIR": str(tmp_path / "no-secrets"),
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "serve.log"
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


def test_fuzz_finds_no_failure_in_the_served_app(served: str, tmp_path: Path) -> None:
    command = [SPECBASE, "--root", str(ROOT), "fuzz", "--url", served]
    command += ["--max-examples", "5", "--seed", "1", "--", "--no-color"]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in output, f"{phase} did not pass:\n{output}"
    assert "Failures:" not in output, output
    tested = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tested is not None, output
    assert tested[1] == tested[2], output
    assert int(tested[1]) > 100, output
