"""`specbase generate --watch` regenerates on each change of specs/, and survives bad ones."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.cache import Cache
from generator.generate import generate_once
from generator.watch import snapshot, watch
from tests.generator.support import tree, wait_for

SPEC = """\
resource: Memo
fields:
  text: {type: string, maxLength: 200}
required: [text]
"""


def _watching(root: Path, rounds: int) -> tuple[threading.Thread, list[int]]:
    """Start watching; the list counts the generate calls that have returned (or raised)."""
    calls: list[int] = []
    cache = Cache.in_memory()

    def generate() -> None:
        try:
            generate_once(root, cache)
        finally:
            calls.append(len(calls))

    thread = threading.Thread(
        target=watch,
        args=(generate, root / "specs"),
        kwargs={"interval": 0.02, "rounds": rounds, "freeze": False},
    )
    thread.start()
    return thread, calls


def _wait_for(condition: Callable[[], bool]) -> None:
    wait_for(condition, "the watcher")


def test_a_changed_spec_is_generated_again(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "memo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    thread, calls = _watching(tmp_path, rounds=2)
    _wait_for(lambda: len(calls) == 1)
    before = tree(tmp_path / "generated")
    assert "max_length=200" in before["memo/schemas.py"]

    spec.write_text(SPEC.replace("200", "300"), encoding="utf-8")
    thread.join(120)

    assert not thread.is_alive()
    assert len(calls) == 2
    after = tree(tmp_path / "generated")
    assert "max_length=300" in after["memo/schemas.py"]
    assert "maxLength: 300" in after["openapi.yaml"]
    assert {path for path in after if after[path] != before[path]} >= {"memo/schemas.py"}


def test_a_bad_change_is_reported_and_watching_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "memo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    thread, calls = _watching(tmp_path, rounds=3)
    _wait_for(lambda: len(calls) == 1)
    good = tree(tmp_path / "generated")

    spec.write_text(SPEC.replace("maxLength: 200", "maxLength: -1"), encoding="utf-8")
    _wait_for(lambda: len(calls) == 2 and "problem" in capsys.readouterr().err)
    assert tree(tmp_path / "generated") == good  # nothing written
    spec.write_text(SPEC.replace("200", "250"), encoding="utf-8")
    thread.join(120)

    assert not thread.is_alive()
    assert "max_length=250" in tree(tmp_path / "generated")["memo/schemas.py"]


def test_the_snapshot_sees_edits_new_and_removed_specs(tmp_path: Path) -> None:
    spec = tmp_path / "memo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a spec", encoding="utf-8")
    first = snapshot(tmp_path)
    assert list(first) == [str(spec)]
    spec.write_text(SPEC + "# more\n", encoding="utf-8")
    assert snapshot(tmp_path) != first
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "other.yml").write_text(SPEC, encoding="utf-8")
    assert len(snapshot(tmp_path)) == 2
    spec.unlink()
    assert list(snapshot(tmp_path)) == [str(tmp_path / "nested" / "other.yml")]


def test_watching_warms_the_generator_up_after_its_first_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.render import schemas
    from specbase.cli import generate as cli

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "memo.yaml").write_text(SPEC, encoding="utf-8")
    events: list[str] = []
    warmed = threading.Event()

    def counted(*_: object, **__: object) -> str:
        events.append("generate")
        return "specbase: generated"

    def warm_up() -> None:
        events.append("warm up")
        warmed.set()

    monkeypatch.setattr(cli, "generate_once", counted)
    monkeypatch.setattr(schemas, "warm_up", warm_up)
    generate = cli.watching(tmp_path, Cache.in_memory())
    generate()
    assert warmed.wait(30)
    generate()
    assert events == ["generate", "warm up", "generate"]  # once, after the first run


def test_the_warm_up_and_runs_in_this_process_call_the_generator_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datamodel_code_generator

    from generator.render import schemas

    held: list[bool] = []
    generate = datamodel_code_generator.generate

    def watched(*args: Any, **kwargs: Any) -> Any:
        held.append(schemas._IN_PROCESS.locked())
        return generate(*args, **kwargs)

    monkeypatch.setattr(datamodel_code_generator, "generate", watched)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "memo.yaml").write_text(SPEC, encoding="utf-8")
    schemas.warm_up()
    generate_once(tmp_path, None)
    assert held == [True, True]  # the warm-up, then the run: each under the lock
    assert "max_length=200" in tree(tmp_path / "generated")["memo/schemas.py"]


def test_each_watched_run_saves_the_cache_after_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc

    from generator.cache import CACHE_DIR
    from specbase.cli import generate as cli

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "memo.yaml").write_text(SPEC, encoding="utf-8")
    generate = cli.watching(tmp_path, Cache(tmp_path / CACHE_DIR))
    generate()
    assert "1 resources; " in capsys.readouterr().out
    assert not Cache(tmp_path / CACHE_DIR).empty
    assert gc.isenabled()
    assert "max_length=200" in tree(tmp_path / "generated")["memo/schemas.py"]
