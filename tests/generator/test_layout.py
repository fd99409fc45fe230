"""The project's layout: the generator imports nothing of the runtime or of the project it
generates, and the runtime (``app/core``) is grouped into packages by concern.

``lint-imports`` (CI, contracts in pyproject.toml) checks the import statements; a module
named to importlib as a string is out of its sight, so these tests look for those. It does
not see a module left loose in ``app/core`` or a package missing from its layers either.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The runtime, the project's packages and the CLI above the generator.
FORBIDDEN = frozenset(("app", "generated", "custom", "migrations", "specbase"))
# Callables that import (or look up) a module by name: importlib's and the builtin.
IMPORTERS = frozenset(("import_module", "find_spec", "run_module", "__import__"))
CORE = ROOT / "app" / "core"


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


def core_layers() -> set[str]:
    """The packages named by the layers contract whose container is ``app.core``."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["type"] == "layers" and c.get("containers") == ["app.core"]
    ]
    return {name.strip() for layer in contract["layers"] for name in layer.split("|")}


def test_app_core_holds_packages_only() -> None:
    loose = sorted(p.name for p in CORE.glob("*.py") if p.name != "__init__.py")
    assert loose == [], "put each module of app/core in the package of its concern"


def test_each_package_of_app_core_is_a_layer() -> None:
    packages = {p.parent.name for p in CORE.glob("*/__init__.py")}
    folders = {p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == packages  # no namespace package slips past the contract
    assert packages == core_layers()


def test_each_package_of_app_core_says_what_belongs_there() -> None:
    for init in sorted(CORE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)}: say in a docstring what belongs there"
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`:])", doc.strip())
        assert len(sentences) <= 2, f"{init.relative_to(ROOT)}: one or two sentences"
