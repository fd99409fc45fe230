"""The registry: every generated resource, the single entry point the app reads."""

from __future__ import annotations

from generator.ir import Kind, Project
from generator.render.common import header
from generator.render.router import route_specs

__all__ = ["render_package_init", "render_registry", "render_resource_init"]


def render_registry(project: Project, schema_fingerprint: int, tables: list[str]) -> str:
    """The resources and the routes of each, importing none of their code: the app
    imports a resource the first time it is used (see app.core.operations.registry)."""
    entries = []
    for r in project.resources:
        operations = ", ".join(repr(op) for op in r.operations)
        routes = "".join(
            f"            RouteSpec(frozenset({{{', '.join(map(repr, methods))}}}), "
            f"{path!r}, {name!r}),\n"
            for methods, path, name in route_specs(r)
        )
        entries.append(
            "    ResourceBinding(\n"
            f"        name={r.name!r},\n"
            f"        module={r.module!r},\n"
            f"        plural={r.plural!r},\n"
            f"        spec={r.spec_path!r},\n"
            f"        operations=frozenset({{{operations}}}),\n"
            f"        routes=(\n{routes}        ),\n"
            + ("        uuid_ids=True,\n" if r.id_kind is Kind.UUID else "")
            + (f"        actions={tuple(a.name for a in r.actions)!r},\n" if r.actions else "")
            + "    ),\n"
        )
    names = "".join(f"    {table!r},\n" for table in sorted(tables))
    return "".join(
        [
            header("specs/"),
            '"""Every generated resource; the app mounts them from here."""\n\n',
            "from __future__ import annotations\n\n",
            "from pathlib import Path\n\n",
            "from app.core.operations.registry import ResourceBinding, RouteSpec\n\n",
            '__all__ = ["CONTRACT_PATH", "RESOURCES", "SCHEMA_FINGERPRINT", "TABLES"]\n\n',
            'CONTRACT_PATH = Path(__file__).with_name("openapi.yaml")\n',
            "# Of every table the models define: a LOCAL SQLite database that was brought up\n",
            "# to this schema is not compared with the models again at start-up.\n",
            f"SCHEMA_FINGERPRINT = {schema_fingerprint}\n",
            f"TABLES = frozenset(\n    {{\n{names}    }}\n)\n\n"
            if tables
            else "TABLES: frozenset[str] = frozenset()\n\n",
            "RESOURCES: tuple[ResourceBinding, ...] = (\n",
            *entries,
            ")\n",
        ]
    )


def render_package_init() -> str:
    return header("specs/") + '"""Code generated from specs/ by specbase; never edit by hand."""\n'


def render_resource_init(spec: str, name: str) -> str:
    return header(spec) + f'"""Generated code of the {name} resource."""\n'
