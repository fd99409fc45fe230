"""Spec errors are all collected, sorted, printed as ``file:line: key: message``, and stop
generation before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from specbase.cli.main import main
from tests.generator.support import OLD_MTIME_NS, age_files, mtimes, spec_errors, tree, write_specs

# Format errors in one file, field errors in another; `required` sits above `fields` so that
# the order the checks find them in is not the order of the lines.
_BAD_SPECS = {
    "beta.yaml": """\
        resource: Beta
        required: [size, nope]
        fields:
          id: {type: integer}
          size:
            type: integer
            minimum: 9
            maximum: 1
          code: {type: string, pattern: "("}
        """,
    "alpha.yaml": """\
        resource: Alpha
        fields:
          name:
            type: string
            format: ipv4
            maxlen: 3
        colour: red
        """,
}
_EXPECTED = [
    ("specs/alpha.yaml", 5, "fields.name.format"),
    ("specs/alpha.yaml", 6, "fields.name.maxlen"),
    ("specs/alpha.yaml", 7, "colour"),
    ("specs/beta.yaml", 2, "required[1]"),
    ("specs/beta.yaml", 4, "fields.id"),
    ("specs/beta.yaml", 7, "fields.size.minimum"),
    ("specs/beta.yaml", 9, "fields.code.pattern"),
]


def test_all_errors_are_collected_and_sorted(tmp_path: Path) -> None:
    errors = spec_errors(tmp_path, _BAD_SPECS)
    assert [(e.file, e.line, e.key) for e in errors] == _EXPECTED


@pytest.mark.parametrize("command", ["generate", "check"])
def test_cli_prints_every_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    write_specs(tmp_path, _BAD_SPECS)
    stale = tmp_path / "generated" / "openapi.yaml"
    stale.parent.mkdir()
    stale.write_text("# an older contract\n", encoding="utf-8")
    age_files(tmp_path)
    before = mtimes(tmp_path)

    assert main(["--root", str(tmp_path), command]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "specbase: 7 problems in the specs; nothing written:"
    assert len(lines) == 1 + len(_EXPECTED)
    for line, (file, number, key) in zip(lines[1:], _EXPECTED, strict=True):
        assert line.startswith(f"  {file}:{number}: {key}: ")
        assert len(line) > len(f"  {file}:{number}: {key}: ")  # and a message follows
    assert tree(tmp_path / "generated") == {"openapi.yaml": "# an older contract\n"}
    assert mtimes(tmp_path) == before
    assert set(before.values()) == {OLD_MTIME_NS}


def test_one_error_is_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_specs(tmp_path, {"x.yaml": "resource: Thing\nfields:\n  id: {type: string}\n"})
    assert main(["--root", str(tmp_path), "generate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "specbase: 1 problem in the specs; nothing written:",
        "  specs/x.yaml:3: fields.id: 'id' is reserved (server-managed or internal); rename it",
    ]
    assert not (tmp_path / "generated").exists()


def test_contract_command_writes_nothing_on_error(tmp_path: Path) -> None:
    write_specs(tmp_path, {"x.yaml": "resource: Thing\nfields:\n  a: {type: strng}\n"})
    output = tmp_path / "out" / "openapi.yaml"
    assert main(["--root", str(tmp_path), "contract", "-o", str(output)]) == 1
    assert not output.exists()


def test_yaml_error_in_one_file_does_not_hide_errors_in_others(tmp_path: Path) -> None:
    """Each file is checked on its own: a syntax error in one must not mask the others."""
    errors = spec_errors(
        tmp_path,
        {
            "a.yaml": "resource: Alpha\nfields:\n  a: {type: string}\n\tb: {type: string}\n",
            "b.yaml": "resource: Beta\nfields:\n  id: {type: string}\n",
        },
    )
    assert [(e.file, e.line, e.key) for e in errors] == [
        ("specs/a.yaml", 4, ""),
        ("specs/b.yaml", 3, "fields.id"),
    ]


def test_invalid_spec_does_not_cause_unknown_resource_errors_elsewhere(tmp_path: Path) -> None:
    """Image's relation is fine: Event exists, its spec only has a typo in a field type."""
    errors = spec_errors(
        tmp_path,
        {
            "event.yaml": "resource: Event\nfields:\n  name: {type: strng}\n"
            "relations:\n  images: {has_many: Image}\n",
            "image.yaml": "resource: Image\nfields:\n  url: {type: string}\n"
            "relations:\n  event: {belongs_to: Event}\n",
        },
    )
    assert [(e.file, e.line, e.key) for e in errors] == [
        ("specs/event.yaml", 3, "fields.name.type")
    ]
