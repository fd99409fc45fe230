"""`specbase generate` writes only files whose content changed, removes orphans, and never
touches anything outside generated/ (custom/ and specs/ above all)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from generator.cache import CACHE_DIR
from generator.emit import OnDisk, plan_changes, write_changes
from specbase.cli.main import main
from tests.generator.support import (
    OLD_MTIME_NS,
    ROOT,
    age_files,
    copy_project,
    mtimes,
    render,
    summary_counts,
    tree,
)

MEMO_SPEC = """\
resource: ScratchMemo
fields:
  text: {type: string, maxLength: 200}
required: [text]
"""
MEMO_FILES = {
    f"scratch_memo/{name}.py"
    for name in ("__init__", "schemas", "models", "repository", "service", "router")
}
CUSTOM_FILES = {
    "custom/__init__.py": "",
    "custom/scratch_memo/__init__.py": "",
    "custom/scratch_memo/service.py": "# hand-written; the generator must leave it alone\n",
    "custom/scratch_memo/models.py": "# named like a generated file on purpose\n",
    "custom/scratch_memo/notes.txt": "not Python\n",
}


def _generate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, int, int, int]:
    assert main(["--root", str(root), "generate"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return summary_counts(out)


def _outside_generated(root: Path) -> dict[str, tuple[int, str]]:
    """Every file of the project outside generated/ and the generator's cache folder
    (tests/generator/test_cache.py covers that one): its mtime and its text."""
    return {
        path: (mtime, (root / path).read_text(encoding="utf-8"))
        for path, mtime in mtimes(root).items()
        if not path.startswith(("generated/", f"{CACHE_DIR}/"))
    }


def _setup(root: Path) -> Path:
    copy_project(ROOT, root)
    (root / "specs" / "scratch_memo.yaml").write_text(MEMO_SPEC, encoding="utf-8")
    for path, text in CUSTOM_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the repository's specs, one more spec and custom/ code, generated."""
    root = _setup(tmp_path_factory.mktemp("template") / "project")
    assert main(["--root", str(root), "generate"]) == 0
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template whose files all carry an old mtime."""
    root = tmp_path / "project"
    shutil.copytree(template, root)
    age_files(root)
    return root


def test_first_generate_creates_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _setup(tmp_path)
    age_files(root)
    outside = _outside_generated(root)

    created, updated, removed, unchanged = _generate(root, capsys)

    written = tree(root / "generated")
    expected = {path.removeprefix("generated/") for path in render(ROOT).files} | MEMO_FILES
    assert set(written) == expected
    assert (created, updated, removed, unchanged) == (len(expected), 0, 0, 0)
    assert not [path for path in mtimes(root) if path.endswith(".tmp")]
    assert _outside_generated(root) == outside


def test_generate_without_changes_rewrites_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(project / "generated")
    outside = _outside_generated(project)

    assert _generate(project, capsys) == (0, 0, 0, len(before))

    assert tree(project / "generated") == before
    assert set(mtimes(project / "generated").values()) == {OLD_MTIME_NS}
    assert _outside_generated(project) == outside


def test_only_files_whose_content_changed_are_rewritten(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = project / "specs" / "scratch_memo.yaml"
    changed_spec = MEMO_SPEC.replace("required:", "  pinned: {type: boolean}\nrequired:")
    spec.write_text(changed_spec, encoding="utf-8")
    spec_mtime = spec.stat().st_mtime_ns
    before = tree(project / "generated")
    outside = _outside_generated(project)

    created, updated, removed, unchanged = _generate(project, capsys)

    after = tree(project / "generated")
    assert set(after) == set(before)
    changed = {path for path in after if after[path] != before[path]}
    rewritten = {path for path, ns in mtimes(project / "generated").items() if ns != OLD_MTIME_NS}
    assert rewritten == changed
    assert {"scratch_memo/models.py", "scratch_memo/schemas.py", "openapi.yaml"} <= rewritten
    assert rewritten <= MEMO_FILES | {"openapi.yaml", "registry.py"}
    assert "pinned" in after["scratch_memo/models.py"]
    assert (created, updated, removed, unchanged) == (0, len(changed), 0, len(after) - len(changed))
    assert spec.stat().st_mtime_ns == spec_mtime
    assert _outside_generated(project) == outside


def test_removed_spec_leaves_no_orphans(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = project / "generated" / "scratch_memo" / "__pycache__"
    cache.mkdir()
    (cache / "models.cpython-311.pyc").write_bytes(b"\0")
    (project / "specs" / "scratch_memo.yaml").unlink()
    before = tree(project / "generated")
    outside = _outside_generated(project)

    created, updated, removed, unchanged = _generate(project, capsys)

    assert not (project / "generated" / "scratch_memo").exists()
    after = tree(project / "generated")
    assert set(after) == set(before) - MEMO_FILES
    assert "ScratchMemo" not in after["registry.py"]
    assert "ScratchMemo" not in after["openapi.yaml"]
    rewritten = {path for path, ns in mtimes(project / "generated").items() if ns != OLD_MTIME_NS}
    assert rewritten == {path for path in after if after[path] != before[path]}
    assert rewritten == {"openapi.yaml", "registry.py"}
    assert (created, updated, removed) == (0, 2, len(MEMO_FILES))
    assert unchanged == len(after) - 2
    assert _outside_generated(project) == outside  # custom/scratch_memo/ is still there
    assert tree(project / "custom") == {
        path.removeprefix("custom/"): text for path, text in CUSTOM_FILES.items()
    }


class _Counted(OnDisk):
    """An OnDisk that counts the files it reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def _read(self, full: str) -> str:
        self.reads.append(Path(full).name)
        return super()._read(full)


