"""``specbase server``: the status of the warm server of ``generate``, or stopping it."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    server = commands.add_parser("server", help="the warm server of `generate`: status, stop")
    server.add_argument("action", choices=("status", "stop"))
    server.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from generator import server

    answer = server.request(args.root, {"command": args.action})
    if answer is None or "retry" in answer:
        print(f"specbase: no server runs for {args.root.resolve()}")
        return 0 if args.action == "stop" else 1
    sys.stdout.write(answer["stdout"])
    code: int = answer["code"]
    return code
