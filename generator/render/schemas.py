"""Pydantic schemas, produced by datamodel-code-generator from the contract itself."""

from __future__ import annotations

import ast
import copy
import re
import threading
from typing import Any

from generator.cache import Cache, fingerprint
from generator.datamodel_options import DATAMODEL_OPTIONS
from generator.datamodel_worker import DatamodelWorker
from generator.ir import Project
from generator.render.datamodel_input import (
    EXPANDED_SUFFIX,
    datamodel_input,
    owners,
    renamed_input,
)
from generator.render.defaults import typed_defaults

__all__ = [
    "DATAMODEL_OPTIONS",
    "EXPANDED_SUFFIX",
    "datamodel_input",
    "render_schemas",
    "split_enums",
    "warm_up",
]

_CACHE_KIND = "pydantic-module"
# The names each schema refers to, by schema.
Refs = dict[str, tuple[str, ...]]


def render_schemas(
    contract: dict[str, Any],
    project: Project,
    cache: Cache | None = None,
    worker: DatamodelWorker | None = None,
) -> dict[str, str]:
    """``{"event": code, ..., "shared": code}``: one schemas module per resource.

    Schemas are renamed ``event.EventCreate`` in the generator's input only, which
    makes it write one module per resource, and one for the shared models. With a
    ``cache``, a module whose schemas (and the schemas they refer to, transitively) are
    unchanged is not made again; the others are made in one run on just what they need.
    With a ``worker``, datamodel-code-generator runs there, else in this process; a worker
    of several processes makes many modules in parts at once (see :func:`_split`).
    """
    document, options, renamed = renamed_input(contract, project)
    refs = {name: schema.refs for name, schema in renamed.items()}
    members: dict[str, list[str]] = {}
    for name in renamed:
        members.setdefault(_module_of(name), []).append(name)
    if cache is None:
        return _split(document, options, refs, members, worker) or _run(
            document, options, project, worker
        )
    common = fingerprint(document["openapi"], document["info"],
                         {k: v for k, v in options.items() if k != "base_class_map"})  # fmt: skip
    bases = options["base_class_map"]
    order = {name: index for index, name in enumerate(renamed)}
    keys = {}
    for module, names in members.items():
        # Its schemas and those they refer to, transitively, in document order.
        closure = sorted(_closure(names, refs), key=order.__getitem__)
        digests = [[n, renamed[n].digest, bases.get(n)] for n in closure]
        keys[module] = fingerprint(common, module, digests)
    found = {module: cache.get(_CACHE_KIND, key) for module, key in keys.items()}
    dirty = [module for module, code in found.items() if code is None]
    if dirty:
        split = _split(document, options, refs, {m: members[m] for m in dirty}, worker)
        if split is not None:
            fresh = split
        elif len(dirty) == len(members):
            fresh = _run(document, options, project, worker)
        else:
            needed = [name for module in dirty for name in members[module]]
            fresh = _run_part(document, options, refs, needed, worker) or _run(
                document, options, project, worker
            )
        for module in dirty:
            found[module] = fresh[module]
            cache.put(_CACHE_KIND, keys[module], fresh[module])
    return {module: code for module, code in found.items() if code is not None}


def _run(
    document: dict[str, Any],
    options: dict[str, Any],
    project: Project,
    worker: DatamodelWorker | None,
) -> dict[str, str]:
    output = _generate(document, options, worker)
    if isinstance(output, str):  # a single module: only one resource
        only = next(iter(set(owners(project).values())))
        return {only: output}
    return output


def _run_part(
    document: dict[str, Any],
    options: dict[str, Any],
    refs: Refs,
    names: list[str],
    worker: DatamodelWorker | None,
) -> dict[str, str] | None:
    """The modules of ``names``, from a document of only them and what they refer to.

    A module comes out the same as from the whole document (the tests check it); None
    when the generator answers a single module, whose shape may differ.
    """
    output = _generate(*_part(document, options, names, refs), worker)
    return None if isinstance(output, str) else output


