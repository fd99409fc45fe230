"""The schemathesis configuration and command line of ``specbase fuzz``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import schemathesis

from generator.fuzz import FuzzRun, acceptance_overrides, config_toml, schemathesis_command
from generator.pipeline import load_project
from specbase.cli.main import main, parser
from tests.generator.support import GOLDEN, write_specs


def _accepting(pattern: str, *statuses: str) -> dict[str, object]:
    expected = ["2xx", "3xx", "404", "409", "429", *statuses]
    return {
        "include-operation-id-regex": pattern,
        "checks": {"positive_data_acceptance": {"expected-statuses": expected}},
    }


def test_overrides_name_lists_writes_with_a_reference_and_versioned_changes() -> None:
    """Lists (nested ones too) may answer 400 to a cursor, writes with a reference 422 to a
    missing row, and changes of a versioned resource 412 to a stale If-Match."""
    overrides = acceptance_overrides(load_project(GOLDEN / "every_type"))
    assert overrides == [
        _accepting("^(?:list_owner_samples|list_owners|list_samples)$", "400"),
        _accepting("^(?:delete_owner|delete_sample|replace_owner|update_owner)$", "412"),
        _accepting("^(?:replace_sample|update_sample)$", "412", "422"),
        _accepting("^(?:create_sample)$", "422"),
    ]


def test_only_declared_operations_are_named() -> None:
    overrides = acceptance_overrides(load_project(GOLDEN / "relations_uuid"))
    patterns = [override["include-operation-id-regex"] for override in overrides]
    # Documents are only listed, read and created: no 412 for them.
    assert patterns == [
        "^(?:list_documents|list_folder_documents|list_folders)$",
        "^(?:delete_folder|replace_folder|update_folder)$",
        "^(?:create_document)$",
    ]


def test_unversioned_resources_never_expect_412_and_bulk_creates_may_answer_422(
    tmp_path: Path,
) -> None:
    write_specs(
        tmp_path,
        {
            "group.yaml": """\
                resource: Group
                fields: {name: {type: string, maxLength: 20}}
                versioned: false
                operations: [get, create]
            """,
            "tag.yaml": """\
                resource: Tag
                fields: {name: {type: string, maxLength: 20}}
                relations: {group: {belongs_to: Group}}
                versioned: false
                operations: [list, create, delete]
                bulk_create: {max_items: 10}
            """,
        },
    )
    overrides = acceptance_overrides(load_project(tmp_path))
    assert overrides == [
        _accepting("^(?:list_tags)$", "400"),
        _accepting("^(?:bulk_create_tag|create_tag)$", "422"),
    ]


def test_the_config_file_is_the_overrides_and_schemathesis_reads_it(tmp_path: Path) -> None:
    overrides = acceptance_overrides(load_project(GOLDEN / "every_type"))
    text = config_toml(overrides)
    assert tomllib.loads(text) == {"operations": overrides}
    path = tmp_path / "schemathesis.toml"
    path.write_text(text, encoding="utf-8")
    config = schemathesis.Config.from_path(path)
    assert len(config.projects.default.operations.operations) == len(overrides) == 4


def test_the_command_runs_every_check_and_phase() -> None:
    run = FuzzRun(Path("generated/openapi.yaml"), "http://127.0.0.1:8000")
    command = schemathesis_command(run, Path("/tmp/st.toml"))
    assert command == [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        "/tmp/st.toml",
        "run",
        "generated/openapi.yaml",
        "--url",
        "http://127.0.0.1:8000",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
    ]


def test_the_cli_passes_its_options_and_what_follows_the_double_dash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[list[str], str]] = []

    def run(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        assert check is False
        config = command[command.index("--config-file") + 1]
        calls.append((command, Path(config).read_text("utf-8")))
        return subprocess.CompletedProcess(command, 3)

    monkeypatch.setattr(subprocess, "run", run)
    root = GOLDEN / "every_type"
    argv = ["--root", str(root), "fuzz", "--url", "http://api:9000", "--max-examples", "50"]
    argv += ["--workers", "auto", "--seed", "7", "--duration", "600"]
    argv += ["--", "--exclude-checks", "use_after_free"]
    assert main(argv) == 3  # schemathesis' exit code
    [(command, config)] = calls
    assert command[6:9] == [str(root / "generated" / "openapi.yaml"), "--url", "http://api:9000"]
    assert command[15:] == [
        "--max-examples",
        "50",
        "--workers",
        "auto",
        "--seed",
        "7",
        "--max-time",
        "600",
        "--exclude-checks",
        "use_after_free",
    ]
    assert tomllib.loads(config) == {"operations": acceptance_overrides(load_project(root))}
    assert not Path(command[4]).exists(), "the config file outlived the run"


def test_defaults() -> None:
    args = parser().parse_args(["fuzz"])
    assert (args.url, args.max_examples, args.workers, args.seed, args.duration) == (
        "http://127.0.0.1:8000",
        None,
        None,
        None,
        None,
    )
    assert args.extra == []
