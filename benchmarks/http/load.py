"""A small HTTP/1.1 load generator: keep-alive connections over raw asyncio streams.

It runs in its own process (pinned to its own core by the runner) and prints one
JSON object: requests/s, latency percentiles, and how many answers were not 2xx.
``python -m benchmarks.http.load --port 8000 --op get --duration 5``.

Each connection sends one request at a time and waits for the answer, as wrk does.
Ids are split between connections (connection ``k`` of ``n`` only touches ids with
``id % n == k``) so that two concurrent updates never race for the same row: an
optimistic-lock conflict would be the benchmark's fault, not the app's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "CREATED_STARTS_AT",
    "LIST_PATH",
    "OPERATIONS",
    "LoadResult",
    "request_factory",
    "run_load",
]

OPERATIONS = ("get", "list", "create", "update")
LIST_PATH = "/events?status=published&limit=20"
# Before every seeded event: created rows sort after them in the list (newest first),
# which would otherwise wade through more rows each round before finding 20 published.
CREATED_STARTS_AT = "2020-01-01T09:00:00Z"

RequestFactory = Callable[[], bytes]


@dataclass
class LoadResult:
    """What one connection, or all of them together, measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None

    def add(self, other: LoadResult) -> None:
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error

    def summary(self, seconds: float) -> dict[str, float | int | str | None]:
        """Requests/s over the measured interval and latency percentiles in ms."""
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "errors": self.errors,
            "seconds": seconds,
            "rps": len(ordered) / seconds if seconds > 0 else 0.0,
            "p50_ms": _percentile(ordered, 0.50) * 1000,
            "p99_ms": _percentile(ordered, 0.99) * 1000,
            "first_error": self.first_error,
        }


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _request(method: str, path: str, body: bytes = b"", content_type: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body:
        head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def request_factory(
    op: str, connection: int, connections: int, *, ids: int, tag: str
) -> RequestFactory:
    """The requests of ``op`` as sent by connection number ``connection``."""
    own_ids = range(connection + 1, ids + 1, connections)
    if op == "get":
        return lambda: _request("GET", f"/events/{random.choice(own_ids)}")
    if op == "list":
        fixed = _request("GET", LIST_PATH)
        return lambda: fixed
    if op == "create":
        # (name, starts_at) is unique: every name carries the run's tag and a counter.
        counter = itertools.count()

        def create() -> bytes:
            body = {
                "name": f"{tag}-{connection}-{next(counter)}",
                "starts_at": CREATED_STARTS_AT,
                "location": "Lyon",
                "capacity": 50,
                "tags": ["bench"],
            }
            return _request("POST", "/events", json.dumps(body).encode(), "application/json")

        return create
    if op == "update":

        def update() -> bytes:
            body = json.dumps({"capacity": random.randrange(1, 100_000)}).encode()
            path = f"/events/{random.choice(own_ids)}"
            return _request("PATCH", path, body, "application/merge-patch+json")

        return update
    raise ValueError(f"unknown operation {op!r}; choose among {', '.join(OPERATIONS)}")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of one response, its body read; and whether the server keeps the
    connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep_alive = False
        elif name == "transfer-encoding":
            raise ValueError("chunked responses are not supported by this load generator")
    if length:
        await reader.readexactly(length)
    return status, keep_alive


async def _connection(
    port: int, make_request: RequestFactory, measure_from: float, until: float
) -> LoadResult:
    """Send requests back to back until ``until``; record those started after warm-up."""
    result = LoadResult()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (started := time.perf_counter()) < until:
            writer.write(make_request())
            try:
                status, keep_alive = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                status, keep_alive = 0, False
                result.first_error = result.first_error or f"connection lost: {exc!r}"
            # Every request started in the measured interval counts, even one that ends
            # after it: dropping the slowest answers would flatter the tail.
            if started >= measure_from:
                result.latencies.append(time.perf_counter() - started)
                if not 200 <= status < 300:
                    result.errors += 1
                    result.first_error = result.first_error or f"HTTP {status}"
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return result


async def run_load(
    port: int,
    op: str,
    *,
    duration: float,
    warmup: float,
    connections: int,
    ids: int,
    tag: str,
) -> dict[str, float | int | str | None]:
    """Load ``op`` on 127.0.0.1:``port``; warm up first, then measure for ``duration``."""
    start = time.perf_counter()
    measure_from = start + warmup
    until = measure_from + duration
    tasks = [
        _connection(
            port,
            request_factory(op, k, connections, ids=ids, tag=tag),
            measure_from,
            until,
        )
        for k in range(connections)
    ]
    total = LoadResult()
    for result in await asyncio.gather(*tasks):
        total.add(result)
    return total.summary(duration)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--op", choices=OPERATIONS, required=True)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--ids", type=int, default=10_000, help="rows with ids 1..N exist")
    parser.add_argument("--tag", default="bench", help="makes created names unique")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run one load and write its summary to stdout as JSON."""
    args = _parse_args(argv)
    try:
        import uvloop
    except ImportError:  # the standard loop still works, with more client overhead
        runner: Callable[..., object] = asyncio.run
    else:
        runner = uvloop.run
    summary = runner(
        run_load(
            args.port,
            args.op,
            duration=args.duration,
            warmup=args.warmup,
            connections=args.connections,
            ids=args.ids,
            tag=args.tag,
        )
    )
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
