"""datamodel-code-generator in a worker process answers what it answers in this one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from generator import datamodel_worker
from generator.cache import Cache
from generator.datamodel_worker import DatamodelWorker, WorkerError
from generator.pipeline import project_contract, render_project
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
    assert worker._process.returncode is not None


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
