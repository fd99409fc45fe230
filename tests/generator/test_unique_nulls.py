"""A unique group's `nulls:` option: checked with file:line errors, rendered for each
database, and a warning from `generate` when a composite group with a nullable field
says nothing of its nulls."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.ir import Resource
from generator.pipeline import load_project
from specbase.cli.main import main as specbase
from tests.generator.support import render, spec_errors, write_specs

WAREHOUSE = "resource: Warehouse\nfields:\n  name: {type: string, maxLength: 50}\n"
SKU = """\
resource: Sku
fields:
  code: {type: string, maxLength: 40}
  note: {type: [string, "null"], maxLength: 40}
required: [code]
relations:
  warehouse: {belongs_to: Warehouse, nullable: true}
"""
LINE = SKU.count("\n") + 1  # the `unique:` line each case adds


@pytest.mark.parametrize(
    ("unique", "key", "message"),
    [
        ("[{fields: [code, warehouse_id], nuls: equal}]", "unique[0].nuls", "unknown key 'nuls'"),
        ("[{fields: [code, warehouse_id], nulls: same}]", "unique[0].nulls", "'same' is not one"),
        ("[{fields: [code, nope], nulls: equal}]", "unique[0].fields[1]", "'nope' is not a field"),
        ("[{nulls: equal}]", "unique[0]", "'fields' is a required property"),
        ("[code]", "unique[0]", "a unique entry is a list of fields, `[a, b]`, or `{fields:"),
        (
            "[{fields: [note, warehouse_id], nulls: equal}]",
            "unique[0].nulls",
            "`nulls: equal` needs a field that is never null in the group",
        ),
    ],
)
def test_a_bad_entry_is_an_error_at_its_line(
    tmp_path: Path, unique: str, key: str, message: str
) -> None:
    specs = {"sku.yaml": f"{SKU}unique: {unique}\n", "warehouse.yaml": WAREHOUSE}
    errors = spec_errors(tmp_path, specs)
    assert [(e.file, e.line, e.key) for e in errors] == [("specs/sku.yaml", LINE, key)]
    assert errors[0].message.startswith(message), errors[0].message


def _resource(tmp_path: Path, unique: str) -> Resource:
    write_specs(tmp_path, {"sku.yaml": f"{SKU}unique: {unique}\n", "warehouse.yaml": WAREHOUSE})
    return load_project(tmp_path).resource("Sku")


def test_nulls_equal_is_kept_only_where_a_field_may_be_null(tmp_path: Path) -> None:
    sku = _resource(tmp_path, "[{fields: [code, warehouse_id], nulls: equal}, "
                              "{fields: [code], nulls: equal}, [note, code]]")  # fmt: skip
    assert sku.nulls_equal == ("uq_skus_code_warehouse_id",)
    assert [cols for _, cols in sku.unique] == [
        ("code", "warehouse_id"),
        ("code",),
        ("note", "code"),
    ]


@pytest.mark.parametrize(
    ("unique", "warned"),
    [
        ("[[code, warehouse_id]]", ["unique [code, warehouse_id]: rows where warehouse_id"]),
        ("[[note, code, warehouse_id]]", ["rows where note or warehouse_id is null"]),
        ("[{fields: [code, warehouse_id]}]", ["unique [code, warehouse_id]"]),
        ("[{fields: [code, warehouse_id], nulls: distinct}]", []),
        ("[{fields: [code, warehouse_id], nulls: equal}]", []),
        ("[[note]]", []),  # one nullable field: that nulls never conflict is what one expects
    ],
)
def test_generate_warns_of_a_nullable_field_whose_nulls_are_unstated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unique: str, warned: list[str]
) -> None:
    write_specs(tmp_path, {"sku.yaml": f"{SKU}unique: {unique}\n", "warehouse.yaml": WAREHOUSE})
    assert specbase(["--root", str(tmp_path), "generate", "--no-server", "--no-cache"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(warned), lines
    for line, fragment in zip(lines, warned, strict=True):
        assert line.startswith(f"specbase: warning: specs/sku.yaml:{LINE}: "), line
        assert fragment in line, line
        assert "nulls: equal" in line, line


def test_sqlite_gets_an_index_per_set_of_fields_null_together(tmp_path: Path) -> None:
    unique = "unique: [{fields: [code, note, warehouse_id], nulls: equal}]\n"
    write_specs(tmp_path, {"sku.yaml": SKU + unique, "warehouse.yaml": WAREHOUSE})
    models = render(tmp_path).files["generated/sku/models.py"]
    assert "postgresql_nulls_not_distinct=True" in models
    wheres = {
        "uq_skus_code_warehouse_id_where_note_null": 'column("note").is_(None)',
        "uq_skus_code_note_where_warehouse_id_null": 'column("warehouse_id").is_(None)',
        "uq_skus_code_where_note_warehouse_id_null": (
            'and_(column("note").is_(None), column("warehouse_id").is_(None))'
        ),
    }
    for name, where in wheres.items():
        assert f'"{name}"' in models, models
        assert f"sqlite_where={where}" in models, models
    assert models.count('.ddl_if(dialect="sqlite")') == 3, models
