"""The whole pipeline: load -> read inputs -> validate -> build -> contract -> render -> format."""

from __future__ import annotations

import copy
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.build import build_project
from generator.cache import Cache, fingerprint
from generator.contract import build_contract, dump_contract
from generator.contract_yaml import dump_contract_cached
from generator.datamodel_worker import DatamodelWorker
from generator.emit import Formatting
from generator.ir import Project
from generator.load import collect_specs
from generator.naming import SHARED_MODULE
from generator.openapi_input import read_inputs
from generator.render.common import header
from generator.render.layers import render_repository, render_service
from generator.render.models import associations_of, render_model
from generator.render.registry import render_package_init, render_registry, render_resource_init
from generator.render.router import render_router
from generator.render.schemas import EXPANDED_SUFFIX, render_schemas, split_enums
from generator.validate import validate_specs

__all__ = ["Generated", "contract_only", "load_project", "project_contract", "render_project"]

SPEC_DIR = "specs"
_PYDANTIC = frozenset(("enums", "schemas", "expanded"))


@dataclass(frozen=True)
class Generated:
    project: Project
    contract: dict[str, Any]
    files: dict[str, str]


def load_project(root: Path, cache: Cache | None = None) -> Project:
    """Load, validate and build; raises ``SpecErrors`` before anything is written."""
    docs, errors = collect_specs(root / SPEC_DIR, root, cache)
    inputs = read_inputs(docs, errors)
    validate_specs(inputs.specs, unreadable=[*errors, *inputs.errors], cache=cache)
    return build_project(inputs.specs, inputs.shared)


def project_contract(project: Project) -> dict[str, Any]:
    """The contract, with the shared models of OpenAPI documents after the generated schemas."""
    contract = build_contract(project)
    schemas = contract["components"]["schemas"]
    schemas.update((model.name, copy.deepcopy(model.schema)) for model in project.shared)
    return contract


def contract_only(root: Path) -> str:
    return dump_contract(project_contract(load_project(root)))


def render_project(
    root: Path, cache: Cache | None = None, *, worker: DatamodelWorker | None = None
) -> Generated:
    """Every file of ``generated/``, in memory, formatted; nothing touches ``generated/``.

    With a ``cache``, only what changed since a run that used it is made again; the
    output is the same byte for byte. Saving the cache is the caller's choice. With a
    ``worker`` (see :mod:`generator.datamodel_worker`), datamodel-code-generator runs
    there, for a process that has not imported it; the caller closes it.
    """
    return _render(root, cache, worker)


def _render(root: Path, cache: Cache | None, worker: DatamodelWorker | None) -> Generated:
    project = load_project(root, cache)
    contract = project_contract(project)
    anything = project.resources or project.shared
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="specbase-schemas") as pool:
        pending = None
        if worker is not None and anything:
            # The worker gets its job first; this thread then only waits for its answer.
            pending = pool.submit(render_schemas, contract, project, cache, worker)
            while not (worker.sent.wait(0.005) or pending.done()):
                continue
        code = _render_code(project)
        if pending is None:
            formatting = Formatting(code, cache)  # ruff formats them while the schemas are made
            schemas = render_schemas(contract, project, cache) if anything else {}
            pydantic = _schema_modules(project, schemas, cache)
            made = Formatting(pydantic, cache)  # and those while the contract's YAML is written
            files = {"generated/openapi.yaml": dump_contract_cached(contract, cache)}
        else:
            # One after the other, so that the worker keeps a core to itself.
            files = {"generated/openapi.yaml": dump_contract_cached(contract, cache)}
            formatting = Formatting(code, cache)
            pydantic = _schema_modules(project, pending.result(), cache)
            made = Formatting(pydantic, cache)
    formatted = {**made.result(), **formatting.result()}
    for path in _file_order(project, pydantic):
        files[path] = formatted[path]
    return Generated(project, contract, files)


def _render_code(project: Project) -> dict[str, str]:
    """Every generated module but the Pydantic ones, unformatted."""
    code = {"generated/__init__.py": render_package_init()}
    for resource in project.resources:
        base = f"generated/{resource.module}"
        code[f"{base}/__init__.py"] = render_resource_init(resource.spec_path, resource.name)
        code[f"{base}/models.py"] = render_model(resource, project)
        code[f"{base}/repository.py"] = render_repository(resource, project)
        code[f"{base}/service.py"] = render_service(resource)
        code[f"{base}/router.py"] = render_router(resource, project)
    code["generated/registry.py"] = render_registry(project, *_schema_of(project, code))
    return code


