"""The whole pipeline: load -> read inputs -> validate -> build -> contract -> render -> format."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.build import build_project
from generator.contract import build_contract, dump_contract
from generator.emit import format_python
from generator.ir import Project
from generator.load import collect_specs
from generator.naming import SHARED_MODULE
from generator.openapi_input import read_inputs
from generator.render.common import header
from generator.render.layers import render_repository, render_service
from generator.render.models import render_model
from generator.render.registry import render_package_init, render_registry, render_resource_init
from generator.render.router import render_router
from generator.render.schemas import EXPANDED_SUFFIX, render_schemas
from generator.validate import validate_specs

__all__ = ["Generated", "contract_only", "load_project", "project_contract", "render_project"]

SPEC_DIR = "specs"


@dataclass(frozen=True)
class Generated:
    project: Project
    contract: dict[str, Any]
    files: dict[str, str]


def load_project(root: Path) -> Project:
    """Load, validate and build; raises ``SpecErrors`` before anything is written."""
    docs, errors = collect_specs(root / SPEC_DIR, root)
    inputs = read_inputs(docs, errors)
    validate_specs(inputs.specs, unreadable=[*errors, *inputs.errors])
    return build_project(inputs.specs, inputs.shared)


def project_contract(project: Project) -> dict[str, Any]:
    """The contract, with the shared models of OpenAPI documents after the generated schemas."""
    contract = build_contract(project)
    schemas = contract["components"]["schemas"]
    schemas.update((model.name, copy.deepcopy(model.schema)) for model in project.shared)
    return contract


def contract_only(root: Path) -> str:
    return dump_contract(project_contract(load_project(root)))


def render_project(root: Path) -> Generated:
    """Every file of ``generated/``, in memory, formatted; nothing touches the disk."""
    project = load_project(root)
    contract = project_contract(project)
    files = {
        "generated/openapi.yaml": dump_contract(contract),
        "generated/__init__.py": render_package_init(),
        "generated/registry.py": render_registry(project),
    }
    schemas = render_schemas(contract, project) if project.resources or project.shared else {}
    if project.shared:
        files.update(_shared_modules(project, schemas[SHARED_MODULE]))
    for resource in project.resources:
        base = f"generated/{resource.module}"
        files[f"{base}/__init__.py"] = render_resource_init(resource.spec_path, resource.name)
        files[f"{base}/schemas.py"] = _schemas_module(resource.spec_path, resource.name,
                                                      schemas[resource.module])  # fmt: skip
        expanded = schemas.get(f"{resource.module}{EXPANDED_SUFFIX}")
        if expanded is not None:
            name = f"{resource.name}Expanded"
            files[f"{base}/expanded.py"] = _schemas_module(resource.spec_path, name, expanded)
        files[f"{base}/models.py"] = render_model(resource, project)
        files[f"{base}/repository.py"] = render_repository(resource, project)
        files[f"{base}/service.py"] = render_service(resource)
        files[f"{base}/router.py"] = render_router(resource, project)
    return Generated(project, contract, format_python(files))


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
