"""The generation benchmark runs end to end on a tiny project; its figures are not judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.generation import TARGETS, main

MEASUREMENTS = {
    "generate",
    "datamodel_codegen",
    "regenerate",
    "regenerate_local",
    "regenerate_watching",
    "first_response_cold",
    "first_response_new_database",
    "first_response",
}


def test_the_benchmark_writes_every_measurement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generation.json"

    assert main(["--sizes", "3", "--out", str(out)]) == 0

    report = json.loads(out.read_text(encoding="utf-8"))
    [result] = report["results"]
    assert result["resources"] == 3
    assert result["generated_files"] > 3 * 6
    assert set(result["seconds"]) == MEASUREMENTS
    assert all(seconds > 0 for seconds in result["seconds"].values())
    assert len(result["targets"]) == len(TARGETS)
    for target in result["targets"]:
        assert target["value"] > 0
        assert target["bound"] > 0
        assert isinstance(target["met"], bool)
    assert "first_response" in capsys.readouterr().out
