"""Helpers shared by the generator tests: tmp projects, spec errors and cached renders."""

from __future__ import annotations

import functools
import os
import re
import shutil
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from generator.errors import SpecError, SpecErrors
from generator.pipeline import Generated, load_project, render_project

__all__ = [
    "GOLDEN",
    "OLD_MTIME_NS",
    "ROOT",
    "age_files",
    "copy_project",
    "mtimes",
    "render",
    "spec_errors",
    "summary_counts",
    "tree",
    "wait_for",
    "write_specs",
]

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
# A fixed instant in 2001, far from "now", so that a rewrite always shows in the mtime.
OLD_MTIME_NS = 1_000_000_000 * 10**9


@functools.cache
def render(root: Path) -> Generated:
    """``render_project(root)`` once per session; callers must not mutate the result."""
    return render_project(root)


def write_specs(root: Path, specs: Mapping[str, str]) -> Path:
    """Write ``{file name: YAML text}`` under ``root/specs`` (text dedented); return ``root``."""
    spec_dir = root / "specs"
    spec_dir.mkdir(parents=True, exist_ok=True)
    for name, text in specs.items():
        (spec_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (spec_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def spec_errors(root: Path, specs: Mapping[str, str]) -> list[SpecError]:
    """The errors ``load_project`` raises for ``specs``; fails the test when there are none."""
    write_specs(root, specs)
    with pytest.raises(SpecErrors) as caught:
        load_project(root)
    return caught.value.errors


def copy_project(source: Path, target: Path, *, with_generated: bool = False) -> Path:
    """Copy ``specs/`` (and optionally ``generated/``, without caches) of ``source``."""
    shutil.copytree(source / "specs", target / "specs")
    if with_generated:
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(source / "generated", target / "generated", ignore=ignore)
    return target


def tree(folder: Path) -> dict[str, str]:
    """``{posix path relative to folder: text}`` of every file, caches left out."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def mtimes(folder: Path) -> dict[str, int]:
    """``{posix path relative to folder: st_mtime_ns}`` of every file."""
    return {
        path.relative_to(folder).as_posix(): path.stat().st_mtime_ns
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def age_files(folder: Path) -> None:
    """Set every file's mtime to :data:`OLD_MTIME_NS` (no clock granularity issues)."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))


_SUMMARY = re.compile(r"(\d+) created, (\d+) updated, (\d+) removed, (\d+) unchanged")


def summary_counts(stdout: str) -> tuple[int, int, int, int]:
    """``(created, updated, removed, unchanged)`` from ``specbase generate``'s summary line."""
    found = _SUMMARY.search(stdout)
    assert found is not None, f"no summary in {stdout!r}"
    created, updated, removed, unchanged = (int(n) for n in found.groups())
    return created, updated, removed, unchanged


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    """Poll ``condition`` until it holds; fail the test, naming ``what``, after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not get there in time"
        time.sleep(0.02)
