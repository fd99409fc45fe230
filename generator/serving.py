"""The server process of :mod:`generator.server`: warm, one request at a time, until idle.

Started by :func:`generator.server.start` as ``main()`` with the project folder and the
socket's path as arguments. Its output goes nowhere: what a run prints is captured and sent
to the command that asked for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from generator.emit import OnDisk
from generator.server import IDLE_SECONDS, PROTOCOL, Answer

if TYPE_CHECKING:
    from generator.cache import Cache

__all__ = ["Server", "code_state", "main"]

# How often an idle server wakes to see whether its time or its project is gone.
_POLL_SECONDS = 30.0
_GENERATOR = Path(__file__).resolve().parent


def main() -> None:
    root, path = Path(sys.argv[1]), Path(sys.argv[2])
    try:
        idle = float(os.environ.get("SPECBASE_SERVER_IDLE", IDLE_SECONDS))
    except ValueError:
        idle = IDLE_SECONDS
    Server(root, path, idle).run()


def code_state() -> list[tuple[str, int, int]]:
    """What a change of the code a run executes would change: the generator's files, and
    the package folders of the import path (installing, upgrading or removing a package
    changes the entries of its folder, and so its modification time). Other folders of the
    import path, such as the project's own, change with every file made in them."""
    state = []
    for folder, subfolders, names in os.walk(_GENERATOR):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            state.append((os.path.join(folder, name), stat.st_mtime_ns, stat.st_size))
    for entry in sys.path:
        if os.path.basename(entry) not in _PACKAGE_FOLDERS:
            continue
        with contextlib.suppress(OSError):
            stat = os.stat(entry)
            state.append((entry, stat.st_mtime_ns, 0))
    return sorted(state)


_PACKAGE_FOLDERS = frozenset(("site-packages", "dist-packages"))


