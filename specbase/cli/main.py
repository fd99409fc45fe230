"""The ``specbase`` entry point: the parser built from the command modules, and ``main``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from specbase.cli import (
    check,
    contract,
    db,
    diff,
    fuzz,
    generate,
    load,
    new,
    serve,
    server,
)

__all__ = ["COMMANDS", "main", "parser"]

# In the order of `specbase --help`.
COMMANDS = (generate, check, server, contract, diff, db, serve, fuzz, load, new)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except Exception as exc:
        from generator.errors import SpecErrors

        if isinstance(exc, SpecErrors):
            from generator.watch import report_problems

            report_problems(exc)
            return 1
        if _report_refusal(exc):
            return 1
        raise
    return code


def _report_refusal(exc: Exception) -> bool:
    """A bad setting (the database URL, say) of a command that reaches the database, or
    models that database cannot keep, is one line each, as at start-up, not a traceback."""
    if "app.config" not in sys.modules:  # nothing read the settings
        return False
    from app.config import SettingsError
    from app.core.data.uniques import UnsupportedSchema

    if not isinstance(exc, SettingsError | UnsupportedSchema):
        return False
    for line in str(exc).splitlines():
        print(f"specbase: {line}", file=sys.stderr)
    return True


def parser() -> argparse.ArgumentParser:
    """The ``specbase`` parser: ``--root``, then each command of :data:`COMMANDS`."""
    built = argparse.ArgumentParser(prog="specbase", description="The ``specbase`` command line.")
    built.add_argument("--root", type=Path, default=Path(), help="project folder (default: .)")
    commands = built.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return built
