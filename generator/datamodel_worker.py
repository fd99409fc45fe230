"""datamodel-code-generator in a process of its own, started before it is needed.

A one-off ``specbase generate`` spends most of its time in datamodel-code-generator:
about 1.3 s importing it, then the run itself. In a process of its own, the import
happens while this one reads, checks and builds the specs, and the run while this one
writes the contract's YAML and formats the rest; the two cores both work. The worker
answers jobs (the document and the keyword options of its ``generate``, in JSON) one
line each, in order, until its input closes. A run that makes every schema module
starts one process per core, each making a part of the contract (see
:func:`generator.render.schemas.render_schemas`).

A process that already has the library loaded (``specbase generate --watch``, the
tests) calls it in-process instead: see :func:`generator.render.schemas.render_schemas`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any

__all__ = ["DatamodelWorker", "WorkerError"]

# Each output is {"single": code} (one module) or {"modules": [[path parts, code], ...]}.
_SCRIPT = """\
import json, sys
from datamodel_code_generator import generate

# Its first run imports most of it: done on a small document while no job is waiting.
options = json.loads(sys.argv[1])
if options:
    warm = {"type": "object", "properties": {"x": {"type": "string"}}}
    generate({"openapi": "3.1.0", "info": {"title": "warm", "version": "1"}, "paths": {},
              "components": {"schemas": {"a.A": warm, "b.B": warm}}}, **options)
for line in sys.stdin:
    job = json.loads(line)
    output = generate(job["document"], **job["options"])
    if isinstance(output, str):
        answer = {"single": output}
    else:
        answer = {"modules": [[list(path), code] for path, code in output.items()]}
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
"""


class WorkerError(RuntimeError):
    """The worker process failed; its own error output is in the message."""


class DatamodelWorker:
    """datamodel-code-generator processes (one by default); :meth:`close` ends them, used
    or not. Several take parts of one document at once (see ``generate_many``)."""

    def __init__(self, options: dict[str, Any] | None = None, processes: int = 1) -> None:
        """``options``: what the jobs will mostly pass (a first run warms up with them)."""
        self._options = json.dumps(options or {})
        self._errors: list[IO[bytes]] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        # Set once the jobs are on their way: the caller's own work may then take the CPU.
        self.sent = threading.Event()
        self.add_processes(max(1, processes))

    @property
    def processes(self) -> int:
        return len(self._processes)

    def add_processes(self, count: int) -> None:
        """Start ``count`` more processes (none when it is 0 or less)."""
        for _ in range(count):
            # Its warnings and errors go to a file: a pipe nobody reads until the end would
            # stop the worker once full.
            errors = tempfile.TemporaryFile()
            self._errors.append(errors)
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", _SCRIPT, self._options],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                )
            )

    def generate(
        self, document: dict[str, Any], options: dict[str, Any]
    ) -> str | dict[tuple[str, ...], str]:
        """What ``datamodel_code_generator.generate(document, **options)`` answers."""
        return self.generate_many([(document, options)])[0]

    def generate_many(
        self, jobs: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[str | dict[tuple[str, ...], str]]:
        """The answers to ``jobs`` (documents and options), one process each, at once."""
        if len(jobs) > len(self._processes):
            raise ValueError(f"{len(jobs)} jobs for {len(self._processes)} processes")
        lines = [(json.dumps({"document": d, "options": o}) + "\n").encode() for d, o in jobs]
        with self._lock:
            for index, line in enumerate(lines):
                stdin = self._processes[index].stdin
                assert stdin is not None
                try:  # a job sent before the import is done waits in the pipe
                    stdin.write(line)
                    stdin.flush()
                except BrokenPipeError:
                    raise self._failure(index) from None
            self.sent.set()
            answers = []
            for index in range(len(lines)):
                stdout = self._processes[index].stdout
                assert stdout is not None
                answer = stdout.readline()
                if not answer:
                    raise self._failure(index)
                answers.append(answer)
        return [_output(json.loads(answer)) for answer in answers]

    def close(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
        for errors in self._errors:
            errors.close()

    def _failure(self, index: int) -> WorkerError:
        process = self._processes[index]
        process.kill()
        process.wait()
        errors = self._errors[index]
        errors.seek(0)
        text = errors.read().decode(errors="replace").strip()
        return WorkerError(f"datamodel-code-generator failed:\n{text}")


def _output(answer: dict[str, Any]) -> str | dict[tuple[str, ...], str]:
    if "single" in answer:
        single: str = answer["single"]
        return single
    return {tuple(path): code for path, code in answer["modules"]}
