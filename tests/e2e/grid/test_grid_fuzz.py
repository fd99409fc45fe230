"""``specbase fuzz`` of the grid project: every check, on every database.

The grid app (every field kind in every position, see tests/support/grid.py) is served
on a database of its own, once per dialect (tests/conftest.py), so that the rows the
fuzzer leaves do not meet the other grid tests, and fuzzed by schemathesis' own CLI
with every check, bounded by ``--max-examples`` and a fixed seed (tests/support/fuzzing.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.grid.conftest import served_grid
from tests.support.fuzzing import fuzz_without_failure

# The coverage phase's cases do not depend on --max-examples; those of the fuzzing and
# stateful phases do.
EXAMPLES = {"sqlite": 3, "postgresql": 3, "mysql": 3}
# Invalid data is refused before any query, alike on every database: SQLite takes it
# (the larger part of the coverage phase), the servers take valid data, which reaches them.
MODES = {"sqlite": "all", "postgresql": "positive", "mysql": "positive"}


def test_fuzz_finds_no_failure_in_the_grid(grid_root: Path, dialect: str, tmp_path: Path) -> None:
    with served_grid(grid_root, dialect, name="fuzzed") as client:
        url = str(client.base_url).rstrip("/")
        fuzz_without_failure(grid_root, url, tmp_path, examples=EXAMPLES[dialect], seed=1,
                             extra=["--mode", MODES[dialect]])  # fmt: skip
