"""The generation benchmark of issue 7: how generation and start-up times grow with a project.

``uv run python -m benchmarks.generation [--sizes 50,200] [--out FILE]`` writes, for each size,
a synthetic project of N related resources into a temporary folder and measures there, in one run:

- ``generate``: ``specbase generate`` from scratch (no ``generated/``, no cache), a subprocess;
- ``datamodel_codegen``: datamodel-code-generator alone, in a subprocess, on the same input
  document with the same options as the pipeline gives it;
- ``regenerate``: ``specbase generate`` again after one spec changed, a subprocess, as a
  user runs it: the project's warm server (which the previous run left, see
  :mod:`generator.server`) does the work; ``regenerate_local`` is the same with
  ``SPECBASE_SERVER=off``, a fresh process doing it all;
- ``regenerate_watching``: the same change seen by a running ``specbase generate --watch``,
  from the spec written to the summary line printed (polling included);
- ``first_response``: spawning uvicorn on the generated app until ``/health`` first answers 200,
  on a LOCAL SQLite database that a previous spawn brought up to the schema (a restart);
  ``first_response_new_database`` is the same on a new database, whose 200-odd tables
  start-up creates first, and ``first_response_cold`` the very first spawn, which also
  compiles the bytecode.

Every figure is wall time in seconds, the best of ``--rounds`` runs (of at least five
for the two regenerations after a change, which take well under a second each). It prints
a table and writes the figures, the targets and whether each is met to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

__all__ = ["TARGETS", "Target", "main", "run_size", "synthetic_specs", "write_project"]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "generation.json"
STARTUP_TIMEOUT_SECONDS = 60.0
_ON_DELETE = ("cascade", "restrict", "set_null")
_DATAMODEL_SCRIPT = """\
import json, sys
from datamodel_code_generator import generate
with open(sys.argv[1], encoding="utf-8") as source:
    given = json.load(source)
