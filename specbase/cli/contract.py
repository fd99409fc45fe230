"""``specbase contract``: the OpenAPI contract alone, to stdout or a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contract = commands.add_parser("contract", help="write the OpenAPI contract alone")
    contract.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    contract.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from generator.pipeline import contract_only

    text = contract_only(args.root)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"specbase: wrote {args.output}")
    return 0