def _schema_of(project: Project, code: dict[str, str]) -> tuple[int, list[str]]:
    """A fingerprint of the tables the models define (31 bits: SQLite keeps it as the
    database's user_version), and their names."""
    digest = hashlib.sha256()
    for resource in project.resources:
        digest.update(code[f"generated/{resource.module}/models.py"].encode())
    tables = [resource.table for resource in project.resources]
    tables += [a.table for r in project.resources for a in associations_of(r, project)]
    return int.from_bytes(digest.digest()[:4], "big") >> 1 or 1, tables


def _schema_modules(
    project: Project, schemas: dict[str, str], cache: Cache | None = None
) -> dict[str, str]:
    """The Pydantic modules: ``generated/shared/`` and each resource's schemas (and expanded)."""
    files = _shared_modules(project, schemas[SHARED_MODULE]) if project.shared else {}
    for resource in project.resources:
        base = f"generated/{resource.module}"
        enums, code = _split_enums_cached(schemas[resource.module], resource.module, cache)
        if enums:
            doc = f'"""The enumerations of {resource.name}; its models and schemas share them."""\n'
            doc += "\n"
            files[f"{base}/enums.py"] = header(resource.spec_path) + doc + enums
        files[f"{base}/schemas.py"] = _schemas_module(resource.spec_path, resource.name, code)
        expanded = schemas.get(f"{resource.module}{EXPANDED_SUFFIX}")
        if expanded is not None:
            name = f"{resource.name}Expanded"
            files[f"{base}/expanded.py"] = _schemas_module(resource.spec_path, name, expanded)
    return files


def _split_enums_cached(code: str, module: str, cache: Cache | None) -> tuple[str, str]:
    """:func:`split_enums`, parsing only a module not seen before."""
    if cache is None:
        return split_enums(code, module)
    key = fingerprint(module, code)
    found = cache.get(_ENUMS_KIND, key)
    if found is not None:
        enums, _, kept = found.partition(_ENUMS_SEPARATOR)
        return enums, kept
    enums, kept = split_enums(code, module)
    cache.put(_ENUMS_KIND, key, enums + _ENUMS_SEPARATOR + kept)
    return enums, kept


_ENUMS_KIND = "enum-split"
_ENUMS_SEPARATOR = "\x00"  # in no Python source


def _file_order(project: Project, pydantic: dict[str, str]) -> list[str]:
    """The files in a stable order: the package, shared models, then resource by resource."""
    order = ["generated/__init__.py", "generated/registry.py"]
    order += [path for path in pydantic if path.startswith(f"generated/{SHARED_MODULE}/")]
    for resource in project.resources:
        base = f"generated/{resource.module}"
        names = ("__init__", "enums", "schemas", "expanded", "models", "repository", "service",
                 "router")  # fmt: skip
        paths = [(name, f"{base}/{name}.py") for name in names]
        order += [path for name, path in paths if path in pydantic or name not in _PYDANTIC]
    return order


def _schemas_module(spec: str, name: str, code: str) -> str:
    """datamodel-code-generator's output under our header, its own header dropped."""
    doc = (
        f'"""Pydantic schemas of {name}, made from the contract by datamodel-code-generator."""\n\n'
    )
    return header(spec) + doc + _without_header(code)


def _shared_modules(project: Project, code: str) -> dict[str, str]:
    """generated/shared/: the shared models, which resource schemas import."""
    sources = ", ".join(sorted({model.source for model in project.shared}))
    if len(header(sources)) > 100:  # the line must pass the linter
        sources = "specs/"
    base = f"generated/{SHARED_MODULE}"
    doc = (
        '"""Pydantic models of the shared schemas (those that are no resource), made from\n'
        'the contract by datamodel-code-generator; resource fields refer to them."""\n\n'
    )
    return {
        f"{base}/__init__.py": header(sources) + '"""Generated models the resources share."""\n',
        f"{base}/schemas.py": header(sources) + doc + _without_header(code),
    }


def _without_header(code: str) -> str:
    lines = code.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)