generate(given["document"], **given["options"])
"""


@dataclass(frozen=True)
class Target:
    """A limit of issue 7 for ``size`` resources: ``measure <= limit`` (times ``relative_to``)."""

    measure: str
    limit: float
    relative_to: str | None = None
    size: int = 200

    def check(self, figures: dict[str, float]) -> dict[str, Any]:
        bound = self.limit * (figures[self.relative_to] if self.relative_to else 1.0)
        value = figures[self.measure]
        text = f"{self.measure} <= {self.limit}" + (
            f" x {self.relative_to}" if self.relative_to else " s"
        )
        return {
            "target": text,
            "for_size": self.size,
            "value": value,
            "bound": round(bound, 4),
            "met": value <= bound,
        }


TARGETS = (
    Target("generate", 1.2, relative_to="datamodel_codegen"),
    Target("regenerate", 0.5),
    Target("first_response", 2.0),
)


def _name(index: int) -> str:
    return f"Part{index:03d}"


def synthetic_spec(index: int, count: int) -> dict[str, Any]:
    """Resource ``index`` of ``count``: varied field types, a chain of relations, a few lists."""
    fields: dict[str, Any] = {
        "title": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Its name."},
        "code": {"type": "string", "maxLength": 40, "x-index": True},
        "quantity": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0},
        "starts_at": {"type": "string", "format": "date-time"},
        "state": {"type": "string", "enum": ["draft", "active", "archived"], "default": "draft"},
        "note": {"type": ["string", "null"], "maxLength": 2000},
        "labels": {
            "type": "array",
            "items": {"type": "string", "maxLength": 30},
            "maxItems": 10,
            "default": [],
        },
        "enabled": {"type": "boolean", "default": True},
    }
    if index % 2:
        fields["score"] = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
    if index % 3 == 0:
        fields["day"] = {"type": "string", "format": "date"}
        fields["contact"] = {"type": ["string", "null"], "format": "email", "maxLength": 320}
    relations: dict[str, Any] = {}
    filters: dict[str, list[str]] = {
        "title": ["eq", "icontains"],
        "quantity": ["gte", "lte"],
        "state": ["eq", "in"],
    }
    if index > 0:  # a chain: each part belongs to the one before it
        on_delete = _ON_DELETE[index % len(_ON_DELETE)]
        parent: dict[str, Any] = {"belongs_to": _name(index - 1), "on_delete": on_delete}
        if on_delete == "set_null":
            parent["nullable"] = True
        relations["parent"] = parent
        filters["parent_id"] = ["eq"]
    if index + 1 < count and index % 2 == 0:
        relations["children"] = {"has_many": _name(index + 1)}
    if index % 10 == 2:
        relations["peers"] = {"many_to_many": _name(index - 2)}
    if index % 10 == 0 and index + 2 < count:
        relations["peered_by"] = {"many_to_many": _name(index + 2)}
    spec: dict[str, Any] = {
        "resource": _name(index),
        "description": f"Synthetic resource number {index} of the generation benchmark.",
        "fields": fields,
        "required": ["title", "starts_at"],
    }
    if relations:
        spec["relations"] = relations
    spec["list"] = {
        "filters": filters,
        "sort": ["title", "quantity", "starts_at"],
        "default_sort": "-starts_at",
        "max_limit": 100,
    }
    return spec


def synthetic_specs(count: int) -> dict[str, str]:
    """``{file name: YAML}`` of ``count`` related resources."""
    return {
        f"part{index:03d}.yaml": yaml.safe_dump(synthetic_spec(index, count), sort_keys=False)
        for index in range(count)
    }


def write_project(root: Path, count: int) -> Path:
    """A project of ``count`` resources in ``root``: its specs, the runtime, no custom code."""
    (root / "specs").mkdir(parents=True)
    for name, text in synthetic_specs(count).items():
        (root / "specs" / name).write_text(text, encoding="utf-8")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "app", root / "app", ignore=ignore)
    # An empty custom package of its own: the repository's would name unknown resources.
    (root / "custom").mkdir()
    (root / "custom" / "__init__.py").write_text("", encoding="utf-8")
    return root


def _environment(root: Path, *, server: bool = False) -> dict[str, str]:
    """The project's own app, generated and custom packages come before the repository's.
    A ``specbase generate`` uses (and leaves) a warm server only when ``server`` says so."""
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "ENVIRONMENT": "LOCAL",
        "DATABASE_URL": f"sqlite+aiosqlite:///{root / 'bench.db'}",
        "PYTHONDONTWRITEBYTECODE": "",
        "SPECBASE_SERVER": "on" if server else "off",
    }


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _run(root: Path, *args: str, server: bool = False) -> subprocess.CompletedProcess[str]:
    environ = _environment(root, server=server)
    done = subprocess.run(args, cwd=root, env=environ, capture_output=True, text=True, check=False)
    if done.returncode != 0 and args[-2:] != ("server", "status"):
        output = done.stdout + done.stderr
        raise RuntimeError(f"{' '.join(args)} failed with {done.returncode}:\n{output}")
    return done


def _specbase(root: Path, *args: str, server: bool = False) -> subprocess.CompletedProcess[str]:
    return _run(root, sys.executable, "-m", "specbase", "--root", ".", *args, server=server)


def _generate(root: Path, *, server: bool = False) -> float:
    return _timed(lambda: _specbase(root, "generate", server=server))


def _from_scratch(root: Path) -> float:
    for leftover in ("generated", ".specbase-cache"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    return _generate(root)


def _datamodel_codegen(root: Path, work: Path) -> float:
    """datamodel-code-generator alone, given exactly what the pipeline gives it."""
    from generator.pipeline import load_project, project_contract
    from generator.render.schemas import datamodel_input

    project = load_project(root)
    document, options = datamodel_input(project_contract(project), project)
    given = work / "datamodel-input.json"
    given.write_text(json.dumps({"document": document, "options": options}), encoding="utf-8")
    return _timed(lambda: _run(root, sys.executable, "-c", _DATAMODEL_SCRIPT, str(given)))


def _change_one_spec(root: Path, count: int) -> None:
    """A new bound on a field of the resource in the middle of the chain."""
    path = root / "specs" / f"part{count // 2:03d}.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["fields"]["quantity"]["maximum"] += 1
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def _regenerate_served(root: Path, count: int, rounds: int) -> float:
    """``specbase generate`` after one spec changed, with the server a first run left."""
    _generate(root, server=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while _specbase(root, "server", "status", server=True).returncode != 0:  # starting
            if time.monotonic() > deadline:
                raise RuntimeError("the warm server of specbase generate did not start")
            time.sleep(0.05)
        best = float("inf")
        for _ in range(rounds):
            _change_one_spec(root, count)
            started = time.perf_counter()
            done = _specbase(root, "generate", server=True)
            best = min(best, time.perf_counter() - started)
            if "warm server" not in done.stdout:
                raise RuntimeError(f"the run was not served: {done.stdout}")
        return best
    finally:
        _specbase(root, "server", "stop", server=True)


def _regenerate_watching(root: Path, count: int, rounds: int) -> float:
    """Seconds from a spec written to ``generate --watch`` reporting it regenerated."""
    command = [sys.executable, "-u", "-m", "specbase", "--root", ".", "generate", "--watch"]
    process = subprocess.Popen(
        command, cwd=root, env=_environment(root), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        _read_until(process, "specbase: watching")
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            _change_one_spec(root, count)
            _read_until(process, "specbase: ")
            best = min(best, time.perf_counter() - started)
            time.sleep(0.2)  # the next change gets a modification time of its own
        return best
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def _read_until(process: subprocess.Popen[str], prefix: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(prefix):
            return line
    raise RuntimeError(f"generate --watch exited with {process.wait()} before {prefix!r}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _first_response(root: Path, *, keep_database: bool = False) -> float:
    """Spawn uvicorn on the project's app; seconds until ``/health`` first answers 200.

    The database is removed after, unless ``keep_database``: the next spawn finds it.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}/health"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = root / "uvicorn.log"
    with log.open("wb") as output, httpx.Client(timeout=1.0) as client:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=root, env=_environment(root), stdout=output, stderr=subprocess.STDOUT
        )
        try:
            while time.perf_counter() - started < STARTUP_TIMEOUT_SECONDS:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"uvicorn exited with {process.returncode}:\n"
                        f"{log.read_text(errors='replace')}"
                    )
                try:
                    if client.get(url).status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
            raise RuntimeError(f"no answer from {url} in {STARTUP_TIMEOUT_SECONDS}s")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if not keep_database:
                (root / "bench.db").unlink(missing_ok=True)


