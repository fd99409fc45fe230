"""The generator imports nothing of the runtime or of the project it generates.

``lint-imports`` (CI, contracts in pyproject.toml) checks the import statements; a module
named to importlib as a string is out of its sight, so these tests look for those.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The runtime, the project's packages and the CLI above the generator.
FORBIDDEN = frozenset(("app", "generated", "custom", "migrations", "specbase"))
# Callables that import (or look up) a module by name: importlib's and the builtin.
IMPORTERS = frozenset(("import_module", "find_spec", "run_module", "__import__"))


def imported_by_name(source: str) -> list[tuple[int, str]]:
    """(line, module) of each call of :data:`IMPORTERS` with a literal name, or the literal
    start of an f-string name, in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called not in IMPORTERS:
            continue
        name = node.args[0]
        if isinstance(name, ast.JoinedStr) and name.values:
            name = name.values[0]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            found.append((node.lineno, name.value))
    return found


def test_the_scan_sees_names_given_to_importlib() -> None:
    source = (
        "import importlib\n"
        "importlib.import_module('generated')\n"
        "importlib.util.find_spec(f'app.core.{name}')\n"
        "__import__('json')\n"
        "'importlib.import_module(\"app.main\")'\n"  # a template of generated code: text
    )
    assert imported_by_name(source) == [(2, "generated"), (3, "app.core."), (4, "json")]


def test_no_module_of_the_generator_imports_the_project_by_name() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted((ROOT / "generator").rglob("*.py"))
        for line, name in imported_by_name(path.read_text(encoding="utf-8"))
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offending == []
