"""The three apps under test, each served by its own uvicorn process.

The servers share core 0 and the load generator gets core 1 (``taskset``), so that
the client never steals the server's CPU; without ``taskset`` or a second core the
processes run unpinned and the report says so.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "APPS",
    "BASELINE",
    "CLIENT_CPU",
    "PROJECT_ROOT",
    "SERVER_CPU",
    "BenchmarkError",
    "Server",
    "can_pin",
    "pinned",
    "running_servers",
    "server_options",
    "start_server",
    "stop_server",
    "wait_until_ready",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVER_CPU = 0
CLIENT_CPU = 1

# Name in the report -> what uvicorn serves.
APPS: Mapping[str, str] = {
    "generated": "app.main:app",
    "handwritten": "benchmarks.http.handwritten:app",
    "floor": "benchmarks.http.floor:app",
}


# Served from another checkout with ``--baseline``: its generated app, beside this one's.
BASELINE = "baseline"


class BenchmarkError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


@dataclass(frozen=True)
class Server:
    """One running app: its name in the report, its port, and where its output goes."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def can_pin() -> bool:
    """Whether servers and client can have a core each."""
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(command: list[str], cpu: int) -> list[str]:
    """``command`` bound to one CPU when that is possible."""
    return ["taskset", "-c", str(cpu), *command] if can_pin() else command


def server_options() -> dict[str, str]:
    """uvicorn's fastest event loop and HTTP parser, when installed."""
    has = importlib.util.find_spec
    return {
        "loop": "uvloop" if has("uvloop") else "asyncio",
        "http": "httptools" if has("httptools") else "h11",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str) -> dict[str, str]:
    """The generated app reads its settings; the other two read BENCH_DATABASE_URL."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": database_url,
        # LOCAL brings the schema up to date at start-up: the first server creates it.
        "ENVIRONMENT": "LOCAL",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def baseline_python(root: Path) -> str:
    """The Python a baseline checkout runs with: its own virtual environment's, when it has
    one (``uv sync`` there), so that it imports its own code and packages."""
    python = root / ".venv" / "bin" / "python"
    return str(python) if python.exists() else sys.executable


def start_server(
    name: str, database_url: str, log_dir: Path, baseline: Path | None = None
) -> Server:
    """Spawn ``name`` under uvicorn (1 worker, no access log) on a free loopback port; the
    baseline is the generated app of the checkout at ``baseline``."""
    port = _free_port()
    options = server_options()
    python, root, target = sys.executable, PROJECT_ROOT, APPS.get(name)
    if name == BASELINE:
        if baseline is None:
            raise BenchmarkError("the baseline app needs --baseline, a checkout to serve")
        python, root, target = baseline_python(baseline), baseline, APPS["generated"]
    assert target is not None, name
    command = [
        python, "-m", "uvicorn", target,
        "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning",
        "--loop", options["loop"], "--http", options["http"],
    ]  # fmt: skip
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            pinned(command, SERVER_CPU),
            cwd=root,
            env=_environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(name=name, port=port, process=process, log=log)


def wait_until_ready(server: Server, timeout: float = 60.0) -> None:
    """Return once ``/health`` answers; fail with the server's output if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(
                f"the {server.name} app exited with code {server.process.returncode}:\n"
                f"{server.log_tail()}"
            )
        try:
            httpx.get(f"{server.base_url}/health", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise BenchmarkError(f"the {server.name} app did not answer within {timeout:.0f} s")


def stop_server(server: Server) -> None:
    """Ask the server to shut down (its lifespan closes the pool), then insist."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running_servers(
    database_url: str, log_dir: Path, baseline: Path | None = None
) -> Iterator[dict[str, Server]]:
    """Every app running on ``database_url`` (and the baseline checkout's generated app,
    when there is one), stopped on the way out.

    The generated app starts first (in LOCAL, it creates the schema); the others only
    touch the table once requests come.
    """
    servers: dict[str, Server] = {}
    names = [*APPS, BASELINE] if baseline is not None else list(APPS)
    with ExitStack() as stack:
        for name in names:
            server = start_server(name, database_url, log_dir, baseline)
            stack.callback(stop_server, server)
            wait_until_ready(server)
            servers[name] = server
        yield servers