def run_size(count: int, rounds: int = 1) -> dict[str, Any]:
    """Every measurement for a project of ``count`` resources; the best of ``rounds`` each."""
    with tempfile.TemporaryDirectory(prefix=f"specbase-bench-{count}-") as tmp:
        work = Path(tmp)
        root = write_project(work / "project", count)
        best: dict[str, float] = {}

        def keep(name: str, seconds: float) -> None:
            best[name] = min(seconds, best.get(name, seconds))

        for _ in range(rounds):  # alternating, so that a slow moment hurts both alike
            keep("datamodel_codegen", _datamodel_codegen(root, work))
            keep("generate", _from_scratch(root))
        for _ in range(rounds):
            _change_one_spec(root, count)
            keep("regenerate_local", _generate(root))
        keep("regenerate", _regenerate_served(root, count, max(5, rounds)))
        keep("regenerate_watching", _regenerate_watching(root, count, max(5, rounds)))
        keep("first_response_cold", _first_response(root))
        for _ in range(rounds):
            keep("first_response_new_database", _first_response(root))
        _first_response(root, keep_database=True)  # the database a restart finds
        for _ in range(rounds):
            keep("first_response", _first_response(root, keep_database=True))
        files = sum(
            1
            for p in (root / "generated").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        )
    figures = {name: round(seconds, 4) for name, seconds in best.items()}
    return {
        "resources": count,
        "generated_files": files,
        "seconds": figures,
        "targets": [target.check(figures) for target in TARGETS],
    }


def _table(results: Sequence[dict[str, Any]]) -> str:
    names = list(results[0]["seconds"]) if results else []
    lines = [f"{'seconds':<22}" + "".join(f"{r['resources']:>12}" for r in results)]
    for name in names:
        lines.append(f"{name:<22}" + "".join(f"{r['seconds'][name]:>12.3f}" for r in results))
    lines.append("")
    for result in results:
        for target in result["targets"]:
            verdict = "met" if target["met"] else "MISSED"
            lines.append(
                f"{result['resources']:>4} resources: {target['target']:<44} "
                f"{target['value']:8.3f} vs {target['bound']:8.3f}  {verdict}"
            )
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="50,200", help="resource counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    results = []
    for count in sizes:
        sys.stdout.write(f"generation benchmark: {count} resources...\n")
        sys.stdout.flush()
        results.append(run_size(count, max(1, args.rounds)))
    report = {
        "benchmark": "generation",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "rounds": max(1, args.rounds),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(_table(results))
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
