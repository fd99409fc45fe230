"""Loading the specs again parses only what changed (in one process, or through the cache of
an earlier run), and shares no data."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from generator import load
from generator.cache import Cache
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


def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process parsed, as a new ``specbase generate`` would."""
    monkeypatch.setattr(load, "_PARSED", {})


def test_a_later_run_reads_the_parse_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "memo.yaml").write_text(SPEC + "tags: [a, 2, 2.5, true, null]\n", encoding="utf-8")
    cache = Cache(tmp_path / "cache", salt="test")
    _fresh_process(monkeypatch)
    (parsed,), _ = collect_specs(specs, tmp_path, cache)
    cache.save()

    _fresh_process(monkeypatch)
    monkeypatch.setattr(load, "_parse", _refuse)  # nothing is parsed again
    later = Cache(tmp_path / "cache", salt="test")
    (read,), _ = collect_specs(specs, tmp_path, later)
    assert later.hits == 1
    assert read.path == parsed.path == "specs/memo.yaml"
    assert read.data == parsed.data
    assert [type(v) for v in read.data["tags"]] == [str, int, float, bool, type(None)]
    assert dict(read.lines) == dict(parsed.lines)
    assert read.line_of(("fields", "text", "maxLength")) == 3
    read.data["fields"]["text"]["maxLength"] = 1  # a later stage may change what it got
    (again,), _ = collect_specs(specs, tmp_path, later)
    assert again.data["fields"]["text"]["maxLength"] == 200


def test_what_json_cannot_hold_exactly_is_parsed_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "memo.yaml").write_text(SPEC + "x-since: 2030-01-01\nx-ratio: .nan\n", "utf-8")
    cache = Cache(tmp_path / "cache", salt="test")
    _fresh_process(monkeypatch)
    (doc,), _ = collect_specs(specs, tmp_path, cache)
    assert doc.data["x-since"] == date(2030, 1, 1)  # a YAML date: JSON would make it text
    assert math.isnan(doc.data["x-ratio"])
    assert cache.misses == 1
    cache.save()
    _fresh_process(monkeypatch)
    later = Cache(tmp_path / "cache", salt="test")
    (again,), _ = collect_specs(specs, tmp_path, later)
    assert later.hits == 0
    assert again.data["x-since"] == date(2030, 1, 1)


def _refuse(text: str) -> Any:
    raise AssertionError(f"parsed again: {text[:40]!r}")


def test_files_are_named_from_the_root_where_they_really_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    (root / "specs" / "shop").mkdir(parents=True)
    (root / "specs" / "shop" / "memo.yaml").write_text(SPEC, encoding="utf-8")
    (root / "kept").mkdir()
    (root / "kept" / "note.yaml").write_text(SPEC, encoding="utf-8")
    (root / "specs" / "note.yaml").symlink_to(root / "kept" / "note.yaml")
    (tmp_path / "outside.yaml").write_text(SPEC, encoding="utf-8")
    (root / "specs" / "outside.yaml").symlink_to(tmp_path / "outside.yaml")
    monkeypatch.chdir(tmp_path)
    docs, _ = collect_specs(Path("project/specs"), Path("project"))
    assert [doc.path for doc in docs] == [
        "kept/note.yaml",  # a link into the project: where it leads
        "project/specs/outside.yaml",  # one out of it: as found
        "specs/shop/memo.yaml",
    ]
