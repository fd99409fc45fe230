"""``uv run python -m benchmarks.http``: the generated app against hand-written and floor."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.http.databases import DATABASES, DatabaseUnavailable
from benchmarks.http.load import OPERATIONS
from benchmarks.http.runner import Options, run
from benchmarks.http.servers import BenchmarkError

DEFAULT_OUT = Path("benchmarks/results/http.json")


def _names(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    def parse(value: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in value.split(",") if name.strip())
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown) or 'empty list'}; choose among {','.join(allowed)}"
            )
        return names

    return parse


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = kind(value)
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
        return number

    return parse


def _checkout(value: str) -> Path:
    root = Path(value).resolve()
    if not (root / "app" / "main.py").is_file():
        raise argparse.ArgumentTypeError(f"{root} is not a specbase checkout (no app/main.py)")
    return root


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.http",
        description="Requests/s and p99 latency of the generated app, a hand-written "
        "FastAPI + SQLAlchemy app and a raw Starlette floor, on the same database.",
    )
    parser.add_argument("--rounds", type=_positive(int), default=3, help="default: 3")
    parser.add_argument(
        "--duration",
        type=_positive(float),
        default=5.0,
        help="measured seconds per app, operation and round (default: 5)",
    )
    parser.add_argument(
        "--warmup",
        type=_positive(float),
        default=1.0,
        help="seconds of load before each measured interval (default: 1)",
    )
    parser.add_argument("--connections", type=_positive(int), default=32, help="default: 32")
    parser.add_argument(
        "--databases",
        type=_names(DATABASES),
        default=DATABASES,
        help="comma-separated (default: sqlite,postgresql)",
    )
    parser.add_argument(
        "--ops",
        type=_names(OPERATIONS),
        default=OPERATIONS,
        help="comma-separated (default: get,list,create,update)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    parser.add_argument(
        "--baseline",
        type=_checkout,
        help="another checkout of specbase (with `uv sync` run in it): its generated app "
        "takes its turns beside this one's, for a before/after in one run",
    )
    args = parser.parse_args(argv)
    return Options(
        rounds=int(args.rounds),
        duration=args.duration,
        warmup=args.warmup,
        connections=int(args.connections),
        databases=args.databases,
        ops=args.ops,
        out=args.out,
        baseline=args.baseline,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_options(argv)
    try:
        run(options)
    except (BenchmarkError, DatabaseUnavailable) as exc:
        sys.exit(f"benchmark failed: {exc}")


if __name__ == "__main__":
    main()
