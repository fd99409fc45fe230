"""Stage 1, load: read the YAML (and JSON) files of specs/ and remember where every key sits.

The data is plain JSON-like Python; positions map a key path such as
``("fields", "capacity", "maximum")`` to the 1-based line that holds it, so that
later stages can say ``specs/event.yaml:14``. What a file is (a resource spec, an
OpenAPI document, a fragment others refer to) is told later, by its content.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from generator.errors import SpecError, SpecErrors

if TYPE_CHECKING:
    from generator.cache import Cache

__all__ = ["KeyPath", "SourceDoc", "collect_specs", "load_specs"]

KeyPath = tuple[str | int, ...]
_STR_TAG = "tag:yaml.org,2002:str"

try:  # the C loader is several times faster on large specs
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class SourceDoc:
    """One spec file: its data and the line of every key in it."""

    path: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line_of(self, key_path: KeyPath) -> int:
        """The line of the deepest known key along ``key_path`` (1 if none is known)."""
        for end in range(len(key_path), 0, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return 1

    def error(self, key_path: KeyPath, message: str) -> SpecError:
        return SpecError(self.path, self.line_of(key_path), format_key(key_path), message)


def format_key(key_path: KeyPath) -> str:
    """``("fields", "tags", "items", 0)`` -> ``fields.tags.items[0]``."""
    out = ""
    for part in key_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_SUFFIXES = frozenset({".yaml", ".yml", ".json"})


def load_specs(spec_dir: Path, root: Path | None = None) -> list[SourceDoc]:
    """Load every ``*.yaml``/``*.yml``/``*.json`` file under ``spec_dir``, sorted by path."""
    docs, errors = collect_specs(spec_dir, root)
    if errors:
        raise SpecErrors(errors)
    return docs


def collect_specs(
    spec_dir: Path, root: Path | None = None, cache: Cache | None = None
) -> tuple[list[SourceDoc], list[SpecError]]:
    """The files that parse, and the errors of those that do not (so no file hides another).

    With a ``cache``, a file parsed by an earlier run, with the same path and text, is
    read from it (as JSON) instead of parsed again.
    """
    root = root or spec_dir.parent
    paths = sorted(p for p in spec_dir.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
    docs: list[SourceDoc] = []
    errors: list[SpecError] = []
    folders = (spec_dir.resolve(), root.resolve())
    for path in paths:
        shown = _display_path(path, spec_dir, folders)
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                # JSON is YAML but for tabs, which may only stand between tokens in JSON.
                text = text.replace("\t", " ")
            docs.append(_load_known(text, shown, cache))
        except SpecErrors as exc:
            errors.extend(exc.errors)
        except UnicodeDecodeError as exc:
            errors.append(SpecError(shown, 1, "", f"not UTF-8 text ({exc.reason})"))
    return docs, errors


# The files this process parsed, by path and text: a process that loads the specs again
# (``specbase generate --watch``) parses only the files that changed. Later stages may
# change a document's data, so each load gets data of its own.
_PARSED: dict[tuple[str, str], _Parsed] = {}
_PARSED_LIMIT = 10_000
_CACHE_KIND = "parsed-spec"


@dataclass(frozen=True)
class _Parsed:
    """A parsed file: its data as JSON when JSON holds it exactly (most specs), else the
    data itself (a YAML date, a NaN), copied for each load."""

    path: str
    lines: Mapping[KeyPath, int]
    json: bytes | None = None
    data: Any = None

    def load(self) -> SourceDoc:
        data = orjson.loads(self.json) if self.json is not None else copy.deepcopy(self.data)
        return SourceDoc(self.path, data, self.lines)


def _load_known(text: str, path: str, cache: Cache | None = None) -> SourceDoc:
    known = _PARSED.get((path, text))
    if known is None:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        known = _PARSED[(path, text)] = _parse_cached(text, path, cache)
    return known.load()


def _parse_cached(text: str, path: str, cache: Cache | None) -> _Parsed:
    from generator.cache import fingerprint

    key = fingerprint(path, text) if cache is not None else ""
    stored = cache.get(_CACHE_KIND, key) if cache is not None else None
    if stored is not None:  # the lines, then the data, in JSON (which has no raw newline)
        lines, _, data = stored.partition("\n")
        return _Parsed(path, {tuple(at): line for at, line in orjson.loads(lines)}, data.encode())
    doc = load_text(text, path)
    exact = _as_exact_json(doc.data)
    if exact is None:
        return _Parsed(doc.path, doc.lines, data=doc.data)
    if cache is not None:
        where = orjson.dumps([[list(at), line] for at, line in doc.lines.items()])
        cache.put(_CACHE_KIND, key, f"{where.decode()}\n{exact.decode()}")
    return _Parsed(doc.path, doc.lines, exact)


def _as_exact_json(data: Any) -> bytes | None:
    """``data`` as JSON, when reading that JSON gives ``data`` back exactly."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:  # a date, a key that is not a string, a huge integer
        return None
    return text if orjson.loads(text) == data else None  # NaN and infinities differ


def load_text(text: str, path: str) -> SourceDoc:
    """Parse one YAML document, keeping the line of every key and list item."""
    try:
        node, data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecErrors([SpecError(path, line, "", f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecErrors([SpecError(path, 1, "", f"invalid YAML: {exc}")]) from None
    lines: dict[KeyPath, int] = {}
    errors: list[SpecError] = []
    if node is not None:
        _walk(node, (), lines, errors, path)
    if errors:
        raise SpecErrors(errors)
    return SourceDoc(path, data, lines)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for lines) and its data, from one parse."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _walk(
    node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int], errors: list[SpecError], path: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*at, key)
            line = key_node.start_mark.line + 1
            if key_node.tag != _STR_TAG:
                kind = key_node.tag.rsplit(":", 1)[-1]
                message = f"YAML reads the key {key!r} as a {kind}; quote it: '{key}'"
                errors.append(SpecError(path, line, format_key(here), message))
            if key in seen:
                message = f"duplicate key {key!r}: YAML keeps only the last one; remove one"
                errors.append(SpecError(path, line, format_key(here), message))
            seen.add(key)
            lines[here] = line
            _walk(value_node, here, lines, errors, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*at, index)
            lines[here] = item.start_mark.line + 1
            _walk(item, here, lines, errors, path)


def _display_path(path: Path, spec_dir: Path, folders: tuple[Path, Path]) -> str:
    """``path`` (found under ``spec_dir``) from the project's root, where it really is.

    ``folders``: ``spec_dir`` and the root, resolved. Only the file itself can be a link
    (a recursive glob does not enter linked folders), so the rest is not resolved again.
    """
    resolved_dir, root = folders
    real = path.resolve() if path.is_symlink() else resolved_dir / path.relative_to(spec_dir)
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
