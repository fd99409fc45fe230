"""``specbase fuzz``: schemathesis over a running server, with every check and phase."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fuzz = commands.add_parser(
        "fuzz",
        help="fuzz a running server with schemathesis: every check, every phase",
        description="Run `schemathesis run generated/openapi.yaml` against a served app with "
        "every check and phase; arguments after -- go to schemathesis unchanged.",
    )
    fuzz.add_argument("--url", default="http://127.0.0.1:8000", help="the served API")
    fuzz.add_argument("--max-examples", type=int, metavar="N", help="test cases per operation")
    fuzz.add_argument("--workers", metavar="N", help="concurrent workers, or auto")
    fuzz.add_argument("--seed", type=int, help="reproduce an earlier run")
    fuzz.add_argument("--duration", type=int, metavar="SECONDS", help="time budget of the run")
    fuzz.add_argument("extra", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    fuzz.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import importlib.util

    from generator.fuzz import FuzzRun, fuzz
    from generator.pipeline import load_project

    if importlib.util.find_spec("schemathesis") is None:
        print("specbase: fuzz needs schemathesis, a dev dependency: run `uv sync`", file=sys.stderr)
        return 1
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    fuzz_run = FuzzRun(
        contract=args.root / "generated" / "openapi.yaml",
        url=args.url,
        max_examples=args.max_examples,
        workers=args.workers,
        seed=args.seed,
        duration=args.duration,
        extra=tuple(extra),
    )
    return fuzz(load_project(args.root), fuzz_run)
