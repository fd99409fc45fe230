"""The three apps called in one process, with no server and no sockets: the cost of a
request inside each app, for finding where time goes (``--profile`` writes a cProfile).

The HTTP benchmark measures what a client sees; this measures what the app itself
spends on one request, without uvicorn and the load generator sharing the machine.
It drives each ASGI app with the same requests, one at a time, and prints the wall and
CPU time per request (the CPU includes driver threads, such as aiosqlite's), and the
ratios to the generated app. It runs on SQLite by default
(``--database postgresql`` for a fresh PostgreSQL database).

    uv run python -m benchmarks.http.inprocess --requests 3000 --ops get,list
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson

from benchmarks.http.databases import fresh_database, scratch_directory

__all__ = ["main"]

APPS = {
    "generated": "app.main",
    "handwritten": "benchmarks.http.handwritten",
    "floor": "benchmarks.http.floor",
}
OPERATIONS = ("get", "list", "create", "update")
SEEDED = 2_000
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(
    method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: ASGIApp, method: str, target: str, body: bytes = b"",
               content_type: bytes = b"") -> tuple[int, bytes]:  # fmt: skip
    """One request through ``app``: its status and body."""
    path, _, query = target.partition("?")
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    scope = _scope(method, path, query.encode(), headers if body else [])
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # the client waits: no disconnect while serving
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _requests(op: str, seeded: int) -> Iterator[tuple[str, str, bytes, bytes]]:
    counter = 0
    while True:
        counter += 1
        if op == "get":
            yield "GET", f"/events/{random.randrange(1, seeded + 1)}", b"", b""
        elif op == "list":
            yield "GET", "/events?status=published&limit=20", b"", b""
        elif op == "create":
            body = {"name": f"inproc-{os.getpid()}-{counter}-{random.random()}",
                    "starts_at": "2020-01-01T09:00:00Z", "location": "Lyon",
                    "capacity": 50, "tags": ["bench"]}  # fmt: skip
            yield "POST", "/events", orjson.dumps(body), b"application/json"
        else:
            body = {"capacity": random.randrange(1, 100_000)}
            target = f"/events/{random.randrange(1, seeded + 1)}"
            yield "PATCH", target, orjson.dumps(body), b"application/merge-patch+json"


async def _measure(
    app: ASGIApp, op: str, count: int, expect: int, concurrency: int
) -> tuple[float, float]:
    """Seconds of wall and CPU time per request of ``op``, ``concurrency`` at a time."""
    requests = _requests(op, SEEDED)
    for _ in range(min(200, count)):  # warm: compiled statements, validators
        status, body = await call(app, *next(requests))
        if status != expect:
            raise RuntimeError(f"{op}: answered {status}: {body[:300]!r}")
    batch = [next(requests) for _ in range(count)]

    async def client(share: list[tuple[str, str, bytes, bytes]]) -> None:
        for request in share:
            await call(app, *request)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(batch[i::concurrency]) for i in range(concurrency)))
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


async def _run(args: argparse.Namespace, url: str) -> dict[str, dict[str, tuple[float, float]]]:
    from benchmarks.http.databases import _seed

    results: dict[str, dict[str, tuple[float, float]]] = {}
    async with AsyncExitStack() as stack:
        apps: dict[str, ASGIApp] = {}
        for name in args.apps:
            module = importlib.import_module(APPS[name])
            app = module.app
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps[name] = app
            if name == "generated":
                await _seed(url, SEEDED)  # the generated app created the schema
        expected = {"get": 200, "list": 200, "create": 201, "update": 200}
        for op in args.ops:
            for name, app in apps.items():
                profile = cProfile.Profile() if args.profile and name == "generated" else None
                if profile is not None:
                    profile.enable()
                results.setdefault(op, {})[name] = await _measure(
                    app, op, args.requests, expected[op], args.concurrency
                )
                if profile is not None:
                    profile.disable()
                    profile.dump_stats(f"{args.profile}.{op}.prof")
    return results


def _report(results: dict[str, dict[str, tuple[float, float]]]) -> None:
    for op, by_app in results.items():
        generated = by_app.get("generated")
        for name, (wall, cpu) in by_app.items():
            line = f"{op:7} {name:12} wall {wall * 1e6:7.0f} µs  cpu {cpu * 1e6:7.0f} µs"
            if generated is not None and name != "generated":
                line += f"   generated is {wall / generated[0]:.2f}× faster (wall)"
            sys.stdout.write(line + "\n")


def _event_loop_run(main: Any) -> Any:
    """uvloop when installed, as the servers run."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


@contextmanager
def _environment(url: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(DATABASE_URL=url, BENCH_DATABASE_URL=url, ENVIRONMENT="LOCAL",
                      LOG_LEVEL="WARNING")  # fmt: skip
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--ops", type=lambda s: s.split(","), default=list(OPERATIONS))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--apps", type=lambda s: s.split(","), default=list(APPS))
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--profile", default="", help="write cProfile stats to PREFIX.<op>.prof")
    args = parser.parse_args(argv)
    with scratch_directory() as work, fresh_database(args.database, Path(work)) as url:
        with _environment(url):
            _report(_event_loop_run(_run(args, url)))


if __name__ == "__main__":
    main()
