"""``specbase new``: a starter spec for a new resource."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]

_STARTER = """\
resource: {name}
description: What a {name} is, in one sentence.
fields:
  title: {{type: string, minLength: 1, maxLength: 200}}
  notes: {{type: [string, "null"], maxLength: 2000}}
required: [title]
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    new = commands.add_parser("new", help="write a starter spec for a new resource")
    new.add_argument("name", help="PascalCase resource name, e.g. Venue")
    new.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from generator.naming import snake_case

    name: str = args.name
    if not name.isidentifier() or not name[0].isupper():
        print(f"specbase: {name!r} is not a PascalCase name (like Venue)", file=sys.stderr)
        return 1
    path = args.root / "specs" / f"{snake_case(name)}.yaml"
    if path.exists():
        print(f"specbase: {path} already exists", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_STARTER.format(name=name), encoding="utf-8")
    print(f"specbase: wrote {path}; edit it, then run `specbase generate`")
    return 0
