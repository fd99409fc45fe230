"""The grid's generated contract, Pydantic models and columns agree on every field.

What each position means (tests/support/grid.py) is written down once, and the
contract's create, update, read and expanded schemas, the Pydantic models made of
them and the columns are each held to it; the code passes mypy --strict; and every
combination the spec format refuses is refused with its file, line and a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from generator.errors import SpecErrors
from generator.naming import pluralize, snake_case
from generator.pipeline import load_project
from tests.support.grid import BELONGS_TO, PARENT, POSITIONS, REFUSED, Position, Refusal, grid_specs
from tests.support.grid import kinds_of as grid_kinds
from tests.support.introspect import describe, model_disagreements


def _expected(position: Position) -> dict[str, tuple[bool, bool]]:
    """``{schema suffix: (required, nullable)}`` of a field in this position."""
    read = (True, position.read_nullable)
    return {
        "Create": (position.required, position.nullable),
        "Update": (False, position.nullable),
        "Read": read,
        "Expanded": read,
    }


def _fields(position: Position) -> list[str]:
    names = [kind.name for kind in grid_kinds(position)]
    return [*names, "parent_id"] if position.name in BELONGS_TO else names


@pytest.fixture(scope="module")
def described(grid_root: Path) -> dict[str, Any]:
    return describe(grid_root)


def test_the_contract_says_what_each_position_means(grid_contract: dict[str, Any]) -> None:
    components = grid_contract["components"]
    wrong = []
    for position in POSITIONS:
        for suffix, (required, nullable) in _expected(position).items():
            schema = components["schemas"].get(f"{position.resource}{suffix}")
            if schema is None:
                assert (suffix, position.name in BELONGS_TO) == ("Expanded", False)
                continue
            for name in _fields(position):
                prop = {**schema["properties"][name], "components": components}
                said = (
                    name in schema.get("required", []),
                    Draft202012Validator(prop).is_valid(None),
                )
                if said != (required, nullable):
                    wrong.append(f"{position.resource}{suffix}.{name}: {said}")
    assert wrong == []


def test_the_models_agree_with_the_contract_and_the_positions(
    grid_contract: dict[str, Any], described: dict[str, Any]
) -> None:
    assert model_disagreements(grid_contract, described) == []
    models = described["models"]
    wrong = []
    for position in POSITIONS:
        for suffix, expected in _expected(position).items():
            module = snake_case(position.resource)
            key = f"generated.{module}.{'expanded' if suffix == 'Expanded' else 'schemas'}"
            model = models.get(f"{key}.{position.resource}{suffix}")
            if model is None:
                continue
            for name in _fields(position):
                said = (model[name]["required"], model[name]["nullable"])
                if said != expected:
                    wrong.append(f"{position.resource}{suffix}.{name}: {said}, not {expected}")
    assert wrong == []


def test_the_columns_hold_null_where_a_read_may_answer_it(described: dict[str, Any]) -> None:
    wrong = []
    for position in POSITIONS:
        table = described["tables"][pluralize(snake_case(position.resource))]
        for name in _fields(position):
            if table[name] != position.read_nullable:
                wrong.append(f"{position.resource}.{name}: nullable {table[name]}")
    assert wrong == []


def test_the_generated_code_type_checks(grid_root: Path) -> None:
    """mypy --strict (the copy's settings) on the grid's generated/."""
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(grid_root / ".mypy_cache"), "generated"],
        cwd=grid_root,
        env={**os.environ, "PYTHONPATH": str(grid_root)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("refusal", REFUSED, ids=[f"{r.position}-{r.name}" for r in REFUSED])
def test_a_combination_the_format_refuses_is_refused_where_it_is(
    refusal: Refusal, tmp_path: Path
) -> None:
    """The field alone in a spec of its position's resource: one error, at its line."""
    import yaml

    kind = "relations" if refusal.relation else "fields"
    spec: dict[str, Any] = {"resource": "Thing", "fields": {"label": {"type": "string"}}}
    spec.setdefault(kind, {})[refusal.name] = refusal.spec
    files = {"thing.yaml": yaml.safe_dump(spec, sort_keys=False), "parent.yaml": _bare_parent()}
    if "$ref" in str(refusal.spec):
        files["common.yaml"] = grid_specs()["common.yaml"]
    (tmp_path / "specs").mkdir()
    for name, text in files.items():
        (tmp_path / "specs" / name).write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_project(tmp_path)
    errors = caught.value.errors
    assert len(errors) == 1, [str(e) for e in errors]
    # A relation is refused whole (it fits none of the three shapes), a field at its default.
    at = f"{refusal.name}:" if refusal.relation else "default:"
    rows = files["thing.yaml"].splitlines()
    line = next(i for i, row in enumerate(rows, 1) if row.strip().startswith(at))
    assert (errors[0].file, errors[0].line) == ("specs/thing.yaml", line)
    key = f"{kind}.{refusal.name}" + ("" if refusal.relation else ".default")
    assert errors[0].key == key
    assert refusal.message in errors[0].message


def _bare_parent() -> str:
    return f"resource: {PARENT}\nfields:\n  name: {{type: string}}\n"
