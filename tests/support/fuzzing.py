"""``specbase fuzz`` run by a test: schemathesis' own CLI, bounded and reproducible.

Each run is bounded by ``--max-examples`` and a fixed seed, and runs in a folder of the
test's, where schemathesis keeps its example database and crash files. The answer is
schemathesis' report, once it says that every check passed in every phase run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SPECBASE", "fuzz_without_failure"]

SPECBASE = str(Path(sys.executable).with_name("specbase"))
FUZZ_SECONDS = 900  # a bound far above any run's usual time, for a hung server


def fuzz_without_failure(
    root: Path,
    url: str,
    folder: Path,
    *,
    examples: int,
    seed: int,
    phases: Sequence[str] = ("Coverage", "Fuzzing", "Stateful"),
    extra: Sequence[str] = (),
) -> str:
    """``specbase fuzz`` of the project at ``root`` against ``url``; fails the test on
    any failure of any check, or when one of ``phases`` did not run and pass."""
    command = [SPECBASE, "--root", str(root), "fuzz", "--url", url]
    command += ["--max-examples", str(examples), "--seed", str(seed), "--", "--no-color"]
    result = subprocess.run(
        [*command, *extra],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for phase in phases:
        assert f"✅ {phase}" in output, f"{phase} did not pass:\n{output}"
    assert "Failures:" not in output, output
    tested = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tested is not None, output
    assert tested[1] == tested[2], output
    return output
