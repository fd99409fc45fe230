"""``specbase check``: exit 1 when generated/ is stale or a spec invalid, or when the app
serves something other than the contract."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from specbase.cli.workers import datamodel_worker, project_cache, worker_processes

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser("check", help="exit 1 when generated/ is stale or a spec invalid")
    check.set_defaults(run=run)
    check.add_argument(
        "--no-cache", action="store_true", help="leave .specbase-cache/ alone (same output)"
    )


def run(args: argparse.Namespace) -> int:
    # First: it imports while this one works.
    with datamodel_worker(worker_processes(args)) as datamodel:
        from generator.emit import diff_summary, plan_changes
        from generator.pipeline import render_project

        generated = render_project(args.root, project_cache(args, datamodel), worker=datamodel)
    changes = plan_changes(args.root, generated.files)
    if changes.empty:
        print(f"specbase: generated/ is up to date ({changes.unchanged} files)")
        return _check_served(args.root, generated.contract)
    print("specbase: generated/ is out of date with specs/; run `specbase generate`:",
          file=sys.stderr)  # fmt: skip
    print(diff_summary(generated.files, changes), file=sys.stderr)
    return 1


def _check_served(root: Path, contract: dict[str, Any]) -> int:
    """The running app must serve the contract unchanged (only this project's app can tell)."""
    from specbase.cli.served import served_differences

    differences = served_differences(root, contract)
    if differences is None:
        return 0
    if not differences:
        print("specbase: the app serves the contract unchanged")
        return 0
    print("specbase: the app's served OpenAPI differs from generated/openapi.yaml:",
          file=sys.stderr)  # fmt: skip
    for line in differences:
        print(f"  {line}", file=sys.stderr)
    return 1
