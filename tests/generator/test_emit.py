"""`specbase generate` writes only files whose content changed, removes orphans, and never
touches anything outside generated/ (custom/ and specs/ above all)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cache import CACHE_DIR
from generator.cli import main
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