class Server:
    """``root``'s server on the Unix socket ``path``; :meth:`run` returns when it stops."""

    def __init__(
        self, root: Path, path: Path, idle: float = IDLE_SECONDS, *, freeze: bool = True
    ) -> None:
        """``freeze`` (its own process) leaves what warming up loaded out of later garbage
        collections."""
        self.root = root
        self.path = path
        self.idle = idle
        self.freeze = freeze
        self._code = code_state()
        self._on_disk = OnDisk()
        self._cache: Cache | None = None
        self._cache_stat: tuple[int, int, int] | None = None
        # Whether a run succeeded since the cache was last saved: a cache keeps only what
        # its last run used, and a failed run used little of it.
        self._unsaved = False

    def run(self) -> None:
        lock = _lock(self.path.with_suffix(".lock"))
        if lock is None:  # another server has this socket (two commands started one each)
            return
        with lock:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            bound = None
            try:
                self.path.unlink(missing_ok=True)  # left by a server that was killed
                mask = os.umask(0o177)  # the owner's alone: it writes their files
                try:
                    listener.bind(str(self.path))
                finally:
                    os.umask(mask)
                listener.listen(16)  # commands that come while it warms up wait their turn
                bound = os.stat(self.path).st_ino
                with contextlib.suppress(Exception):  # a run will meet it, and send it back
                    self._warm_up()
                self._serve(listener)
            finally:
                listener.close()
                with contextlib.suppress(OSError):
                    if bound is not None and os.stat(self.path).st_ino == bound:
                        self.path.unlink()
                os.unlink(lock.name)  # while it is held: see _lock

    def _warm_up(self) -> None:
        """Import and run everything a regeneration runs once, so the first one is warm."""
        from generator.emit import plan_changes
        from generator.errors import SpecErrors
        from generator.pipeline import render_project
        from generator.render.schemas import warm_up

        warm_up()
        with contextlib.suppress(SpecErrors):  # the first request will tell of them
            generated = render_project(self.root, self._project_cache())
            plan_changes(self.root, generated.files, self._on_disk)  # reads generated/
        if self.freeze:  # what is loaded now lives as long as the process
            gc.collect()
            gc.freeze()

    def _serve(self, listener: socket.socket) -> None:
        listener.settimeout(min(self.idle, _POLL_SECONDS))
        last = time.monotonic()
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                if time.monotonic() - last >= self.idle or not self.root.is_dir():
                    return
                continue
            with connection:
                connection.settimeout(_POLL_SECONDS)
                keep = self._handle(connection)
            if not keep:
                return
            self._after_run()
            last = time.monotonic()

    def _handle(self, connection: socket.socket) -> bool:
        """Answer one request; False when the server must stop after it."""
        try:
            with connection.makefile("rb") as stream:
                message: dict[str, Any] = json.loads(stream.readline())
        except (OSError, ValueError):
            return True  # a broken request: nobody waits for an answer
        command = message.get("command")
        keep = True
        if message.get("protocol") != PROTOCOL:
            answer: Answer = {"retry": "the server speaks another protocol"}
            keep = False
        elif command == "stop":
            answer = _said(f"specbase: stopped the server of {self.root}")
            keep = False
        elif command == "status":
            answer = _said(f"specbase: a server (pid {os.getpid()}) serves {self.root}")
        elif command != "generate":
            answer = {"retry": f"unknown command {command!r}"}
        elif code_state() != self._code or not self.root.is_dir():
            answer = {"retry": "the server's code or packages changed since it started"}
            keep = False
        else:
            answer = self._generate(message)
            keep = "retry" not in answer
        with contextlib.suppress(OSError):  # the command may have given up waiting
            connection.sendall(json.dumps(answer).encode() + b"\n")
        return keep

    def _generate(self, message: dict[str, Any]) -> Answer:
        from generator.errors import SpecErrors
        from generator.generate import generate_once
        from generator.watch import report_problems

        stdout, stderr = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        here = os.getcwd()
        gc.disable()  # a run allocates much and frees it all: one collection after it
        try:
            os.chdir(message["cwd"])  # paths in messages read as the command's would
            cache = self._project_cache() if message.get("cache", True) else None
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    summary = generate_once(self.root, cache, save=False, on_disk=self._on_disk)
                except SpecErrors as exc:
                    report_problems(exc)
                    return {"code": 1, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}
        except Exception:  # a local run will meet (and show) the same failure, or not
            return {"retry": traceback.format_exc()}
        finally:
            gc.enable()
            os.chdir(here)
        self._unsaved = cache is not None
        took = time.perf_counter() - started
        line = f"{summary} ({took:.2f}s, warm server)\n"
        return {"code": 0, "stdout": stdout.getvalue() + line, "stderr": stderr.getvalue()}

    def _after_run(self) -> None:
        """What the command need not wait for: saving the cache, collecting garbage."""
        if self._cache is not None and self._unsaved:
            self._cache.save()
            self._cache_stat = _stat(self._cache.file)
            self._unsaved = False
        gc.collect()

    def _project_cache(self) -> Cache:
        """The project's cache, kept in memory between runs; read again when another
        process (a local run, a watcher) rewrote it since."""
        from generator.cache import CACHE_DIR, Cache

        if self._cache is None or _stat(self._cache.file) != self._cache_stat:
            self._cache = Cache(self.root / CACHE_DIR)
            self._cache_stat = _stat(self._cache.file)
        return self._cache


def _lock(path: Path) -> IO[str] | None:
    """The lock file ``path``, opened and locked; None when another process holds it.

    A server removes its lock file as it stops, still holding it; one that locked the file
    just before then holds a file no longer there, and tries again.
    """
    while True:
        lock = open(path, "a")  # the caller closes it
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
        try:
            if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
                return lock
        except FileNotFoundError:
            pass
        lock.close()


def _said(text: str) -> Answer:
    return {"code": 0, "stdout": text + "\n", "stderr": ""}


def _stat(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)
