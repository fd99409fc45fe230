"""`specbase diff`: each kind of change, breaking or not, with its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diff import Change, diff_contracts
from generator.pipeline import contract_only
from specbase.cli.main import main

BASE = """\
resource: Thing
fields:
  name: {type: string, maxLength: 50}
  size: {type: integer, minimum: 0, maximum: 100}
  colour: {type: string, enum: [red, green]}
  note: {type: [string, "null"], maxLength: 200}
required: [name]
"""


def _contract(tmp_path: Path, spec: str, label: str) -> dict[str, Any]:
    root = tmp_path / label
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "thing.yaml").write_text(spec, encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(contract_only(root))
    return document


def _changes(tmp_path: Path, new_spec: str) -> list[Change]:
    old = _contract(tmp_path, BASE, "old")
    new = _contract(tmp_path, new_spec, "new")
    return diff_contracts(old, new)


def _find(changes: list[Change], path_part: str, message_part: str) -> Change:
    found = [c for c in changes if path_part in c.path and message_part in c.message]
    assert found, f"no change at {path_part!r} saying {message_part!r}: {changes}"
    return found[0]


def test_identical_contracts_have_no_change(tmp_path: Path) -> None:
    assert _changes(tmp_path, BASE) == []


def test_an_added_optional_field_is_not_breaking(tmp_path: Path) -> None:
    changes = _changes(tmp_path, BASE.replace("required:", "  extra: {type: boolean}\nrequired:"))
    added = _find(changes, ".extra", "optional field added")
    assert not added.breaking
    assert not any(c.breaking for c in changes), changes


def test_a_field_becoming_required_breaks(tmp_path: Path) -> None:
    changes = _changes(tmp_path, BASE.replace("required: [name]", "required: [name, size]"))
    change = _find(changes, "post.requestBody.application/json.properties.size", "required")
    assert change.breaking


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("maxLength: 50}", "maxLength: 20}", "properties.name.maxLength", "narrowed to 20"),
        ("maximum: 100}", "maximum: 10}", "properties.size.maximum", "narrowed to 10"),
        ("minimum: 0,", "minimum: 5,", "properties.size.minimum", "narrowed to 5"),
        ("[red, green]", "[red]", "properties.colour", "enum value removed: green"),
        ("{type: integer, minimum: 0, maximum: 100}", "{type: string, maxLength: 3}",
         "post.requestBody.application/json.properties.size", "no longer accepts integer"),
        ('{type: [string, "null"], maxLength: 200}', "{type: string, maxLength: 200}",
         "put.requestBody.application/json.properties.note", "no longer accepts null"),
    ],
)  # fmt: skip
def test_narrowing_a_request_breaks(
    tmp_path: Path, old: str, new: str, path: str, message: str
) -> None:
    assert old in BASE
    change = _find(_changes(tmp_path, BASE.replace(old, new)), path, message)
    assert change.breaking


def test_widening_and_added_enum_values_do_not_break(tmp_path: Path) -> None:
    spec = BASE.replace("maxLength: 50}", "maxLength: 80}").replace(
        "[red, green]", "[red, green, blue]"
    )
    changes = _changes(tmp_path, spec)
    assert not _find(changes, "properties.name.maxLength", "widened to 80").breaking
    assert not _find(changes, "properties.colour", "enum value added: blue").breaking
    assert not any(c.breaking for c in changes), changes


def test_a_removed_field_breaks_requests_and_responses(tmp_path: Path) -> None:
    changes = _changes(
        tmp_path, BASE.replace('  note: {type: [string, "null"], maxLength: 200}\n', "")
    )
    assert _find(
        changes, "responses.200.application/json.properties.note", "field removed"
    ).breaking
    assert _find(changes, "post.requestBody.application/json.properties.note", "removed").breaking


def test_removed_and_added_operations(tmp_path: Path) -> None:
    changes = _changes(tmp_path, BASE + "operations: [list, get, create, update, delete]\n")
    removed = _find(changes, "paths./things/{thing_id}.put", "operation removed")
    assert removed.breaking
    assert removed.path == "paths./things/{thing_id}.put"
    back = diff_contracts(
        _contract(tmp_path, BASE + "operations: [list, get]\n", "few"),
        _contract(tmp_path, BASE, "all"),
    )
    assert not _find(back, "paths./things/{thing_id}.put", "operation added").breaking
    assert all(not c.breaking for c in back)


def test_cli_exits_1_on_a_breaking_change_and_0_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(_contract(tmp_path, BASE, "a")), encoding="utf-8")
    new.write_text(
        yaml.safe_dump(_contract(tmp_path, BASE.replace("maxLength: 50", "maxLength: 10"), "b")),
        encoding="utf-8",
    )
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert (
        "BREAKING  paths./things.post.requestBody.application/json.properties.name.maxLength" in out
    )
    assert main(["diff", str(new), str(old)]) == 0
    assert main(["diff", str(old), str(tmp_path / "missing.yaml")]) == 2
