"""Stage 6, emit: format rendered files, then write only what changed and drop orphans."""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from generator.cache import Cache, fingerprint

__all__ = [
    "Changes",
    "Formatting",
    "OnDisk",
    "diff_summary",
    "format_python",
    "plan_changes",
    "write_changes",
]

GENERATED_DIR = "generated"
_CACHE_KIND = "ruff-formatted"
_RUFF_SETTINGS = (
    "--line-length=100",
    "--target-version=py311",
    "--config=lint.isort.known-first-party=['app','generated','custom','generator']",
)


def format_python(files: Mapping[str, str], cache: Cache | None = None) -> dict[str, str]:
    """Sort imports, drop unused ones and format every ``.py`` file, in one ruff run each."""
    return Formatting(files, cache).result()


class Formatting:
    """``.py`` files being formatted by ruff in the background; :meth:`result` waits.

    A file formats the same whatever files surround it, so with a ``cache`` only files
    whose path and text were never formatted before go to ruff.
    """

    def __init__(self, files: Mapping[str, str], cache: Cache | None = None) -> None:
        self._files = dict(files)
        self._cache = cache
        self._keys: dict[str, str] = {}
        self._done: dict[str, str] = {}
        todo: dict[str, str] = {}
        for path, text in files.items():
            if not path.endswith(".py"):
                continue
            if cache is not None:
                key = self._keys[path] = fingerprint(path, text)
                formatted = cache.get(_CACHE_KIND, key)
                if formatted is not None:
                    self._done[path] = formatted
                    continue
            todo[path] = text
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[dict[str, str]] | None = None
        if todo:  # ruff runs in a subprocess: the thread only waits for it
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="specbase-ruff")
            self._future = self._pool.submit(_ruff, todo)

    def result(self) -> dict[str, str]:
        if self._future is not None and self._pool is not None:
            try:
                fresh = self._future.result()
            finally:
                self._pool.shutdown()
            self._future = self._pool = None
            if self._cache is not None:
                for path, text in fresh.items():
                    self._cache.put(_CACHE_KIND, self._keys[path], text)
            self._done.update(fresh)
        return {**self._files, **self._done}


def _ruff(python: Mapping[str, str]) -> dict[str, str]:
    ruff = find_ruff_bin()
    with tempfile.TemporaryDirectory(prefix="specbase-") as tmp:
        for path, text in python.items():
            target = Path(tmp, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        env = {**os.environ, "RUFF_NO_CACHE": "true"}
        fix = [ruff, "check", "--fix-only", "--select=I,F401,RUF036", "--no-cache", "--isolated"]
        fmt = [ruff, "format", "--no-cache", "--isolated", *_RUFF_SETTINGS[:2]]
        # Run in the folder itself: what counts as first-party never depends on the cwd.
        for command in ([*fix, *_RUFF_SETTINGS, "."], [*fmt, "."]):
            subprocess.run(command, check=True, capture_output=True, env=env, cwd=tmp)
        return {path: Path(tmp, path).read_text(encoding="utf-8") for path in python}


@dataclass
class Changes:
    """What writing ``files`` would do to the ``generated/`` folder on disk."""

    written: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.written or self.created or self.removed)


