"""A warm ``specbase generate``: a server per project that one-off commands hand their run to.

A one-off run in a fresh process pays for Python's imports and datamodel-code-generator's
first run (1-1.5 s on two slow cores) before it does any work; a warm process regenerates
one changed spec among 200 in a fraction of that. So the first ``specbase generate``
runs as usual, then leaves a server behind: a detached process that imports everything,
warms datamodel-code-generator up and waits on a Unix socket. The next ``specbase
generate`` of the same project, with the same Python and import path, sends it the run
and prints what it answers; the server reads the specs, writes ``generated/`` and keeps
its cache in memory. It runs one request at a time, exactly the code a local run does.

It stops after ``SPECBASE_SERVER_IDLE`` seconds without a request (600 by default), when
its project folder is gone, on ``specbase server stop``, and when the generator's code or
the installed packages changed since it started: the command that finds it stale runs
locally and starts a fresh one. ``SPECBASE_SERVER=off`` (or ``--no-server``) keeps every
run local and starts nothing; so does a ``CI`` variable, unless ``SPECBASE_SERVER=on``.
Only POSIX systems have one (it needs Unix sockets and ``fcntl``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "IDLE_SECONDS",
    "Answer",
    "address",
    "enabled",
    "request",
    "start",
]

PROTOCOL = 1
IDLE_SECONDS = 600.0
# How long a command waits for an answer before it gives up and runs locally: long, since
# running locally while the server still writes would race it (a server warming up, or
# making every module of a large project, takes a while).
ANSWER_TIMEOUT_SECONDS = 600.0
_OFF = {"0", "off", "false", "no"}

# {"code": exit code, "stdout": text, "stderr": text}; or {"retry": why} when the command
# must run locally instead (the server was stale, or failed where a local run would tell).
Answer = dict[str, Any]


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``specbase generate`` may use (and start) a server."""
    if os.name != "posix" or not hasattr(socket, "AF_UNIX"):
        return False
    chosen = environ.get("SPECBASE_SERVER")
    if chosen is not None:
        return chosen.strip().lower() not in _OFF
    # A CI job's processes should end with it.
    return environ.get("CI", "").strip().lower() in {"", *_OFF}


def address(root: Path) -> Path | None:
    """The socket of ``root``'s server for this interpreter and import path; None when
    there is no private folder to keep it in.

    The folder is the user's runtime folder, else ``specbase-<uid>`` in the temporary one,
    made by and for this user alone (as tmux does): a folder that another user could
    write in would let them answer in the server's place.
    """
    key = "\0".join([sys.executable, str(root.resolve()), *sys.path])
    digest = hashlib.blake2b(key.encode(), digest_size=10).hexdigest()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        folder = Path(runtime)
    else:
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"specbase-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
        return None
    if status.st_mode & 0o077:  # not private
        return None
    return folder / f"{digest}.sock"


def request(root: Path, message: dict[str, Any]) -> Answer | None:
    """Send ``message`` to ``root``'s server; its answer, or None when none is running
    (or it went away without answering)."""
    path = address(root)
    if path is None:
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(ANSWER_TIMEOUT_SECONDS)
        try:
            connection.connect(str(path))
            connection.sendall(json.dumps({"protocol": PROTOCOL, **message}).encode() + b"\n")
            with connection.makefile("rb") as stream:
                line = stream.readline()
        except OSError:  # none listening, or it failed, or no answer in time
            return None
    try:
        answer: Answer = json.loads(line)
    except ValueError:
        return None
    return answer


def start(root: Path) -> None:
    """Start ``root``'s server in the background, detached from this command, unless one
    is already running (it then exits at once)."""
    import subprocess

    path = address(root)
    if path is None:
        return
    script = "import sys; sys.path[:] = sys.argv[3:]; from generator.serving import main; main()"
    subprocess.Popen(
        [sys.executable, "-c", script, str(root.resolve()), str(path), *sys.path],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # neither the terminal's Ctrl-C nor its end stops it
        close_fds=True,
    )
