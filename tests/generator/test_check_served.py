"""`specbase check` also fails when the app would not serve the published contract."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import app.core.http.openapi
import app.main
from specbase.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_check_passes_when_the_app_serves_the_contract(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check"]) == 0
    assert "serves the contract unchanged" in capsys.readouterr().out


def test_check_fails_when_the_served_document_drifts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = app.core.http.openapi.served_openapi

    def drifted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        served = copy.deepcopy(real(*args, **kwargs))
        served["paths"]["/events"]["get"]["parameters"][0]["schema"]["maximum"] = 5
        del served["components"]["schemas"]["ImagePage"]
        return served

    monkeypatch.setattr(app.main, "served_openapi", drifted)
    monkeypatch.chdir(ROOT)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "GET /events: not served as published" in err
    assert "components.schemas.ImagePage: not served as published" in err
    assert "POST /events" not in err