class OnDisk:
    """What one process last read or wrote of ``generated/``, for the next run to plan with.

    A file whose status (inode, modification time, size) is what it was is not read again.
    As with git's index, a status taken within a second of the file's last change is not
    trusted: another write in the same clock tick could keep it.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int, int], str]] = {}

    def read(self, root: Path, path: str) -> str:
        full = os.path.join(root, path)
        status = _status(full)
        known = self._known.get(path)
        if known is not None and known[0] == status:
            return known[1]
        text = self._read(full)
        self._remember(path, status, text)
        return text

    def wrote(self, root: Path, path: str, text: str) -> None:
        self._remember(path, _status(os.path.join(root, path)), text)

    def forget(self, path: str) -> None:
        self._known.pop(path, None)

    def _remember(self, path: str, status: tuple[int, int, int], text: str) -> None:
        if time.time_ns() - status[1] > _SETTLED_NS:
            self._known[path] = (status, text)
        else:
            self._known.pop(path, None)

    def _read(self, full: str) -> str:
        with open(full, encoding="utf-8") as file:
            return file.read()


_SETTLED_NS = 1_000_000_000


def _status(path: str) -> tuple[int, int, int]:
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns, status.st_size


def plan_changes(root: Path, files: Mapping[str, str], on_disk: OnDisk | None = None) -> Changes:
    """How ``generated/`` differs from ``files``; with ``on_disk``, only the files that
    changed since it last saw them are read."""
    read = (on_disk or OnDisk()).read
    changes = Changes()
    found = _generated_files(root)
    for path, text in sorted(files.items()):
        if path not in found:
            changes.created.append(path)
            continue
        old = read(root, path)
        if old != text:
            changes.written[path] = old
        else:
            changes.unchanged += 1
    changes.removed = sorted(found.difference(files))
    return changes


def _generated_files(root: Path) -> set[str]:
    """Every file under ``generated/`` (bytecode caches aside), as a path from ``root``."""
    found: set[str] = set()
    for folder, subfolders, names in os.walk(root / GENERATED_DIR):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        at = Path(folder).relative_to(root).as_posix()
        found.update(f"{at}/{name}" for name in names)
    return found


def write_changes(
    root: Path, files: Mapping[str, str], changes: Changes, on_disk: OnDisk | None = None
) -> None:
    """Write new and changed files, remove orphans; untouched files keep their mtime.

    Each file is written whole under a temporary name, then renamed over the old one. Many
    files are written by a few threads: creating a file costs about a millisecond on a
    journaling file system, most of it waiting, not computing.
    """
    paths = [*changes.created, *changes.written]
    for parent in {os.path.dirname(os.path.join(root, path)) for path in paths}:
        os.makedirs(parent, exist_ok=True)
    if len(paths) < _WRITERS * 8:
        for path in paths:
            _write(root, path, files[path])
    else:
        with ThreadPoolExecutor(_WRITERS, thread_name_prefix="specbase-write") as pool:
            for _ in pool.map(lambda path: _write(root, path, files[path]), paths):
                pass
    if on_disk is not None:
        for path in paths:
            on_disk.wrote(root, path, files[path])
    emptied: set[Path] = set()
    for path in changes.removed:
        (root / path).unlink()
        emptied.add((root / path).parent)
        if on_disk is not None:
            on_disk.forget(path)
    # Only a folder that lost a file can have become empty; so can the folders above it.
    generated = root / GENERATED_DIR
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        while folder != generated and folder.is_dir():
            if any(p for p in folder.iterdir() if p.name != "__pycache__"):
                break
            for cache in folder.glob("__pycache__"):
                for item in cache.iterdir():
                    item.unlink()
                cache.rmdir()
            folder.rmdir()
            folder = folder.parent


_WRITERS = 4


def _write(root: Path, path: str, text: str) -> None:
    full = os.path.join(root, path)
    tmp = os.path.join(os.path.dirname(full), f".{os.path.basename(full)}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as file:
        file.write(text)
    os.replace(tmp, full)


def diff_summary(files: Mapping[str, str], changes: Changes, max_lines: int = 12) -> str:
    """A readable account of how ``generated/`` differs from what the specs give."""
    lines = []
    for path in changes.created:
        lines.append(f"  missing   {path}")
    for path in changes.removed:
        lines.append(f"  orphan    {path} (no spec produces it)")
    for path, old in changes.written.items():
        diff = list(
            difflib.unified_diff(
                old.splitlines(), files[path].splitlines(), f"{path} (on disk)",
                f"{path} (from specs)", n=1, lineterm="",
            )
        )  # fmt: skip
        lines.append(f"  stale     {path}")
        lines.extend(f"      {line}" for line in diff[:max_lines])
        if len(diff) > max_lines:
            lines.append(f"      ... {len(diff) - max_lines} more diff lines")
    return "\n".join(lines)
