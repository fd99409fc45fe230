"""Medians over rounds, the ratios the issue's targets are stated in, a table and JSON.

The JSON file's shape (``--out``)::

    {"machine": {...}, "settings": {...},
     "databases": {"sqlite": {"results": {"get": {"generated": {"rps": ..., "p99_ms": ...,
                                                                "errors": 0, "rounds": [...]},
                                                  ...}},
                              "ratios": {"get": {"generated_over_handwritten": ...,
                                                 "generated_over_floor": ...}}},
                   "postgresql": {"skipped": "why"}}}
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.http.servers import BASELINE

__all__ = ["format_table", "machine_info", "summarize", "write_report"]

Measurement = Mapping[str, Any]
_PACKAGES = ("fastapi", "starlette", "sqlalchemy", "pydantic", "uvicorn", "aiosqlite", "asyncpg")
_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The apps whose ratios to the hand-written app and the floor are reported.
_COMPARED = ("generated", BASELINE)
_SHORT = {"generated": "gen", BASELINE: "base"}


def summarize(measurements: Mapping[str, Mapping[str, Sequence[Measurement]]]) -> dict[str, Any]:
    """``{op: {app: [one measurement per round]}}`` as medians, and the ratios."""
    results: dict[str, dict[str, Any]] = {}
    ratios: dict[str, dict[str, float | None]] = {}
    for op, per_app in measurements.items():
        results[op] = {
            app: {
                "rps": statistics.median(m["rps"] for m in rounds),
                "p99_ms": statistics.median(m["p99_ms"] for m in rounds),
                "p50_ms": statistics.median(m["p50_ms"] for m in rounds),
                "errors": sum(m["errors"] for m in rounds),
                "rounds": list(rounds),
            }
            for app, rounds in per_app.items()
        }
        ratios[op] = {
            f"{app}_over_{reference}": _ratio(
                results[op][app]["rps"], results[op][reference]["rps"]
            )
            for app in (name for name in _COMPARED if name in results[op])
            for reference in ("handwritten", "floor")
        }
    return {"results": results, "ratios": ratios}


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def format_table(database: str, summary: Mapping[str, Any], rounds: int) -> str:
    """A plain-text table of one database's summary."""
    width = 21
    apps = list(next(iter(summary["results"].values()), {}))
    compared = [app for app in _COMPARED if app in apps]
    header = f"{'operation':<10}" + "".join(f"{app:>{width}}" for app in apps)
    header += "".join(f"{_SHORT[app] + '/hand':>11}{_SHORT[app] + '/floor':>12}"
                      for app in compared)  # fmt: skip
    lines = [
        f"{_TITLES.get(database, database)}: requests/s and p99 latency, "
        f"median of {rounds} round(s)",
        header,
    ]
    for op, per_app in summary["results"].items():
        cells = "".join(
            f"{per_app[app]['rps']:>9,.0f}/s {per_app[app]['p99_ms']:>7.1f} ms" for app in apps
        )
        ratio = summary["ratios"][op]
        cells += "".join(
            f"{_times(ratio[f'{app}_over_handwritten']):>11}{_times(ratio[f'{app}_over_floor']):>12}"
            for app in compared
        )
        lines.append(f"{op:<10}{cells}")
    errors = {
        f"{app} {op}": per_app[app]["errors"]
        for op, per_app in summary["results"].items()
        for app in apps
        if per_app[app]["errors"]
    }
    if errors:
        lines.append(f"non-2xx answers (counted as errors): {errors}")
    return "\n".join(lines)


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def machine_info(load_tool: str, pinned: bool, server: Mapping[str, str]) -> dict[str, Any]:
    """What the numbers depend on besides the code."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "load_tool": load_tool,
        "server": f"uvicorn, 1 worker, loop {server['loop']}, http {server['http']}",
        "pinned_to_cpus": pinned,
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return platform.processor() or None
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return None


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
