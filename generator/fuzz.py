"""``specbase fuzz``: schemathesis' own CLI against a served app, for long runs.

The test suite runs schemathesis in-process for a bounded number of examples; this
runs it over real HTTP, every check and every phase, for as long as the user wants.
The only configuration it adds says which refusals of schema-valid requests are the
contract's own (see :func:`acceptance_overrides`); the tests use the same.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.ir import OperationKind, Project

__all__ = [
    "PHASES",
    "FuzzRun",
    "acceptance_overrides",
    "config_toml",
    "fuzz",
    "schemathesis_command",
]

PHASES = "examples,coverage,fuzzing,stateful"
# What a schema-valid request may answer besides success: a missing row, a conflict,
# rate limiting. Not 401/403 (the API has no authentication), and not 5xx, which
# not_a_server_error reports on its own.
_ACCEPTED = ("2xx", "3xx", "404", "409", "429")
_LISTS = frozenset((OperationKind.LIST, OperationKind.LIST_RELATED))
# The writes whose body may name a row that does not exist.
_WRITES = frozenset((OperationKind.CREATE, OperationKind.REPLACE, OperationKind.UPDATE,
                     OperationKind.BULK_CREATE))  # fmt: skip


def acceptance_overrides(project: Project) -> list[dict[str, Any]]:
    """Per-operation ``positive_data_acceptance`` settings, in schemathesis' config shape.

    Three refusals of schema-valid requests are documented and depend on data that no
    schema can describe: a list answers 400 to a cursor no page answered (any text of a
    cursor's shape is schema-valid); a write with a reference answers 422 when the referenced row
    does not exist (any positive id is schema-valid, and the stateful phase deletes
    parents whose ids its links still carry); and a change whose If-Match names
    another version than the row's answers 412.
    """
    extra: dict[str, set[str]] = {}
    for resource in project.resources:
        references = any(field.foreign_key is not None for field in resource.fields)
        for op in resource.endpoints:
            statuses = extra.setdefault(op.id, set())
            if op.kind in _LISTS:
                statuses.add("400")
            if references and op.kind in _WRITES:
                statuses.add("422")
            if 412 in op.errors:
                # A stale If-Match is schema-valid; the answer is 412 and nothing changes.
                statuses.add("412")
    groups: dict[tuple[str, ...], list[str]] = {}
    for op_id, statuses in sorted(extra.items()):
        if not statuses:
            continue
        groups.setdefault(tuple(sorted(statuses)), []).append(op_id)
    return [
        {
            "include-operation-id-regex": "^(?:" + "|".join(map(re.escape, ids)) + ")$",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, *statuses]}},
        }
        for statuses, ids in sorted(groups.items())
    ]


def config_toml(overrides: Sequence[Mapping[str, Any]]) -> str:
    """``overrides`` as a ``schemathesis.toml`` of ``[[operations]]`` tables."""
    lines = ["# Written by `specbase fuzz` for one run."]
    for override in overrides:
        lines += ["", "[[operations]]"]
        # A JSON string or list of strings is a TOML one too.
        lines += [f"{key} = {json.dumps(value)}" for key, value in _dotted(override)]
    return "\n".join(lines) + "\n"


def _dotted(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@dataclass(frozen=True)
class FuzzRun:
    """One ``schemathesis run`` of the contract against the server at ``url``."""

    contract: Path
    url: str
    max_examples: int | None = None
    workers: str | None = None  # a number, or "auto"
    seed: int | None = None
    duration: int | None = None  # seconds
    extra: tuple[str, ...] = ()


def schemathesis_command(run: FuzzRun, config: Path) -> list[str]:
    """The command line: every check, every phase, valid and invalid data."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)]
    command += ["run", str(run.contract), "--url", run.url]
    command += ["--checks", "all", "--phases", PHASES, "--mode", "all"]
    options = {
        "--max-examples": run.max_examples,
        "--workers": run.workers,
        "--seed": run.seed,
        "--max-time": run.duration,
    }
    for option, value in options.items():
        if value is not None:
            command += [option, str(value)]
    return [*command, *run.extra]


def fuzz(project: Project, run: FuzzRun) -> int:
    """Run schemathesis with the project's overrides and answer its exit code."""
    with tempfile.TemporaryDirectory(prefix="specbase-fuzz-") as folder:
        config = Path(folder) / "schemathesis.toml"
        config.write_text(config_toml(acceptance_overrides(project)), encoding="utf-8")
        return subprocess.run(schemathesis_command(run, config), check=False).returncode
