"""Loading the specs again in one process parses only what changed, and shares no data."""

from __future__ import annotations

from pathlib import Path

from generator.load import collect_specs

SPEC = "resource: Memo\nfields:\n  text: {type: string, maxLength: 200}\n"


def test_each_load_gets_data_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "memo.yaml").write_text(SPEC, encoding="utf-8")
    (first,), _ = collect_specs(tmp_path)
    first.data["fields"]["text"]["maxLength"] = 1  # a later stage may change what it got
    (second,), _ = collect_specs(tmp_path)
    assert second.data["fields"]["text"]["maxLength"] == 200
    assert second.line_of(("fields", "text")) == 3


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    spec = tmp_path / "memo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    collect_specs(tmp_path)
    spec.write_text("\n" + SPEC.replace("200", "300"), encoding="utf-8")
    (doc,), errors = collect_specs(tmp_path)
    assert not errors
    assert doc.data["fields"]["text"]["maxLength"] == 300
    assert doc.line_of(("fields", "text")) == 4
