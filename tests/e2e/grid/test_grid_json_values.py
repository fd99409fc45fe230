"""What the contract's object fields admit, the server takes and answers back.

An object field whose spec says nothing of other properties (``address``, each item of
``lines``) admits them, as JSON Schema means and the contract shows; a free-form object
(``extra``) is any JSON object, NUL characters and integers past 64 bits included. Each
is sent by create, bulk create, replace and merge patch, and read back as sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.domain.types import INT64_MAX
from tests.e2e.grid.conftest import Grid
from tests.e2e.grid.helpers import MERGE_PATCH, POSITIONS, Checker, path_of
from tests.support.grid import Position

_IDS = [p.name for p in POSITIONS]

UNDECLARED = {
    "address": {"street": "1 Main St", "zip": "69001", "floor": {"n": 2**70}},
    "lines": [{"sku": "A1", "qty": 1, "note": "gift"}, {"sku": "B2", "tags": [None]}],
}
FREE_FORM = {"extra": {"k\x00ey": "va\x00lue", "big": 2**70, "deep": [{"small": -(2**65)}]}}


def _written(check: Checker, position: Position, values: dict[str, Any]) -> list[str]:
    """``values`` sent by create, bulk create, replace and merge patch; each answer must
    be a success holding them, and the row read again too."""
    path = path_of(position.resource)
    body = {**check.body(position, full=False), **values}
    created = check.call("POST", path, body)
    check.answered(created, 201, position, "create")
    bulk = check.call("POST", f"{path}/bulk", [body])
    check.expect(bulk.status_code == 201, f"bulk create: {bulk.status_code} {bulk.text}")
    rows = [created.json()] if created.status_code == 201 else []
    rows += bulk.json()["items"] if bulk.status_code == 201 else []
    if created.status_code == 201:
        row_path = f"{path}/{created.json()['id']}"
        replaced = check.call("PUT", row_path, body)
        check.answered(replaced, 200, position, "replace")
        patched = check.call("PATCH", row_path, values, headers=MERGE_PATCH)
        check.answered(patched, 200, position, "merge patch")
        rows += [answer.json() for answer in (replaced, patched) if answer.status_code == 200]
        rows.append(check.get(position, created.json()["id"]))
    for row in rows:
        check.fields(position, row, values, "as written")
    return check.problems


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_an_object_field_takes_properties_its_spec_does_not_declare(
    grid: Grid, position: Position
) -> None:
    assert _written(Checker(grid), position, UNDECLARED) == []


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_a_free_form_object_holds_nul_and_integers_past_64_bits(
    grid: Grid, position: Position
) -> None:
    assert _written(Checker(grid), position, FREE_FORM) == []


def test_a_shared_models_integers_are_bounded_as_a_fields_are(
    grid_contract: dict[str, Any],
) -> None:
    """The body parser holds integers to 64 bits: the contract must not admit more."""
    money = grid_contract["components"]["schemas"]["Money"]["properties"]
    assert money["amount"] == {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
