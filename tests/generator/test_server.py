"""A warm server runs `specbase generate` for a project exactly as a local run would."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import server, serving
from generator.generate import generate_once
from generator.server import address, enabled, request
from generator.serving import Server
from specbase.cli.main import main
from tests.generator.support import ROOT, tree, wait_for

SPEC = """\
resource: Memo
fields:
  text: {type: string, maxLength: 200}
  rank: {type: integer, minimum: 0}
required: [text]
"""


def _wait_for(condition: Callable[[], bool]) -> None:
    wait_for(condition, "the server")


def _socket(root: Path) -> Path:
    path = address(root)
    assert path is not None
    return path


def _project(root: Path, spec: str = SPEC) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "memo.yaml").write_text(spec, encoding="utf-8")
    return root


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Server, threading.Thread]]:
    """A project with a server running for it in a thread (stopped after the test)."""
    root = _project(tmp_path / "served")
    running = Server(root, _socket(root), idle=120.0, freeze=False)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    _wait_for(lambda: request(root, {"command": "status"}) is not None)
    yield root, running, thread
    request(root, {"command": "stop"})
    thread.join(30)


def _generate(root: Path) -> dict[str, object]:
    answer = request(root, {"command": "generate", "cwd": os.getcwd(), "cache": True})
    assert answer is not None
    return answer


def test_a_served_run_writes_what_a_local_run_writes(
    served: tuple[Path, Server, threading.Thread], tmp_path: Path
) -> None:
    root, _, _ = served
    local = _project(tmp_path / "local")
    for maximum in (200, 300):  # the second run finds the first one's cache in memory
        for project in (root, local):
            spec = SPEC.replace("maxLength: 200", f"maxLength: {maximum}")
            (project / "specs" / "memo.yaml").write_text(spec, encoding="utf-8")
        generate_once(local, None)
        answer = _generate(root)
        assert answer["code"] == 0
        assert "warm server" in str(answer["stdout"])
        served_files = tree(root / "generated")
        assert served_files == tree(local / "generated")
        assert f"max_length={maximum}" in served_files["memo/schemas.py"]


def test_spec_problems_come_back_and_nothing_is_written(
    served: tuple[Path, Server, threading.Thread],
) -> None:
    root, _, _ = served
    assert _generate(root)["code"] == 0
    before = tree(root / "generated")
    (root / "specs" / "memo.yaml").write_text(SPEC.replace("integer", "integr"), encoding="utf-8")
    answer = _generate(root)
    assert answer["code"] == 1
    assert "problem" in str(answer["stderr"])
    assert "memo.yaml:4" in str(answer["stderr"])  # the line of the bad type
    assert tree(root / "generated") == before


def test_a_server_whose_code_changed_stops_and_sends_the_run_back(
    served: tuple[Path, Server, threading.Thread], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _, thread = served
    monkeypatch.setattr(serving, "code_state", lambda: [("generator/generate.py", 1, 1)])
    answer = _generate(root)
    assert "changed" in str(answer["retry"])
    thread.join(30)
    assert not thread.is_alive()
    assert not _socket(root).exists()
    assert not (root / "generated").exists()  # it did not run


def test_a_cache_another_process_rewrote_is_read_again(
    served: tuple[Path, Server, threading.Thread],
) -> None:
    from generator.cache import CACHE_DIR, Cache

    root, running, _ = served
    _generate(root)
    kept = running._cache
    assert kept is not None
    _generate(root)
    assert running._cache is kept  # nothing else wrote it
    (root / "specs" / "memo.yaml").write_text(SPEC.replace("200", "250"), encoding="utf-8")
    generate_once(root, Cache(root / CACHE_DIR))  # a local run (a watcher, --no-server)
    _generate(root)
    assert running._cache is not kept


def test_one_server_per_project_and_it_stops_when_asked(
    served: tuple[Path, Server, threading.Thread],
) -> None:
    root, _, thread = served
    second = threading.Thread(target=Server(root, _socket(root), freeze=False).run)
    second.start()
    second.join(30)
    assert not second.is_alive()  # it found the first one holding the lock
    assert _generate(root)["code"] == 0
    answer = request(root, {"command": "stop"})
    assert answer is not None
    assert "stopped" in str(answer["stdout"])
    thread.join(30)
    assert not thread.is_alive()
    assert not _socket(root).exists()
    assert not _socket(root).with_suffix(".lock").exists()
    assert request(root, {"command": "status"}) is None


def test_an_idle_server_stops_by_itself(tmp_path: Path) -> None:
    root = _project(tmp_path)
    thread = threading.Thread(target=Server(root, _socket(root), idle=0.3, freeze=False).run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert not _socket(root).exists()
    assert not _socket(root).with_suffix(".lock").exists()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, True),
        ({"CI": "true"}, False),
        ({"CI": "1"}, False),
        ({"CI": "false"}, True),
        ({"CI": "true", "SPECBASE_SERVER": "on"}, True),
        ({"SPECBASE_SERVER": "off"}, False),
        ({"SPECBASE_SERVER": "0"}, False),
        ({"SPECBASE_SERVER": " False "}, False),
        ({"SPECBASE_SERVER": "1"}, True),
    ],
)
def test_who_may_use_a_server(environ: dict[str, str], expected: bool) -> None:
    assert enabled(environ) is expected


def test_the_command_starts_a_server_only_when_one_may_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    started: list[Path] = []
    monkeypatch.setattr(server, "start", started.append)
    asked: list[dict[str, object]] = []
    monkeypatch.setattr(server, "request", lambda _root, message: asked.append(message))
    monkeypatch.setenv("SPECBASE_SERVER", "off")
    assert main(["--root", str(root), "generate"]) == 0
    assert (started, asked) == ([], [])
    monkeypatch.setenv("SPECBASE_SERVER", "on")
    assert main(["--root", str(root), "generate", "--no-server"]) == 0
    assert (started, asked) == ([], [])
    assert main(["--root", str(root), "generate"]) == 0  # none answers: a local run
    assert started == [root]
    assert [message["command"] for message in asked] == ["generate"]
    (root / "specs" / "memo.yaml").write_text("resource: [", encoding="utf-8")
    assert main(["--root", str(root), "generate"]) == 1  # the next run will be fixed
    assert started == [root, root]


def test_specbase_generate_leaves_a_server_that_serves_the_next_run(tmp_path: Path) -> None:
    root = _project(tmp_path)
    environ = {
        **os.environ,
        "SPECBASE_SERVER": "on",
        "SPECBASE_SERVER_IDLE": "120",
        "PYTHONPATH": str(ROOT),
    }

    def specbase(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "specbase", *args]
        return subprocess.run(
            command, cwd=root, env=environ, capture_output=True, text=True, timeout=120
        )

    try:
        first = specbase("generate")
        assert first.returncode == 0, first.stderr
        assert "warm server" not in first.stdout
        _wait_for(lambda: specbase("server", "status").returncode == 0)
        (root / "specs" / "memo.yaml").write_text(SPEC.replace("200", "210"), encoding="utf-8")
        second = specbase("generate")
        assert second.returncode == 0, second.stderr
        assert "warm server" in second.stdout
        assert "max_length=210" in (root / "generated" / "memo" / "schemas.py").read_text()
    finally:
        stopped = specbase("server", "stop")
    assert stopped.returncode == 0
    assert "stopped the server" in stopped.stdout
    assert specbase("server", "status").returncode == 1


def test_a_lock_file_is_held_by_one_process_and_removed_by_it(tmp_path: Path) -> None:
    path = tmp_path / "server.lock"
    held = serving._lock(path)
    assert held is not None
    assert serving._lock(path) is None
    os.unlink(path)  # what a stopping server does, still holding it
    held.close()
    again = serving._lock(path)
    assert again is not None
    assert os.stat(path).st_ino == os.fstat(again.fileno()).st_ino
    again.close()


def test_the_socket_is_kept_in_a_folder_of_this_user_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "project")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert _socket(root).parent == runtime
    runtime.chmod(0o755)  # others may write... or read: not private
    assert address(root) is None
    assert request(root, {"command": "status"}) is None
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    made = _socket(root).parent
    assert made == tmp_path / f"specbase-{os.getuid()}"
    assert made.stat().st_mode & 0o777 == 0o700
    made.chmod(0o777)
    assert address(root) is None


def test_a_run_with_problems_costs_the_next_one_nothing(
    served: tuple[Path, Server, threading.Thread], monkeypatch: pytest.MonkeyPatch
) -> None:
    import datamodel_code_generator

    from generator.cache import CACHE_DIR, Cache

    root, _, _ = served
    assert _generate(root)["code"] == 0
    good = (root / "specs" / "memo.yaml").read_text(encoding="utf-8")
    (root / "specs" / "memo.yaml").write_text(good.replace("integer", "integr"), encoding="utf-8")
    assert _generate(root)["code"] == 1
    (root / "specs" / "memo.yaml").write_text(good, encoding="utf-8")
    assert request(root, {"command": "status"}) is not None  # the failed run is done with
    assert not Cache(root / CACHE_DIR).empty
    runs: list[int] = []
    generate = datamodel_code_generator.generate

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return generate(*args, **kwargs)

    monkeypatch.setattr(datamodel_code_generator, "generate", counted)
    answer = _generate(root)
    assert answer["code"] == 0
    assert "0 created, 0 updated" in str(answer["stdout"])
    assert runs == []  # every schema module came from the cache the failure left alone


def test_the_code_state_follows_packages_not_the_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, packages = tmp_path / "project", tmp_path / "lib" / "site-packages"
    project.mkdir()
    packages.mkdir(parents=True)
    monkeypatch.setattr("sys.path", [str(project), str(packages)])
    before = serving.code_state()
    os.utime(project, ns=(1, 1))  # a file made in the project (the import path's first)
    assert serving.code_state() == before
    os.utime(packages, ns=(2, 2))  # a package installed, upgraded or removed
    assert serving.code_state() != before
