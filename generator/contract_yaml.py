"""The contract as YAML, exactly as :func:`generator.contract.dump_contract` writes it, faster.

Two things make it faster: libyaml's C emitter, and dumping the document piece by piece —
each path item and each schema on its own — so that a piece whose content did not change
comes from the cache. A piece is dumped inside as many dummy mappings as it is deep and
those lines are cut off, which puts it at its own indentation and folds its long lines at
the same columns as a dump of the whole document would.
"""

from __future__ import annotations

from typing import Any

import yaml

from generator.cache import Cache, fingerprint
from generator.contract import CONTRACT_HEADER, dump_contract

__all__ = ["dump_contract_cached"]

_KIND = "contract-yaml"
# Mappings are split down to this depth: paths -> path item, components -> schemas -> schema.
_SPLIT_DEPTH = 2

try:
    _Base: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeDumper


class _Dumper(_Base):  # type: ignore[valid-type,misc,unused-ignore]
    """As :mod:`generator.contract`'s dumper: shared sub-trees are written out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        del data
        return True


class _NotSplittable(Exception):
    """A piece that does not stand alone (never seen in a contract): dump it whole."""


def dump_contract_cached(contract: dict[str, Any], cache: Cache | None = None) -> str:
    """``dump_contract(contract)``, byte for byte; pieces seen before come from ``cache``."""
    pieces = cache if cache is not None else Cache.in_memory()
    try:
        return CONTRACT_HEADER + "".join(_entries(contract, 0, pieces))
    except _NotSplittable:
        return dump_contract(contract)


def _entries(mapping: dict[str, Any], depth: int, cache: Cache) -> list[str]:
    out: list[str] = []
    for key, value in mapping.items():
        if depth < _SPLIT_DEPTH and isinstance(value, dict) and value:
            out.append(_key_line(key, depth, cache))
            out.extend(_entries(value, depth + 1, cache))
        else:
            out.append(_piece(key, value, depth, cache))
    return out


def _key_line(key: Any, depth: int, cache: Cache) -> str:
    line = _piece(key, {"a": None}, depth, cache)
    first, _, rest = line.partition("\n")
    if not first.endswith(":") or rest.count("\n") != 1:
        raise _NotSplittable(key)
    return first + "\n"


def _piece(key: Any, value: Any, depth: int, cache: Cache) -> str:
    try:
        digest = fingerprint(depth, key, value)
    except TypeError:  # not JSON-like (no cache key): dump it, uncached
        return _dump(key, value, depth)
    text = cache.get(_KIND, digest)
    if text is None:
        text = _dump(key, value, depth)
        cache.put(_KIND, digest, text)
    return text


def _dump(key: Any, value: Any, depth: int) -> str:
    wrapped: dict[Any, Any] = {key: value}
    for _ in range(depth):
        wrapped = {"a": wrapped}
    text = yaml.dump(wrapped, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    if text.endswith("...\n"):  # an open-ended document: the piece cannot be spliced
        raise _NotSplittable(key)
    lines = text.split("\n", depth)
    if len(lines) <= depth:
        raise _NotSplittable(key)
    return lines[depth]
