"""datamodel-code-generator in a worker process answers what it answers in this one."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from generator import datamodel_worker
from generator.cache import Cache
from generator.datamodel_worker import DatamodelWorker, WorkerError
from generator.pipeline import project_contract, render_project
from generator.render import schemas
from generator.render.schemas import DATAMODEL_OPTIONS, datamodel_input
from tests.generator.support import GOLDEN, ROOT, render


@pytest.mark.parametrize("case", ["every_type", "listing"])
def test_a_project_rendered_with_a_worker_is_the_same(case: str) -> None:
    root = GOLDEN / case
    worker = DatamodelWorker()
    try:
        assert render_project(root, worker=worker).files == render(root).files
    finally:
        worker.close()


def test_a_worker_answers_job_after_job() -> None:
    """A cached run sends only the changed modules: a second job on the same worker."""
    generated = render(ROOT)
    document, options = datamodel_input(generated.contract, generated.project)
    worker = DatamodelWorker()
    try:
        whole = worker.generate(document, options)
        again = worker.generate(document, options)
    finally:
        worker.close()
    assert isinstance(whole, dict)
    assert whole == again
    assert ("event", "__init__.py") in whole or ("event.py",) in whole
    assert any("class EventCreate(InputModel)" in code for code in whole.values())


def test_the_cached_path_with_a_worker_matches_too() -> None:
    cache = Cache.in_memory()
    worker = DatamodelWorker()
    try:
        first = render_project(ROOT, cache, worker=worker)
        cache.next_run()
        again = render_project(ROOT, cache, worker=worker)
    finally:
        worker.close()
    assert again.files == first.files == render(ROOT).files


def test_a_failing_worker_says_what_failed() -> None:
    generated = render(ROOT)
    document, options = datamodel_input(project_contract(generated.project), generated.project)
    worker = DatamodelWorker()
    try:
        with pytest.raises(
            WorkerError, match=r"(?s)datamodel-code-generator failed:\n.*no_such_option"
        ):
            worker.generate(document, {**options, "no_such_option": True})
    finally:
        worker.close()


def test_a_warmed_up_worker_answers_the_same() -> None:
    generated = render(ROOT)
    document, options = datamodel_input(generated.contract, generated.project)
    cold, warm = DatamodelWorker(), DatamodelWorker(DATAMODEL_OPTIONS)
    try:
        assert warm.generate(document, options) == cold.generate(document, options)
    finally:
        cold.close()
        warm.close()


def test_an_unused_worker_is_ended() -> None:
    worker = DatamodelWorker(DATAMODEL_OPTIONS)
    worker.close()
    assert [process.returncode is not None for process in worker._processes] == [True]


def test_a_worker_that_writes_much_to_stderr_still_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its error output goes to a file: a full pipe nobody reads would block it for good."""
    chatty = (
        "import json, sys\n"
        "sys.stderr.write('warning\\n' * 100_000)\n"  # 800 kB, well past a pipe's buffer
        "sys.stderr.flush()\n"
        "for line in sys.stdin:\n"
        "    sys.stdout.write(json.dumps({'single': 'ok'}) + '\\n')\n"
        "    sys.stdout.flush()\n"
    )
    monkeypatch.setattr(datamodel_worker, "_SCRIPT", chatty)
    worker = DatamodelWorker()
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:  # a blocked worker fails the test instead of hanging it
            assert pool.submit(worker.generate, {}, {}).result(timeout=60) == "ok"
        finally:
            worker.close()  # ends the process, so a waiting call returns


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_parts_made_at_once_by_several_processes_are_the_same(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas, "SPLIT_MIN", 2)  # the golden projects are small
    root = GOLDEN / case
    expected = render(root).files
    made: list[int] = []
    worker = DatamodelWorker(processes=2)
    generate_many = worker.generate_many

    def counted(jobs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[Any]:
        made.append(len(jobs))
        return generate_many(jobs)

    monkeypatch.setattr(worker, "generate_many", counted)
    try:
        assert render_project(root, worker=worker).files == expected
        assert render_project(root, Cache.in_memory(), worker=worker).files == expected
    finally:
        worker.close()
    modules = len(schemas.render_schemas(render(root).contract, render(root).project))
    assert made == ([2, 2] if modules >= 2 else [1, 1])  # split whenever there is a choice


def test_more_jobs_than_processes_are_refused() -> None:
    worker = DatamodelWorker(processes=1)
    try:
        with pytest.raises(ValueError, match="2 jobs for 1 processes"):
            worker.generate_many([({}, {}), ({}, {})])
    finally:
        worker.close()


def test_processes_added_later_take_parts_too() -> None:
    generated = render(ROOT)
    document, options = datamodel_input(generated.contract, generated.project)
    worker = DatamodelWorker()
    try:
        worker.add_processes(1)
        worker.add_processes(0)
        assert worker.processes == 2
        first, second = worker.generate_many([(document, options), (document, options)])
    finally:
        worker.close()
    assert first == second
    assert all(process.returncode is not None for process in worker._processes)


class _Worker:
    """Stands in for a DatamodelWorker: counts its processes."""

    def __init__(self, processes: int) -> None:
        self.processes = processes

    def add_processes(self, count: int) -> None:
        self.processes += max(0, count)


def test_a_run_without_a_cache_to_start_from_gets_a_process_per_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.cache import CACHE_DIR, Cache
    from specbase.cli import workers

    monkeypatch.setattr(workers, "CORES", 3)
    args = argparse.Namespace(root=tmp_path, no_cache=False)
    assert workers.worker_processes(args) == 3  # no cache yet
    worker = _Worker(3)
    assert workers.project_cache(args, worker) is not None  # type: ignore[arg-type]
    assert worker.processes == 3
    stored = Cache(tmp_path / CACHE_DIR)
    stored.put("kind", "key", "text")
    stored.save()
    assert workers.worker_processes(args) == 1
    worker = _Worker(1)
    workers.project_cache(args, worker)  # type: ignore[arg-type]
    assert worker.processes == 1  # it holds entries of this generator
    stale = Cache(tmp_path / CACHE_DIR, salt="another generator")
    stale.put("kind", "key", "text")
    stale.save()
    workers.project_cache(args, worker)  # type: ignore[arg-type]
    assert worker.processes == 3  # nothing to start from after all
    assert workers.worker_processes(argparse.Namespace(root=tmp_path, no_cache=True)) == 3
