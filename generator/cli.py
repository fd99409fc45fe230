"""The ``specbase`` command line."""

from __future__ import annotations

# Only what every command needs is imported here: a `specbase generate` that a warm server
# answers is done before most of the rest would have loaded (see generator.server).
import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.cache import Cache
    from generator.datamodel_worker import DatamodelWorker
    from generator.emit import OnDisk

__all__ = ["generate_once", "main"]

_STARTER = """\
resource: {name}
description: What a {name} is, in one sentence.
fields:
  title: {{type: string, minLength: 1, maxLength: 200}}
  notes: {{type: [string, "null"], maxLength: 2000}}
required: [title]
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    from app.core.uniques import UnsupportedSchema

    if not isinstance(exc, SettingsError | UnsupportedSchema):
        return False
    for line in str(exc).splitlines():
        print(f"specbase: {line}", file=sys.stderr)
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specbase", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(), help="project folder (default: .)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    gen = commands.add_parser("generate", help="specs -> contract -> code in generated/")
    gen.set_defaults(run=_generate)
    gen.add_argument(
        "--watch", action="store_true", help="generate again whenever a file of specs/ changes"
    )
    check = commands.add_parser("check", help="exit 1 when generated/ is stale or a spec invalid")
    check.set_defaults(run=_check)
    for command in (gen, check):
        command.add_argument(
            "--no-cache", action="store_true", help="leave .specbase-cache/ alone (same output)"
        )
    gen.add_argument(
        "--no-server", action="store_true", help="run here; neither use nor start a warm server"
    )
    server = commands.add_parser("server", help="the warm server of `generate`: status, stop")
    server.add_argument("action", choices=("status", "stop"))
    server.set_defaults(run=_server)
    contract = commands.add_parser("contract", help="write the OpenAPI contract alone")
    contract.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    contract.set_defaults(run=_contract)
    diff = commands.add_parser("diff", help="breaking and other changes between two contracts")
    diff.add_argument("old", type=Path, help="the published contract")
    diff.add_argument("new", type=Path, help="the contract to compare with it")
    diff.set_defaults(run=_diff)
    _add_db_commands(commands)
    serve = commands.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.set_defaults(run=_serve)
    _add_fuzz_command(commands)
    load = commands.add_parser("load", help="import records from JSON files, all or none")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE.json")
    load.add_argument("--resource", help="the resource of a file holding a plain list")
    load.set_defaults(run=_load)
    new = commands.add_parser("new", help="write a starter spec for a new resource")
    new.add_argument("name", help="PascalCase resource name, e.g. Venue")
    new.set_defaults(run=_new)
    return parser


def _add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="schema migrations (Alembic) from the generated models")
    actions = db.add_subparsers(required=True, metavar="ACTION")
    revision = actions.add_parser("revision", help="autogenerate a revision from the models")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=_db, action="revision")
    upgrade = actions.add_parser("upgrade", help="migrate up to REV (default: head)")
    upgrade.add_argument("target", nargs="?", default="head", metavar="REV")
    upgrade.set_defaults(run=_db, action="upgrade")
    downgrade = actions.add_parser("downgrade", help="migrate down to REV (e.g. -1, base)")
    downgrade.add_argument("target", metavar="REV")
    downgrade.set_defaults(run=_db, action="downgrade")
    check = actions.add_parser("check", help="exit 1 when the models have unmigrated changes")
    check.set_defaults(run=_db, action="check")


def _db(args: argparse.Namespace) -> int:
    from app.config import get_settings

    get_settings()  # a bad setting stops here, before Alembic and the models are imported
    from alembic.util.exc import CommandError

    from app.core import migrations

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


def _generate(args: argparse.Namespace) -> int:
    if args.watch:
        return _watch(args)
    started = time.perf_counter()
    from generator import server

    warm = not args.no_server and server.enabled()
    if warm:
        message = {"command": "generate", "cwd": os.getcwd(), "cache": not args.no_cache}
        answer = server.request(args.root, message)
        if answer is not None and "retry" not in answer:
            sys.stdout.write(answer["stdout"])
            sys.stderr.write(answer["stderr"])
            code: int = answer["code"]
            return code
    try:
        # A process of its own for datamodel-code-generator, started first: it imports
        # while this one reads the cache and the specs.
        with _datamodel_worker(_worker_processes(args)) as worker:
            summary = generate_once(args.root, _cache(args, worker), worker=worker)
        print(f"{summary} ({time.perf_counter() - started:.2f}s)")
    finally:
        if warm:  # for the next run, spec errors or not (see generator.server)
            server.start(args.root)
    return 0


def _watch(args: argparse.Namespace) -> int:
    from generator.cache import Cache
    from generator.pipeline import SPEC_DIR
    from generator.watch import watch

    kept = _cache(args) or Cache.in_memory()  # --no-cache: a cache as long as the process
    try:
        watch(_watching(args.root, kept), args.root / SPEC_DIR)
    except KeyboardInterrupt:
        print("specbase: stopped watching")
    return 0


def _watching(root: Path, cache: Cache) -> Callable[[], None]:
    """What ``generate --watch`` runs on each change: generate; after the first run, it
    also warms datamodel-code-generator up in the background (see ``warm_up``), so that
    the first change does not wait for its imports."""
    import threading

    from generator.emit import OnDisk

    warming: list[threading.Thread] = []
    on_disk = OnDisk()

    def generate() -> None:
        import gc

        started = time.perf_counter()
        gc.disable()  # a run frees all it makes: one collection after it, as a server does
        try:
            summary = generate_once(root, cache, save=False, on_disk=on_disk)
            print(f"{summary} ({time.perf_counter() - started:.2f}s)", flush=True)
            cache.save()  # once the summary is out
        finally:
            gc.enable()
            if not warming:
                from generator.render.schemas import warm_up

                warming.append(threading.Thread(target=warm_up, name="specbase-warm-up",
                                                daemon=True))  # fmt: skip
                warming[0].start()

    return generate


def generate_once(
    root: Path,
    cache: Cache | None,
    *,
    worker: DatamodelWorker | None = None,
    save: bool = True,
    on_disk: OnDisk | None = None,
) -> str:
    """Generate once, running datamodel-code-generator in ``worker`` if given (a one-off
    command), else in this process; what changed, in one line. ``save=False`` leaves
    saving the cache to the caller (a server does it once it has answered); a process
    that runs again keeps an ``on_disk`` (see :class:`generator.emit.OnDisk`)."""
    from generator.emit import plan_changes, write_changes
    from generator.pipeline import render_project

    if cache is not None:
        cache.next_run()
    generated = render_project(root, cache, worker=worker)
    for resource in generated.project.resources:
        for warning in resource.warnings:
            print(f"specbase: warning: {warning}", file=sys.stderr)
    changes = plan_changes(root, generated.files, on_disk)
    write_changes(root, generated.files, changes, on_disk)
    if cache is not None and save:
        cache.save()
    return (
        f"specbase: {len(generated.project.resources)} resources; "
        f"{len(changes.created)} created, {len(changes.written)} updated, "
        f"{len(changes.removed)} removed, {changes.unchanged} unchanged"
    )


def _worker_processes(args: argparse.Namespace) -> int:
    """How many datamodel-code-generator processes a one-off command starts: one per core
    (up to 4) when it will likely make every schema module, with no cache to start from
    (they make parts of the contract at once); else one."""
    from generator.cache import has_cache

    return 1 if not args.no_cache and has_cache(args.root) else _CORES


_CORES = max(1, min(4, os.cpu_count() or 1))


@contextmanager
def _datamodel_worker(processes: int) -> Iterator[DatamodelWorker]:
    from generator.datamodel_options import DATAMODEL_OPTIONS
    from generator.datamodel_worker import DatamodelWorker

    worker = DatamodelWorker(DATAMODEL_OPTIONS, processes)
    try:
        yield worker
    finally:
        worker.close()


def _server(args: argparse.Namespace) -> int:
    from generator import server

    answer = server.request(args.root, {"command": args.action})
    if answer is None or "retry" in answer:
        print(f"specbase: no server runs for {args.root.resolve()}")
        return 0 if args.action == "stop" else 1
    sys.stdout.write(answer["stdout"])
    code: int = answer["code"]
    return code


def _cache(args: argparse.Namespace, worker: DatamodelWorker | None = None) -> Cache | None:
    """The project's cache of rendered pieces, unless ``--no-cache`` says otherwise.

    ``generate`` saves it; ``check`` only reads it, since it never writes. A cache that
    holds nothing for this generator (another version made it) leaves every schema module
    to make: ``worker`` then gets a process per core.
    """
    from generator.cache import CACHE_DIR, Cache

    if args.no_cache:
        return None
    cache = Cache(args.root / CACHE_DIR)
    if worker is not None and cache.empty:
        worker.add_processes(_CORES - worker.processes)
    return cache


def _check(args: argparse.Namespace) -> int:
    # First: it imports while this one works.
    with _datamodel_worker(_worker_processes(args)) as datamodel:
        from generator.emit import diff_summary, plan_changes
        from generator.pipeline import render_project

        generated = render_project(args.root, _cache(args, datamodel), worker=datamodel)
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
    from generator.served import served_differences

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


def _contract(args: argparse.Namespace) -> int:
    from generator.pipeline import contract_only

    text = contract_only(args.root)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"specbase: wrote {args.output}")
    return 0


def _diff(args: argparse.Namespace) -> int:
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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Importing the app builds it once here: a bad setting or custom module stops
    # with one clear line before uvicorn starts.
    import app.main  # noqa: F401

    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_config=None,  # the app configures logging: JSON lines with request ids
        access_log=False,  # the app writes its own access line
    )
    return 0


def _add_fuzz_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    fuzz.set_defaults(run=_fuzz)


def _fuzz(args: argparse.Namespace) -> int:
    import importlib.util

    from generator.fuzz import FuzzRun, fuzz
    from generator.pipeline import load_project

    if importlib.util.find_spec("schemathesis") is None:
        print("specbase: fuzz needs schemathesis, a dev dependency: run `uv sync`", file=sys.stderr)
        return 1
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    run = FuzzRun(
        contract=args.root / "generated" / "openapi.yaml",
        url=args.url,
        max_examples=args.max_examples,
        workers=args.workers,
        seed=args.seed,
        duration=args.duration,
        extra=tuple(extra),
    )
    return fuzz(load_project(args.root), run)


def _load(args: argparse.Namespace) -> int:
    import asyncio

    from app.core.importer import ImportFailure
    from app.loader import load_files

    try:
        for line in asyncio.run(load_files(args.files, args.resource)):
            print(f"specbase: {line}")
    except ImportFailure as exc:
        print(f"specbase: nothing imported from the failing file: {exc}", file=sys.stderr)
        return 1
    return 0


def _new(args: argparse.Namespace) -> int:
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
