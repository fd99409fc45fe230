"""``specbase diff``: the breaking and other changes between two contracts; exit 1 when
one breaks, 2 when a contract cannot be read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = commands.add_parser("diff", help="breaking and other changes between two contracts")
    diff.add_argument("old", type=Path, help="the published contract")
    diff.add_argument("new", type=Path, help="the contract to compare with it")
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from generator.diff import diff_contracts, load_document

    try:
        old, new = load_document(args.old), load_document(args.new)
    except (OSError, ValueError) as exc:
        print(f"specbase: {exc}", file=sys.stderr)
        return 2
    changes = diff_contracts(old, new)
    for change in changes:
        print(change)
    breaking = sum(change.breaking for change in changes)
    print(f"specbase: {len(changes)} changes, {breaking} breaking")
    return 1 if breaking else 0
