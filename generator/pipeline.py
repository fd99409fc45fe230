"""The whole pipeline: load -> validate -> build -> contract -> render -> format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.build import build_project
from generator.contract import build_contract, dump_contract
from generator.emit import format_python
from generator.ir import Project
from generator.load import collect_specs
from generator.render.common import header
from generator.render.layers import render_repository, render_service
from generator.render.models import render_model
from generator.render.registry import render_package_init, render_registry, render_resource_init
from generator.render.router import render_router
from generator.render.schemas import render_schemas
from generator.validate import validate_specs

__all__ = ["Generated", "contract_only", "load_project", "render_project"]

SPEC_DIR = "specs"


@dataclass(frozen=True)
class Generated:
    project: Project
    contract: dict[str, Any]
    files: dict[str, str]


def load_project(root: Path) -> Project:
    """Load, validate and build; raises ``SpecErrors`` before anything is written."""
    docs, errors = collect_specs(root / SPEC_DIR, root)
    validate_specs(docs, unreadable=errors)
    return build_project(docs)


def contract_only(root: Path) -> str:
    return dump_contract(build_contract(load_project(root)))


def render_project(root: Path) -> Generated:
    """Every file of ``generated/``, in memory, formatted; nothing touches the disk."""
    project = load_project(root)
    contract = build_contract(project)
    files = {
        "generated/openapi.yaml": dump_contract(contract),
        "generated/__init__.py": render_package_init(),
        "generated/registry.py": render_registry(project),
    }
    schemas = render_schemas(contract, project) if project.resources else {}
    for resource in project.resources:
        base = f"generated/{resource.module}"
        files[f"{base}/__init__.py"] = render_resource_init(resource.spec_path, resource.name)
        files[f"{base}/schemas.py"] = _schemas_module(resource.spec_path, resource.name,
                                                      schemas[resource.module])  # fmt: skip
        files[f"{base}/models.py"] = render_model(resource)
        files[f"{base}/repository.py"] = render_repository(resource)
        files[f"{base}/service.py"] = render_service(resource)
        files[f"{base}/router.py"] = render_router(resource)
    return Generated(project, contract, format_python(files))


def _schemas_module(spec: str, name: str, code: str) -> str:
    """datamodel-code-generator's output under our header, its own header dropped."""
    lines = code.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    doc = (
        f'"""Pydantic schemas of {name}, made from the contract by datamodel-code-generator."""\n\n'
    )
    return header(spec) + doc + "".join(lines)
