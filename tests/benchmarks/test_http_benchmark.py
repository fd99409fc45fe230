"""The HTTP benchmark runs end to end; how fast anything is stays out of the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APPS = ("generated", "handwritten", "floor")
OPS = ("get", "list", "create", "update")


def test_a_tiny_run_on_sqlite_measures_every_app_and_operation(tmp_path: Path) -> None:
    out = tmp_path / "http.json"
    command = [
        sys.executable, "-m", "benchmarks.http",
        "--databases", "sqlite", "--rounds", "1", "--duration", "0.5", "--warmup", "0.2",
        "--connections", "4", "--out", str(out),
    ]  # fmt: skip

    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(out.read_text())
    sqlite = report["databases"]["sqlite"]
    for op in OPS:
        for app in APPS:
            measured = sqlite["results"][op][app]
            assert measured["rps"] > 0, (op, app)
            assert measured["errors"] == 0, (op, app, measured["rounds"])
        assert set(sqlite["ratios"][op]) == {"generated_over_handwritten", "generated_over_floor"}
    assert report["machine"]["load_tool"]
    assert report["machine"]["cpu_count"] >= 1
    assert "SQLite" in completed.stdout


def test_a_baseline_checkout_takes_its_turns_beside_the_generated_app(tmp_path: Path) -> None:
    """``--baseline``: another checkout's generated app (here this one's own) is measured in
    the same rounds, with its own ratios; a folder that is no checkout is refused."""
    out = tmp_path / "http.json"
    command = [
        sys.executable, "-m", "benchmarks.http",
        "--databases", "sqlite", "--ops", "get", "--rounds", "1", "--duration", "0.3",
        "--warmup", "0.1", "--connections", "2", "--out", str(out),
    ]  # fmt: skip

    completed = subprocess.run(
        [*command, "--baseline", str(PROJECT_ROOT)], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    sqlite = json.loads(out.read_text())["databases"]["sqlite"]
    assert sqlite["results"]["get"]["baseline"]["rps"] > 0
    assert sqlite["results"]["get"]["baseline"]["errors"] == 0
    assert set(sqlite["ratios"]["get"]) == {
        "generated_over_handwritten",
        "generated_over_floor",
        "baseline_over_handwritten",
        "baseline_over_floor",
    }
    assert "base/hand" in completed.stdout

    refused = subprocess.run(
        [*command, "--baseline", str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "is not a specbase checkout" in refused.stderr


def test_the_in_process_run_measures_every_app_and_operation() -> None:
    command = [sys.executable, "-m", "benchmarks.http.inprocess", "--requests", "20",
               "--concurrency", "4"]  # fmt: skip

    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    for op in OPS:
        for app in APPS:
            assert any(line.split()[:2] == [op, app] for line in lines), (op, app)
