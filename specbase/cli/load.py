"""``specbase load``: records imported from JSON files, all or none."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    load = commands.add_parser("load", help="import records from JSON files, all or none")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE.json")
    load.add_argument("--resource", help="the resource of a file holding a plain list")
    load.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.operations.importer import ImportFailure
    from app.loader import load_files

    try:
        for line in asyncio.run(load_files(args.files, args.resource)):
            print(f"specbase: {line}")
    except ImportFailure as exc:
        print(f"specbase: nothing imported from the failing file: {exc}", file=sys.stderr)
        return 1
    return 0
