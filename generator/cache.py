"""A cache of the pipeline's costly pure steps, so that regenerating redoes only what changed.

Each entry maps a fingerprint of *every* input of one step (a contract fragment, the schemas
one Pydantic module is made from, a file's unformatted text) to that step's output. A changed
input is a new key, never a stale hit. What no key holds — the generator's own code and the
versions of the libraries it calls — is the cache's *salt*: when it differs, the whole cache
is ignored. The cache is one JSON file under ``.specbase-cache/``, rewritten (atomically,
with only the entries the run used) when the run added or dropped any.
"""

from __future__ import annotations

import hashlib
import sys
from functools import cache
from pathlib import Path
from typing import Any

import orjson

__all__ = ["CACHE_DIR", "Cache", "fingerprint", "generator_salt", "has_cache"]

CACHE_DIR = ".specbase-cache"
_FILE = "cache.json"
_FORMAT = 1  # of the file itself
# The libraries whose output lands in generated/ (ruff formats it; orjson makes the keys).
_LIBRARIES = ("datamodel-code-generator", "ruff", "pyyaml", "pydantic", "orjson")
_GENERATOR = Path(__file__).resolve().parent


def has_cache(root: Path) -> bool:
    """Whether the project ``root`` has a cache file (from which a run can start)."""
    return (root / CACHE_DIR / _FILE).is_file()


def fingerprint(*parts: Any) -> str:
    """A digest of JSON-like ``parts``: order, types and every value count."""
    return hashlib.blake2b(orjson.dumps(parts), digest_size=20).hexdigest()


@cache
def generator_salt() -> str:
    """A digest of the generator's source files and of the versions of what it runs."""
    from importlib import metadata  # here: a command that only looks for the cache is quick

    digest = hashlib.blake2b(digest_size=20)
    for path in sorted(_GENERATOR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_GENERATOR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for library in _LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{library}={version}\0".encode())
    digest.update(f"python={sys.version_info[0]}.{sys.version_info[1]}\0".encode())
    return digest.hexdigest()


class Cache:
    """``{kind: {key: text}}`` read from ``folder``; :meth:`save` keeps what this run used."""

    def __init__(self, folder: Path | None, salt: str | None = None) -> None:
        self.folder = folder
        self.salt = salt if salt is not None else generator_salt()
        self._stored: dict[str, dict[str, str]] = self._read()
        self._used: dict[str, dict[str, str]] = {}
        # What the file holds, as read or last written (a later run's finds are in _stored).
        self._in_file = {kind: dict(entries) for kind, entries in self._stored.items()}
        self.hits = 0
        self.misses = 0

    @classmethod
    def in_memory(cls) -> Cache:
        """A cache that lives as long as the object: nothing is read or written."""
        return cls(None)

    @property
    def empty(self) -> bool:
        """Whether it holds nothing (none was found, or one of another generator)."""
        return not self._stored and not self._used

    @property
    def file(self) -> Path | None:
        """Where the cache is kept (None for one in memory)."""
        return None if self.folder is None else self.folder / _FILE

    def get(self, kind: str, key: str) -> str | None:
        text = self._used.get(kind, {}).get(key)
        if text is None:
            text = self._stored.get(kind, {}).get(key)
            if text is not None:
                self._used.setdefault(kind, {})[key] = text
        if text is None:
            self.misses += 1
        else:
            self.hits += 1
        return text

    def put(self, kind: str, key: str, text: str) -> None:
        self._used.setdefault(kind, {})[key] = text

    def next_run(self) -> None:
        """Start another run in this process: what the last one used is kept (saved or
        not) for this one to find, and only what this one uses will be saved."""
        for kind, entries in self._used.items():
            self._stored.setdefault(kind, {}).update(entries)
        self._used = {}

    def save(self) -> None:
        """Write the entries this run used, when they differ from what the file holds."""
        if self.folder is None or self._used == self._in_file:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():  # the cache is never committed, whatever the project ignores
            ignore.write_text("*\n", encoding="utf-8")
        data = {"format": _FORMAT, "salt": self.salt, "entries": self._used}
        target = self.folder / _FILE
        tmp = target.with_name(f".{_FILE}.tmp")
        tmp.write_bytes(orjson.dumps(data))
        tmp.replace(target)
        self._stored = {kind: dict(entries) for kind, entries in self._used.items()}
        self._in_file = {kind: dict(entries) for kind, entries in self._used.items()}

    def _read(self) -> dict[str, dict[str, str]]:
        if self.folder is None:
            return {}
        try:
            data = orjson.loads((self.folder / _FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}  # no cache yet, or a damaged one: start afresh
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return {}
        if data.get("salt") != self.salt or not isinstance(data.get("entries"), dict):
            return {}
        entries: dict[str, dict[str, str]] = data["entries"]
        return entries