def _generated(root: Path, files: dict[str, str], *, mtime_ns: int) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
        os.utime(root / path, ns=(mtime_ns, mtime_ns))


def test_a_plan_reads_again_only_the_files_changed_since(tmp_path: Path) -> None:
    files = {"generated/a.py": "a = 1\n", "generated/b.py": "b = 1\n"}
    _generated(tmp_path, files, mtime_ns=OLD_MTIME_NS)
    on_disk = _Counted()
    assert plan_changes(tmp_path, files, on_disk).unchanged == 2
    assert sorted(on_disk.reads) == ["a.py", "b.py"]
    assert plan_changes(tmp_path, files, on_disk).unchanged == 2
    assert sorted(on_disk.reads) == ["a.py", "b.py"]  # nothing read again
    # Someone edits a file, with a text of the same size: its time tells.
    _generated(tmp_path, {"generated/b.py": "b = 2\n"}, mtime_ns=OLD_MTIME_NS + 10**9)
    changes = plan_changes(tmp_path, files, on_disk)
    assert changes.written == {"generated/b.py": "b = 2\n"}
    assert on_disk.reads[2:] == ["b.py"]


def test_what_a_run_writes_is_known_after_it_and_orphans_are_forgotten(tmp_path: Path) -> None:
    files = {"generated/a.py": "a = 1\n", "generated/b.py": "b = 1\n"}
    _generated(tmp_path, files, mtime_ns=OLD_MTIME_NS)
    on_disk = _Counted()
    wanted = {"generated/a.py": "a = 2\n", "generated/c.py": "c = 1\n"}
    changes = plan_changes(tmp_path, wanted, on_disk)
    assert (changes.written, changes.created, changes.removed) == (
        {"generated/a.py": "a = 1\n"},
        ["generated/c.py"],
        ["generated/b.py"],
    )
    write_changes(tmp_path, wanted, changes, on_disk)
    # Just written: within a second of their change, so not trusted yet (as git's index).
    assert plan_changes(tmp_path, wanted, on_disk).empty
    assert sorted(on_disk.reads) == ["a.py", "a.py", "c.py"]
    for path in wanted:
        os.utime(tmp_path / path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    assert plan_changes(tmp_path, wanted, on_disk).empty
    assert sorted(on_disk.reads) == ["a.py", "a.py", "a.py", "c.py", "c.py"]
    assert plan_changes(tmp_path, wanted, on_disk).empty  # now settled: nothing read
    assert len(on_disk.reads) == 5
    assert "generated/b.py" not in on_disk._known


def test_a_file_changed_within_a_second_of_being_read_is_not_trusted(tmp_path: Path) -> None:
    files = {"generated/a.py": "a = 1\n"}
    _generated(tmp_path, files, mtime_ns=time.time_ns())
    on_disk = _Counted()
    plan_changes(tmp_path, files, on_disk)
    plan_changes(tmp_path, files, on_disk)
    assert on_disk.reads == ["a.py", "a.py"]


def test_many_files_are_written_whole_and_nothing_else(tmp_path: Path) -> None:
    files = {f"generated/r{i % 7}/m{i}.py": f"value = {i}\n" * (i + 1) for i in range(100)}
    changes = plan_changes(tmp_path, files)
    assert len(changes.created) == 100
    write_changes(tmp_path, files, changes)
    assert tree(tmp_path / "generated") == {
        path.removeprefix("generated/"): text for path, text in files.items()
    }
