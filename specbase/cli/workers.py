"""How a one-off ``generate`` or ``check`` runs the generator: the project's cache and the
processes of datamodel-code-generator."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.cache import Cache
    from generator.datamodel_worker import DatamodelWorker

__all__ = ["CORES", "datamodel_worker", "project_cache", "worker_processes"]

CORES = max(1, min(4, os.cpu_count() or 1))


def worker_processes(args: argparse.Namespace) -> int:
    """How many datamodel-code-generator processes a one-off command starts: one per core
    (up to 4) when it will likely make every schema module, with no cache to start from
    (they make parts of the contract at once); else one."""
    from generator.cache import has_cache

    return 1 if not args.no_cache and has_cache(args.root) else CORES


@contextmanager
def datamodel_worker(processes: int) -> Iterator[DatamodelWorker]:
    """A process of its own for datamodel-code-generator, closed on leaving."""
    from generator.datamodel_options import DATAMODEL_OPTIONS
    from generator.datamodel_worker import DatamodelWorker

    worker = DatamodelWorker(DATAMODEL_OPTIONS, processes)
    try:
        yield worker
    finally:
        worker.close()


def project_cache(args: argparse.Namespace, worker: DatamodelWorker | None = None) -> Cache | None:
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
        worker.add_processes(CORES - worker.processes)
    return cache
