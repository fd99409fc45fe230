"""Fields named like what a model module imports (``text``, ``date``, ``mapped_column``...).

A field is a class attribute of its model: the statements after it, and SQLAlchemy when it
resolves the ``Mapped[...]`` annotations in the class namespace, would find the column
instead of the import. The generated model imports such names under an alias, so it
still imports, with every column as the spec says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.pipeline import render_project
from tests.generator.support import ROOT, render, write_specs

SPEC = """\
    resource: Clash
    fields:
      text: {type: string, maxLength: 50}
      mapped_column: {type: string, maxLength: 5}
      date: {type: string, format: date}
      datetime: {type: string, format: date-time}
      utcnow: {type: string, maxLength: 5}
      'false': {type: boolean, default: false}
      'true': {type: boolean, default: true}
      enum_column: {type: integer, default: 3}
      mood: {type: string, enum: [happy, sad], default: happy}
      flag: {type: boolean, default: false}
      ratio: {type: number, default: 0.5}
    required: [text, datetime]
    list:
      sort: [text, datetime]
"""

# Imports the generated model in a fresh interpreter and prints each column as JSON.
_DESCRIBE = """\
import json
from sqlalchemy.orm import configure_mappers
from generated.clash.models import Clash
configure_mappers()
print(json.dumps({
    column.name: [
        type(column.type).__name__,
        column.nullable,
        None if column.server_default is None else str(column.server_default.arg),
        column.default is not None,
    ]
    for column in Clash.__table__.columns
}))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of the spec above, its generated/ written out."""
    root = write_specs(tmp_path_factory.mktemp("clash"), {"clash.yaml": SPEC})
    for path, text in render_project(root).files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def models(project: Path) -> str:
    return (project / "generated" / "clash" / "models.py").read_text("utf-8")


@pytest.fixture(scope="module")
def columns(project: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _DESCRIBE],
        capture_output=True,
        check=False,
        cwd=project,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(project), str(ROOT)))},
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_shadowed_names_are_imported_under_an_alias(models: str) -> None:
    for line in (
        "from datetime import date as _date",
        "from datetime import datetime as _datetime",
        "from sqlalchemy import false as _false",
        "from sqlalchemy import true as _true",
        "from sqlalchemy.orm import mapped_column as _mapped_column",
        "from app.core.data.database import enum_column as _enum_column",
        "from app.core.data.database import utcnow as _utcnow",
        "    text: Mapped[str] = _mapped_column(ExactString(50))",
        "    date: Mapped[_date | None] = _mapped_column(Date())",
        "    datetime: Mapped[_datetime] = _mapped_column(UTCDateTime())",
        "    false: Mapped[bool] = _mapped_column(Boolean(), server_default=_false())",
        '    ratio: Mapped[float] = _mapped_column(Double(), server_default=_text("0.5"))',
        "    created_at: Mapped[_datetime] = _mapped_column(UTCDateTime(), default=_utcnow)",
        '        Index("ix_clashes_text_id", "text", "id"),',
    ):
        assert line in models, line
    assert "import text as _text" in models


def test_a_model_without_clashes_keeps_the_plain_names() -> None:
    models = render(ROOT).files["generated/event/models.py"]
    assert " as _" not in models
    assert "from sqlalchemy.orm import Mapped, mapped_column" in models


def test_the_model_imports_with_the_columns_of_the_spec(columns: dict[str, Any]) -> None:
    # [column type, nullable, server default, Python default]
    assert columns == {
        "id": ["BigInteger", False, None, False],
        "text": ["ExactString", False, None, False],
        "mapped_column": ["ExactString", True, None, False],
        "date": ["Date", True, None, False],
        "datetime": ["UTCDateTime", False, None, False],
        "utcnow": ["ExactString", True, None, False],
        "false": ["Boolean", False, "false", False],
        "true": ["Boolean", False, "true", False],
        "enum_column": ["BigInteger", False, "3", False],
        "mood": ["Enum", False, "happy", False],
        "flag": ["Boolean", False, "false", False],
        "ratio": ["Double", False, "0.5", False],
        "created_at": ["UTCDateTime", False, None, True],
        "updated_at": ["UTCDateTime", False, None, True],
        "version": ["BigInteger", False, "1", False],
    }
