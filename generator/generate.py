"""The generate use case: render the project, then write what changed to disk.

A one-off ``specbase generate``, a watcher and the warm server (:mod:`generator.serving`)
all run it; it imports the pipeline only when called, so that importing it costs nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.cache import Cache
    from generator.datamodel_worker import DatamodelWorker
    from generator.emit import OnDisk

__all__ = ["generate_once"]


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
