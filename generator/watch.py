"""``specbase generate --watch``: generate, then again whenever a file of ``specs/`` changes.

One process keeps datamodel-code-generator imported (about 1.3 s of every cold run),
the rendered pieces cached and the unchanged specs parsed, so a change costs only the
work it causes. A change with problems is reported, nothing is written, and watching
goes on until the next change (or Ctrl-C).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from generator.errors import SpecErrors

__all__ = ["Snapshot", "report_problems", "snapshot", "watch"]

# Every spec file under the folder: its modification time and size.
Snapshot = dict[str, tuple[int, int]]
_SUFFIXES = (".yaml", ".yml", ".json")


def snapshot(spec_dir: Path) -> Snapshot:
    found: Snapshot = {}
    for folder, _, names in os.walk(spec_dir):
        for name in names:
            if not name.endswith(_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # removed while we looked
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def report_problems(exc: SpecErrors) -> None:
    count = len(exc.errors)
    plural = "s" if count != 1 else ""
    print(f"specbase: {count} problem{plural} in the specs; nothing written:", file=sys.stderr)
    for error in exc.errors:
        print(f"  {error}", file=sys.stderr)


def watch(
    generate: Callable[[], None],
    spec_dir: Path,
    *,
    interval: float = 0.05,
    rounds: int | None = None,
    freeze: bool = True,
) -> None:
    """Call ``generate`` now, then after each change of ``spec_dir``.

    The folder is polled every ``interval`` seconds (no dependency, the same on every
    system); a change is acted on once two polls in a row agree, since an editor may
    write a file in several steps. ``rounds`` (for tests) stops after that many calls;
    ``freeze`` (the command's own process) leaves what the first call built out of
    later garbage collections.
    """
    seen = snapshot(spec_dir)
    done = _attempt(generate)
    if freeze:  # it lives as long as the process (see app.main._collector_paused)
        gc.freeze()
    print(f"specbase: watching {spec_dir} (Ctrl-C to stop)", flush=True)
    while rounds is None or done < rounds:
        time.sleep(interval)
        now = snapshot(spec_dir)
        if now == seen:
            continue
        while True:
            time.sleep(interval)
            settled = snapshot(spec_dir)
            if settled == now:
                break
            now = settled
        seen = now
        done += _attempt(generate)


def _attempt(generate: Callable[[], None]) -> int:
    try:
        generate()
    except SpecErrors as exc:
        report_problems(exc)
    sys.stdout.flush()
    return 1
