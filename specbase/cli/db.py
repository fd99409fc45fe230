"""``specbase db``: schema migrations (Alembic) from the generated models."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="schema migrations (Alembic) from the generated models")
    actions = db.add_subparsers(required=True, metavar="ACTION")
    revision = actions.add_parser("revision", help="autogenerate a revision from the models")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=run, action="revision")
    upgrade = actions.add_parser("upgrade", help="migrate up to REV (default: head)")
    upgrade.add_argument("target", nargs="?", default="head", metavar="REV")
    upgrade.set_defaults(run=run, action="upgrade")
    downgrade = actions.add_parser("downgrade", help="migrate down to REV (e.g. -1, base)")
    downgrade.add_argument("target", metavar="REV")
    downgrade.set_defaults(run=run, action="downgrade")
    check = actions.add_parser("check", help="exit 1 when the models have unmigrated changes")
    check.set_defaults(run=run, action="check")


def run(args: argparse.Namespace) -> int:
    from app.config import get_settings

    get_settings()  # a bad setting stops here, before Alembic and the models are imported
    from alembic.util.exc import CommandError

    from app.core.data import migrations

    config = migrations.migration_config(args.root.resolve())
    try:
        if args.action == "revision":
            migrations.revision(config, args.message)
        elif args.action == "upgrade":
            migrations.upgrade(config, args.target)
        elif args.action == "downgrade":
            migrations.downgrade(config, args.target)
        elif (missing := migrations.check(config)) is not None:
            print(f"specbase: the models have changes no migration covers: {missing}",
                  file=sys.stderr)  # fmt: skip
            print("specbase: run `specbase db revision -m MESSAGE`", file=sys.stderr)
            return 1
        else:
            print("specbase: the migrations cover the models")
    except CommandError as exc:
        print(f"specbase: {exc}", file=sys.stderr)
        return 1
    return 0
