"""The registry: every generated resource, the single entry point the app reads."""

from __future__ import annotations

from generator.ir import Kind, Project
from generator.render.common import header

__all__ = ["render_package_init", "render_registry", "render_resource_init"]


def render_registry(project: Project) -> str:
    imports = []
    entries = []
    for r in project.resources:
        imports.append(
            f"from generated.{r.module}.repository import {r.name}RepositoryBase\n"
            f"from generated.{r.module}.schemas import {r.name}Create\n"
            f"from generated.{r.module}.router import build_router as build_{r.module}_router\n"
            f"from generated.{r.module}.service import {r.name}ServiceBase\n"
        )
        operations = ", ".join(repr(op) for op in r.operations)
        id_type = "UUID" if r.id_kind is Kind.UUID else "PositiveInt64"
        entries.append(
            "    ResourceBinding(\n"
            f"        name={r.name!r},\n"
            f"        module={r.module!r},\n"
            f"        plural={r.plural!r},\n"
            f"        spec={r.spec_path!r},\n"
            f"        operations=frozenset({{{operations}}}),\n"
            f"        create_schema={r.name}Create,\n"
            f"        id_type=TypeAdapter({id_type}),\n"
            f"        repository={r.name}RepositoryBase,\n"
            f"        service={r.name}ServiceBase,\n"
            f"        build_router=build_{r.module}_router,\n"
            "    ),\n"
        )
    return "".join(
        [
            header("specs/"),
            '"""Every generated resource; the app mounts them from here."""\n\n',
            "from __future__ import annotations\n\n",
            "from pathlib import Path\n",
            "from uuid import UUID\n\n",
            "from pydantic import TypeAdapter\n\n",
            "from app.core.registry import ResourceBinding\n",
            "from app.core.types import PositiveInt64\n",
            *imports,
            "\n",
            '__all__ = ["CONTRACT_PATH", "RESOURCES"]\n\n',
            'CONTRACT_PATH = Path(__file__).with_name("openapi.yaml")\n\n',
            "RESOURCES: tuple[ResourceBinding, ...] = (\n",
            *entries,
            ")\n",
        ]
    )


def render_package_init() -> str:
    return header("specs/") + '"""Code generated from specs/ by specbase; never edit by hand."""\n'


def render_resource_init(spec: str, name: str) -> str:
    return header(spec) + f'"""Generated code of the {name} resource."""\n'
