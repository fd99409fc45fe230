"""One run: for each database, start the three apps, seed, verify, then measure.

The apps take turns: every round loads each operation on each app in turn, and the
order of the apps rotates from round to round, so that a slow moment of the machine
does not always fall on the same app. Medians over the rounds are reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.http.databases import (
    SEED_ROWS,
    DatabaseUnavailable,
    fresh_database,
    scratch_directory,
    seed,
)
from benchmarks.http.report import format_table, machine_info, summarize, write_report
from benchmarks.http.servers import (
    CLIENT_CPU,
    PROJECT_ROOT,
    BenchmarkError,
    Server,
    can_pin,
    pinned,
    running_servers,
    server_options,
)
from benchmarks.http.verify import verify_servers

__all__ = ["LOAD_TOOL", "Options", "run"]

LOAD_TOOL = "python asyncio keep-alive client (benchmarks/http/load.py), one process"

Measurements = dict[str, dict[str, list[dict[str, Any]]]]


@dataclass(frozen=True)
class Options:
    """What the command line chose."""

    rounds: int
    duration: float
    warmup: float
    connections: int
    databases: tuple[str, ...]
    ops: tuple[str, ...]
    out: Path
    # Another checkout (say, main before a change) whose generated app takes its turns
    # beside this one's: a before/after comparison within one run.
    baseline: Path | None = None


def say(message: str) -> None:
    """Progress, on stderr: stdout is kept for the tables."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run(options: Options) -> dict[str, Any]:
    """Benchmark every database asked for, print a table for each, write the JSON file."""
    report: dict[str, Any] = {
        "machine": machine_info(LOAD_TOOL, can_pin(), server_options()),
        "settings": {
            "rounds": options.rounds,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "connections": options.connections,
            "seeded_rows": SEED_ROWS,
            "ops": list(options.ops),
        },
        "databases": {},
    }
    if not can_pin():
        say("taskset or a second CPU is missing: servers and client run unpinned")
    for kind in options.databases:
        try:
            summary = _run_database(kind, options)
        except DatabaseUnavailable as exc:
            say(f"[{kind}] skipped: {exc}")
            report["databases"][kind] = {"skipped": str(exc)}
            continue
        report["databases"][kind] = summary
        sys.stdout.write("\n" + format_table(kind, summary, options.rounds) + "\n")
    write_report(options.out, report)
    say(f"written to {options.out}")
    return report


def _run_database(kind: str, options: Options) -> dict[str, Any]:
    with scratch_directory() as scratch, fresh_database(kind, Path(scratch)) as url:
        say(f"[{kind}] starting the apps")
        with running_servers(url, Path(scratch), options.baseline) as servers:
            seed(url)
            verify_servers(servers, list(options.ops))
            say(f"[{kind}] {SEED_ROWS:,} events seeded; every app answers correctly")
            measurements = _measure(kind, servers, options)
    return summarize(measurements)


def _measure(kind: str, servers: Mapping[str, Server], options: Options) -> Measurements:
    names = list(servers)
    measurements: Measurements = {op: {name: [] for name in names} for op in options.ops}
    for index in range(options.rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for op in options.ops:
            for name in order:
                tag = f"{name}-{os.getpid()}-{index}"
                result = _load(servers[name], op, options, tag)
                measurements[op][name].append(result)
                error = f", {result['errors']} errors ({result['first_error']})"
                say(
                    f"[{kind}] round {index + 1}/{options.rounds} {op:<6} {name:<11} "
                    f"{result['rps']:>8,.0f} req/s  p99 {result['p99_ms']:7.1f} ms"
                    f"{error if result['errors'] else ''}"
                )
    return measurements


def _load(server: Server, op: str, options: Options, tag: str) -> dict[str, Any]:
    """One measured interval, by the load generator in its own process."""
    command = [
        sys.executable, "-m", "benchmarks.http.load",
        "--port", str(server.port), "--op", op,
        "--duration", str(options.duration), "--warmup", str(options.warmup),
        "--connections", str(options.connections), "--ids", str(SEED_ROWS), "--tag", tag,
    ]  # fmt: skip
    completed = subprocess.run(
        pinned(command, CLIENT_CPU),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=options.warmup + options.duration + 60,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"the load generator failed on {server.name} {op}:\n{completed.stderr}"
        )
    if server.process.poll() is not None:
        raise BenchmarkError(f"the {server.name} app died during {op}:\n{server.log_tail()}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result
