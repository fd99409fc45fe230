"""Golden tests: each `golden/<case>/specs/` renders exactly `golden/<case>/expected/`.

`expected/` holds the whole generated/ tree of the case. After an intended change to the
generator, rewrite it with ``uv run pytest tests/generator --update-golden`` and review the diff.
"""

from __future__ import annotations

import ast
import difflib
import shutil
from pathlib import Path

import pytest

from tests.generator.support import GOLDEN, render, tree

CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "specs").is_dir())


def _rendered(case: Path) -> dict[str, str]:
    return {path.removeprefix("generated/"): text for path, text in render(case).files.items()}


def _write(expected: Path, files: dict[str, str]) -> None:
    if expected.exists():
        shutil.rmtree(expected)
    for path, text in files.items():
        target = expected / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _explain(expected: dict[str, str], actual: dict[str, str]) -> str:
    lines = [f"not in expected/: {path}" for path in sorted(set(actual) - set(expected))]
    lines += [f"not rendered:     {path}" for path in sorted(set(expected) - set(actual))]
    for path in sorted(set(expected) & set(actual)):
        if expected[path] != actual[path]:
            diff = difflib.unified_diff(
                expected[path].splitlines(),
                actual[path].splitlines(),
                f"expected/{path}",
                f"rendered/{path}",
                lineterm="",
            )
            lines.extend(list(diff)[:40])
    return "\n".join(lines)


def test_there_are_golden_cases() -> None:
    assert {"minimal", "every_type", "relations_uuid", "openapi_input", "listing"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, request: pytest.FixtureRequest) -> None:
    case_dir = GOLDEN / case
    actual = _rendered(case_dir)
    if request.config.getoption("--update-golden"):
        _write(case_dir / "expected", actual)
    expected = tree(case_dir / "expected") if (case_dir / "expected").is_dir() else {}
    assert expected == actual, (
        f"{case}: the generator's output differs from expected/ (rerun with --update-golden "
        f"if the change is intended)\n{_explain(expected, actual)}"
    )


@pytest.mark.parametrize("case", CASES)
def test_generated_python_parses_and_never_imports_custom(case: str) -> None:
    """Imports flow one way: custom -> generated -> app.core."""
    for path, text in _rendered(GOLDEN / case).items():
        if not path.endswith(".py"):
            continue
        imported = set()
        for node in ast.walk(ast.parse(text, filename=path)):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert not [m for m in imported if m == "custom" or m.startswith("custom.")], path
