"""``specbase generate``: specs -> contract -> code in generated/, once or on every change.

A run goes to the project's warm server when one answers (see generator.server), else runs
here with a process of its own for datamodel-code-generator.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.generate import generate_once
from specbase.cli.workers import datamodel_worker, project_cache, worker_processes

if TYPE_CHECKING:
    from generator.cache import Cache

__all__ = ["add_parser", "run", "watching"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gen = commands.add_parser("generate", help="specs -> contract -> code in generated/")
    gen.set_defaults(run=run)
    gen.add_argument(
        "--watch", action="store_true", help="generate again whenever a file of specs/ changes"
    )
    gen.add_argument(
        "--no-cache", action="store_true", help="leave .specbase-cache/ alone (same output)"
    )
    gen.add_argument(
        "--no-server", action="store_true", help="run here; neither use nor start a warm server"
    )


def run(args: argparse.Namespace) -> int:
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
        with datamodel_worker(worker_processes(args)) as worker:
            summary = generate_once(args.root, project_cache(args, worker), worker=worker)
        print(f"{summary} ({time.perf_counter() - started:.2f}s)")
    finally:
        if warm:  # for the next run, spec errors or not (see generator.server)
            server.start(args.root)
    return 0


def _watch(args: argparse.Namespace) -> int:
    from generator.cache import Cache
    from generator.pipeline import SPEC_DIR
    from generator.watch import watch

    kept = project_cache(args) or Cache.in_memory()  # --no-cache: a cache as long as the process
    try:
        watch(watching(args.root, kept), args.root / SPEC_DIR)
    except KeyboardInterrupt:
        print("specbase: stopped watching")
    return 0


def watching(root: Path, cache: Cache) -> Callable[[], None]:
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
