"""A served process: SIGTERM lets the request in flight finish, then shuts down cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.proxy import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(
    params=[["-m", "uvicorn", "app.main:app", "--port", "{port}"], ["-m", "app"]],
    ids=["uvicorn", "python-m-app"],
)
def server(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'served.db'}",
        "ENVIRONMENT": "LOCAL",
        "LOG_FORMAT": "json",
        "SECRETS_DIR": str(tmp_path / "none"),
        "PORT": str(port),
    }
    arguments = [part.format(port=port) for part in request.param]
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_up(port, process)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def _wait_until_up(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def test_sigterm_lets_the_request_in_flight_finish(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = server
    body = json.dumps({"name": "in flight", "starts_at": "2027-01-01T00:00:00Z"}).encode()
    head = (
        f"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body[:10])  # the request is now in flight
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert process.poll() is None, "the server quit with a request in flight"
        sock.sendall(body[10:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    # uvicorn re-raises the signal once shut down, so that supervisors see why it ended.
    assert process.wait(15) in (0, -signal.SIGTERM)
    assert process.stderr is not None
    lines = [
        json.loads(line) for line in process.stderr.read().splitlines() if line.startswith("{")
    ]
    messages = [line["message"] for line in lines]
    answered = next(i for i, m in enumerate(messages) if m.startswith("POST /events 201"))
    assert "http client closed" in messages[answered:]
    assert "database engine disposed" in messages[answered:]
