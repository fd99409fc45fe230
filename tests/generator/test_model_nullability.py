"""The generated Pydantic models agree with the contract on every property.

For the example project and every golden case, each schema of the contract with
properties is compared with the model datamodel-code-generator made of it: the same
properties, each required in both or in neither, each admitting null in both or in
neither, nested objects (inline, or an array's items) included. The models are
imported in a subprocess (see :mod:`tests.support.introspect`), from the files the
generator writes now. The grid project's models are compared in tests/grid/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generator.support import GOLDEN, ROOT, render
from tests.support.introspect import describe, model_disagreements


def _written(case: Path, target: Path) -> Path:
    """``target``, holding ``generated/`` as the generator renders ``case`` now."""
    for path, text in render(case).files.items():
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
    return target


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_golden_models_agree_with_the_contract(case: str, tmp_path: Path) -> None:
    generated = render(GOLDEN / case)
    root = _written(GOLDEN / case, tmp_path)
    assert model_disagreements(generated.contract, describe(root)) == []


def test_the_example_projects_models_agree_with_the_contract(tmp_path: Path) -> None:
    generated = render(ROOT)
    root = _written(ROOT, tmp_path)
    described = describe(root)
    assert {"generated.event.schemas.EventRead", "generated.image.schemas.ImageCreate"} <= set(
        described["models"]
    )
    assert model_disagreements(generated.contract, described) == []


def test_a_nullable_object_with_properties_is_optional_in_the_read_model(tmp_path: Path) -> None:
    """Issue 16, finding 1: an optional object field answers null, so its read model says
    ``Address | None``, not ``Address``."""
    described = describe(_written(GOLDEN / "every_type", tmp_path))
    read = described["models"]["generated.sample.schemas.SampleRead"]
    assert read["address"] == {
        "required": True,
        "nullable": True,
        "models": ["generated.sample.schemas.Address"],
    }
    create = described["models"]["generated.sample.schemas.SampleCreate"]
    assert (create["address"]["required"], create["address"]["nullable"]) == (False, False)
