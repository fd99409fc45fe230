"""The generator's cache: the same output with or without it, and never a stale piece.

Each test changes one input a cache entry depends on (a spec, a shared schema of an
OpenAPI document, the generator's own code) and checks that the cached run answers
exactly what a run without any cache answers.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import generator.cache as cache_module
import generator.render.schemas as schemas_module
from generator.cache import CACHE_DIR, Cache, generator_salt
from generator.contract import dump_contract
from generator.contract_yaml import dump_contract_cached
from generator.errors import SpecErrors
from generator.pipeline import load_project, project_contract, render_project
from specbase.cli.main import main
from tests.generator.support import GOLDEN, ROOT, copy_project, render, tree

SHARED_CASE = GOLDEN / "openapi_input"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _warm(root: Path) -> Cache:
    """A cache filled by one run on ``root``, saved to and read back from its folder."""
    first = Cache(root / CACHE_DIR)
    render_project(root, first)
    first.save()
    return Cache(root / CACHE_DIR)


def _forbid_full_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a run over the whole document fail: only the changed modules may be made."""

    def refuse(*args: Any) -> None:
        del args
        raise AssertionError("datamodel-code-generator ran on the whole document")

    monkeypatch.setattr(schemas_module, "_run", refuse)


def test_a_cached_run_answers_what_an_uncached_one_does(tmp_path: Path) -> None:
    root = copy_project(ROOT, tmp_path)
    cache = _warm(root)
    assert render_project(root, cache).files == render(ROOT).files
    assert cache.misses == 0  # every piece came from the cache


def test_a_changed_spec_is_made_again_and_the_rest_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(ROOT, tmp_path)
    cache = _warm(root)
    _edit(root / "specs" / "venue.yaml", "maximum: 1000000", "maximum: 999999")
    _forbid_full_runs(monkeypatch)  # the venue modules alone are made, from part of the input

    cached = render_project(root, cache).files

    monkeypatch.undo()
    fresh = render_project(root).files
    assert cached == fresh
    assert "le=999999" in cached["generated/venue/schemas.py"]
    assert "maximum: 999999" in cached["generated/openapi.yaml"]
    assert cache.hits > 0


def test_a_changed_shared_schema_reaches_the_resources_that_use_it(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHARED_CASE / "specs", root / "specs")
    cache = _warm(root)
    common = root / "specs" / "shop" / "schemas" / "common.yaml"
    _edit(common, "enum: [EUR, USD, GBP]", "enum: [EUR, USD, GBP, CHF]")

    cached = render_project(root, cache).files

    assert cached == render_project(root).files
    assert any("CHF" in text for path, text in cached.items() if path.endswith(".py"))


def test_a_spec_that_became_invalid_is_reported_despite_the_cache(tmp_path: Path) -> None:
    root = copy_project(ROOT, tmp_path)
    cache = _warm(root)
    _edit(root / "specs" / "venue.yaml", "minimum: 1\n", "minimum: 1\n    bogus: 1\n")

    with pytest.raises(SpecErrors) as caught:
        load_project(root, cache)

    assert [e.file for e in caught.value.errors] == ["specs/venue.yaml"]


def test_a_change_to_the_generator_code_changes_the_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "generator"
    shutil.copytree(ROOT / "generator", source, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "_GENERATOR", source)
    before = generator_salt.__wrapped__()
    _edit(source / "render" / "models.py", '"""', '"""Edited. ')

    assert generator_salt.__wrapped__() != before


def test_another_salt_ignores_every_entry(tmp_path: Path) -> None:
    folder = tmp_path / CACHE_DIR
    old = Cache(folder, salt="old generator")
    old.put("kind", "key", "text")
    old.save()

    assert Cache(folder, salt="old generator").get("kind", "key") == "text"
    assert Cache(folder, salt="new generator").get("kind", "key") is None


def test_the_salt_is_the_current_generator_by_default(tmp_path: Path) -> None:
    assert Cache(tmp_path).salt == generator_salt()


def test_a_damaged_cache_file_is_ignored(tmp_path: Path) -> None:
    root = copy_project(ROOT, tmp_path)
    (root / CACHE_DIR).mkdir()
    (root / CACHE_DIR / "cache.json").write_text('{"format": 1, "salt": ', encoding="utf-8")

    assert render_project(root, Cache(root / CACHE_DIR)).files == render(ROOT).files


def test_generate_saves_the_cache_and_check_only_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project(ROOT, tmp_path)
    assert main(["--root", str(root), "check"]) == 1
    assert not (root / CACHE_DIR).exists()

    assert main(["--root", str(root), "generate"]) == 0
    saved = tree(root / CACHE_DIR)
    assert set(saved) == {".gitignore", "cache.json"}
    assert main(["--root", str(root), "check", "--no-cache"]) == 0
    assert main(["--root", str(root), "check"]) == 0
    assert tree(root / CACHE_DIR) == saved
    capsys.readouterr()


def test_generate_without_the_cache_writes_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_project(ROOT, tmp_path)
    assert main(["--root", str(root), "generate", "--no-cache"]) == 0
    assert not (root / CACHE_DIR).exists()
    assert tree(root / "generated") == {
        path.removeprefix("generated/"): text for path, text in render(ROOT).files.items()
    }
    capsys.readouterr()


@pytest.mark.parametrize("case", [ROOT, *sorted(GOLDEN.iterdir())], ids=lambda p: p.name)
def test_the_contract_yaml_is_the_same_piece_by_piece(case: Path) -> None:
    contract = project_contract(load_project(case))
    cache = Cache.in_memory()

    assert dump_contract_cached(contract, cache) == dump_contract(contract)
    assert dump_contract_cached(contract, cache) == dump_contract(contract)  # from the cache


def test_a_changed_contract_piece_is_dumped_again() -> None:
    contract = project_contract(load_project(ROOT))
    cache = Cache.in_memory()
    dump_contract_cached(contract, cache)
    schema = contract["components"]["schemas"]["VenueCreate"]
    schema["description"] = "A changed description."

    assert dump_contract_cached(contract, cache) == dump_contract(contract)
    assert "A changed description." in dump_contract_cached(contract, cache)


def test_what_a_later_run_used_is_saved_even_if_an_earlier_one_found_it(tmp_path: Path) -> None:
    cache = Cache(tmp_path / CACHE_DIR, salt="s")
    cache.put("kind", "key", "text")  # a first run (a server warming up) that saved nothing
    cache.next_run()
    assert cache.get("kind", "key") == "text"  # the next one finds it, and saves it
    cache.save()
    assert Cache(tmp_path / CACHE_DIR, salt="s").get("kind", "key") == "text"
    written = (tmp_path / CACHE_DIR / "cache.json").stat().st_mtime_ns
    cache.next_run()
    cache.get("kind", "key")
    cache.save()  # the same entries as the file's: not written again
    assert (tmp_path / CACHE_DIR / "cache.json").stat().st_mtime_ns == written