def _part(
    document: dict[str, Any],
    options: dict[str, Any],
    names: list[str],
    refs: Refs,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document and options of a run on ``names`` and what they refer to, transitively."""
    needed = _closure(names, refs)
    schemas: dict[str, Any] = document["components"]["schemas"]
    part = {
        **document,
        "components": {"schemas": {n: s for n, s in schemas.items() if n in needed}},
    }
    inputs = {n: base for n, base in options["base_class_map"].items() if n in needed}
    return part, {**options, "base_class_map": inputs}


# Modules a run must make, at least, to be split among a worker's processes.
SPLIT_MIN = 16


def _split(
    document: dict[str, Any],
    options: dict[str, Any],
    refs: Refs,
    members: dict[str, list[str]],
    worker: DatamodelWorker | None,
) -> dict[str, str] | None:
    """The modules of ``members`` (by module, its schemas), made in parts at once, one per
    process of ``worker``; None when it has one process, there are too few modules, or a
    part comes out as a single module.

    Each part is a run of its own on its modules' schemas and those they refer to (see
    :func:`_run_part`): consecutive modules, so that a part shares few of the schemas it
    refers to with another, and about as many schemas each.
    """
    if worker is None or worker.processes < 2 or len(members) < SPLIT_MIN:
        return None
    total = sum(len(names) for names in members.values())
    groups: list[list[str]] = [[]]
    count = 0
    for module, names in members.items():
        share = total * len(groups) / worker.processes
        if count >= share and len(groups) < worker.processes:
            groups.append([])
        groups[-1].append(module)
        count += len(names)
    jobs = [
        _part(document, options, [name for module in group for name in members[module]], refs)
        for group in groups
    ]
    made: dict[str, str] = {}
    for group, output in zip(groups, worker.generate_many(jobs), strict=True):
        if isinstance(output, str):
            return None
        modules = _modules(output)
        made.update((module, modules[module]) for module in group)
    return made


def _generate(
    document: dict[str, Any], options: dict[str, Any], worker: DatamodelWorker | None
) -> dict[str, str] | str:
    output: str | dict[tuple[str, ...], str] | None
    if worker is not None:
        output = worker.generate(document, options)
    else:
        # Imported here: a regeneration that changes no schema never pays for the import.
        from datamodel_code_generator import generate

        with _IN_PROCESS:  # a copy: the schemas are shared with later runs of this process
            output = generate(copy.deepcopy(document), **options)
    if isinstance(output, str):
        return typed_defaults(output)
    assert output is not None
    return _modules(output)


def _modules(output: dict[tuple[str, ...], str]) -> dict[str, str]:
    """datamodel-code-generator's modules by our name, importing the shared ones ours."""
    return {
        _module_name(path): typed_defaults(_import_shared(code))
        for path, code in output.items()
        if path != ("__init__.py",)
    }


# datamodel-code-generator in this process runs one call at a time (it is not documented
# as safe to call from two threads).
_IN_PROCESS = threading.Lock()
_WARM = {"type": "object", "properties": {"x": {"type": "string"}}}


def warm_up() -> None:
    """Run datamodel-code-generator once on a small document in this process. Its first
    run imports most of it (0.4-0.7 s, whatever the document): ``specbase generate
    --watch`` does it while it waits for the first change, which then does not pay it."""
    from datamodel_code_generator import generate

    document = {"openapi": "3.1.0", "info": {"title": "warm", "version": "1"}, "paths": {},
                "components": {"schemas": {"a.A": _WARM, "b.B": _WARM}}}  # fmt: skip
    with _IN_PROCESS:
        generate(document, **DATAMODEL_OPTIONS)


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _closure(names: list[str], refs: Refs) -> set[str]:
    """``names`` and every schema they refer to (``refs``: by schema), transitively."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in refs:
            continue
        seen.add(name)
        todo.extend(refs[name])
    return seen


def _module_name(path: tuple[str, ...]) -> str:
    return "/".join(path).removesuffix(".py")


_SIBLING_IMPORT = re.compile(
    r"^from \. import (\w+(?: as \w+)?(?:, \w+(?: as \w+)?)*)$", re.MULTILINE
)


def _import_shared(code: str) -> str:
    """The generator imports sibling modules (``from . import image``); their schemas
    live in ``generated/<module>/schemas.py``."""

    def absolute(match: re.Match[str]) -> str:
        lines = []
        for name in match[1].split(", "):
            module, _, alias = name.partition(" as ")
            lines.append(f"from generated.{module} import schemas as {alias or module}")
        return "\n".join(lines)

    code = _SIBLING_IMPORT.sub(absolute, code)
    if "\nfrom ." in code:  # a shape of import not foreseen: fail here, not at import time
        raise RuntimeError(f"datamodel-code-generator wrote an unexpected relative import:\n{code}")
    return code


_ENUM_BASES = frozenset(("Enum", "StrEnum", "IntEnum"))


def split_enums(code: str, module: str) -> tuple[str, str]:
    """``(enums, schemas)``: the enum classes of a schemas module on their own, and the
    module importing them back (under the same names, for the modules that refer to
    them through it); ``enums`` is empty when there is none.

    The models import their enums from there: a model then costs no Pydantic class, and
    the tables of every resource can be made without building its schemas.
    """
    lines = code.splitlines(keepends=True)
    names: list[str] = []
    bases: set[str] = set()
    cut: set[int] = set()
    blocks: list[str] = []
    for node in ast.parse(code).body:
        if not isinstance(node, ast.ClassDef) or node.decorator_list:
            continue
        found = {b.id for b in node.bases if isinstance(b, ast.Name)} & _ENUM_BASES
        if not found or node.end_lineno is None:
            continue
        names.append(node.name)
        bases |= found
        span = range(node.lineno - 1, node.end_lineno)
        cut.update(span)
        blocks.append("".join(lines[i] for i in span))
    if not names:
        return "", code
    enums = f"from enum import {', '.join(sorted(bases))}\n\n\n" + "\n\n".join(blocks)
    back = ", ".join(f"{name} as {name}" for name in names)
    kept = "".join(line for index, line in enumerate(lines) if index not in cut)
    future = "from __future__ import annotations\n"
    imported = f"from generated.{module}.enums import {back}\n"
    if future in kept:
        kept = kept.replace(future, future + "\n" + imported, 1)
    else:
        kept = imported + kept
    return enums, kept
