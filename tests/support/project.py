"""A copy of the project in a temporary folder, for tests that change specs and code."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def project_files() -> list[str]:
    """Every file git tracks or would track (ignored ones, like .venv and *.db, left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted({path for path in listed.split("\0") if path and (ROOT / path).is_file()})


def copy_project(target: Path) -> Path:
    """Copy the project's files into ``target``; answer ``target``."""
    for path in project_files():
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes((ROOT / path).read_bytes())
    return target
