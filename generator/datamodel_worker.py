"""datamodel-code-generator in a process of its own, started before it is needed.

A one-off ``specbase generate`` spends most of its time in datamodel-code-generator:
about 1.3 s importing it, then the run itself. In a process of its own, the import
happens while this one reads, checks and builds the specs, and the run while this one
writes the contract's YAML and formats the rest; the two cores both work. The worker
answers jobs (the document and the keyword options of its ``generate``, in JSON) one
line each, in order, until its input closes.

A process that already has the library loaded (``specbase generate --watch``, the
tests) calls it in-process instead: see :func:`generator.render.schemas.render_schemas`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from typing import Any

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
    """One datamodel-code-generator process; :meth:`close` ends it, used or not."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        """``options``: what the jobs will mostly pass (a first run warms up with them)."""
        # Its warnings and errors go to a file: a pipe nobody reads until the end would
        # stop the worker once full.
        self._errors = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, json.dumps(options or {})],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )
        self._lock = threading.Lock()
        # Set once a job is on its way: the caller's own work may then take the CPU.
        self.sent = threading.Event()

    def generate(
        self, document: dict[str, Any], options: dict[str, Any]
    ) -> str | dict[tuple[str, ...], str]:
        """What ``datamodel_code_generator.generate(document, **options)`` answers."""
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        job = json.dumps({"document": document, "options": options}) + "\n"
        with self._lock:
            try:  # a job sent before the import is done waits in the pipe
                process.stdin.write(job.encode())
                process.stdin.flush()
                self.sent.set()
                line = process.stdout.readline()
            except BrokenPipeError:
                raise self._failure() from None
        if not line:
            raise self._failure()
        answer = json.loads(line)
        if "single" in answer:
            single: str = answer["single"]
            return single
        return {tuple(path): code for path, code in answer["modules"]}

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        self._errors.close()

    def _failure(self) -> WorkerError:
        self._process.kill()
        self._process.wait()
        self._errors.seek(0)
        text = self._errors.read().decode(errors="replace").strip()
        return WorkerError(f"datamodel-code-generator failed:\n{text}")
