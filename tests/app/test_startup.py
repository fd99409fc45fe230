"""Start-up pauses the garbage collector while it builds the app, and always resumes it."""

from __future__ import annotations

import gc

import pytest

from app.main import _collector_paused


def test_the_collector_is_paused_then_running_again() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with _collector_paused(freeze=False):
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # a lifespan freezes nothing


def test_a_failed_start_up_resumes_the_collector() -> None:
    with pytest.raises(RuntimeError), _collector_paused(freeze=False):
        raise RuntimeError("start-up failed")
    assert gc.isenabled()


def test_the_app_built_is_frozen_out_of_later_collections() -> None:
    frozen = gc.get_freeze_count()
    with _collector_paused(freeze=True):
        kept = [[index] for index in range(1000)]
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.isenabled()
