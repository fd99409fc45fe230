"""FastAPI routers, one module per resource, bound to injected classes at startup."""

from __future__ import annotations

from generator.contract import id_parameter, operation_id
from generator.ir import Kind, Resource
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["render_router"]

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations,
# and the aliases they use are local to build_router.
_IMPORTS = """\
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.body import JSON_BODY, MERGE_PATCH_BODY, read_body
from app.core.context import RequestContext
from app.core.deps import SessionDep
from app.core.params import refuse_undeclared_query
from app.core.responses import json_response
from app.core.types import INT64_MAX
"""


def render_router(resource: Resource) -> str:
    name, module = resource.name, resource.module
    schemas = sorted({f"{name}Read", f"{name}Page", f"{name}Create", f"{name}Update"})
    parts = [
        header(resource.spec_path),
        quote_doc(resource_doc(resource, "The HTTP operations")),
        "\n",
        _IMPORTS,
        f"from generated.{module}.repository import {name}RepositoryBase\n",
        f"from generated.{module}.schemas import {', '.join(schemas)}\n",
        f"from generated.{module}.service import {name}ServiceBase\n",
        "\n",
        '_LIST_QUERY = frozenset({"limit", "cursor"})\n' if resource.has("list") else "",
        "\n\n",
        "def build_router(\n",
        f"    repository_class: type[{name}RepositoryBase] = {name}RepositoryBase,\n",
        f"    service_class: type[{name}ServiceBase] = {name}ServiceBase,\n",
        ") -> APIRouter:\n",
        quote_doc(
            f"The operations of {name}, bound to the (possibly custom) classes given.", "    "
        ),
        "\n",
        f"    def get_service(request: Request, session: SessionDep) -> {name}ServiceBase:\n",
        "        return service_class(repository_class(session), RequestContext(request))\n\n",
        f"    Service = Annotated[{name}ServiceBase, Depends(get_service)]\n",
        f"    {_id_alias(resource)}\n",
        f'    router = APIRouter(prefix="{resource.path}", tags=[{name!r}])\n',
    ]
    for operation in resource.operations:
        parts.append("\n")
        parts.append(_OPERATIONS[operation](resource))
    parts.append("\n    return router\n")
    return "".join(parts)


def _id_alias(resource: Resource) -> str:
    if resource.id_kind is Kind.UUID:
        return "RowId = Annotated[UUID, Path()]"
    return "RowId = Annotated[int, Path(ge=1, le=INT64_MAX)]"


def _list(resource: Resource) -> str:
    options = resource.list_options
    name = resource.name
    return (
        f'    @router.get("", operation_id="{operation_id("list", resource)}")\n'
        f"    async def {operation_id('list', resource)}(\n"
        "        request: Request,\n"
        "        service: Service,\n"
        f"        limit: Annotated[int, Query(ge=1, le={options.max_limit})] = "
        f"{options.default_limit},\n"
        "        cursor: Annotated[str | None, Query(max_length=2048)] = None,\n"
        "    ) -> Response:\n"
        "        refuse_undeclared_query(request, _LIST_QUERY)\n"
        "        page = await service.list(limit, cursor)\n"
        f"        items = [{name}Read.model_validate(row) for row in page.rows]\n"
        f"        return json_response({name}Page(items=items, next_cursor=page.next_cursor))\n"
    )


def _get(resource: Resource) -> str:
    key, op, name = id_parameter(resource), operation_id("get", resource), resource.name
    return (
        f'    @router.get("/{{{key}}}", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        return json_response({name}Read.model_validate(await service.get({key})))\n"
    )


def _create(resource: Resource) -> str:
    op, name = operation_id("create", resource), resource.name
    return (
        f'    @router.post("", operation_id="{op}", status_code=201)\n'
        f"    async def {op}(request: Request, service: Service) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        row = await service.create(await read_body(request, {name}Create, JSON_BODY))\n"
        f'        location = f"{resource.path}/{{row.id}}"\n'
        f"        body = {name}Read.model_validate(row)\n"
        '        return json_response(body, status_code=201, headers={"Location": location})\n'
    )


def _replace(resource: Resource) -> str:
    key, op, name = id_parameter(resource), operation_id("replace", resource), resource.name
    return (
        f'    @router.put("/{{{key}}}", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        data = await read_body(request, {name}Create, JSON_BODY)\n"
        f"        row = await service.replace({key}, data)\n"
        f"        return json_response({name}Read.model_validate(row))\n"
    )


def _update(resource: Resource) -> str:
    key, op, name = id_parameter(resource), operation_id("update", resource), resource.name
    return (
        f'    @router.patch("/{{{key}}}", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        patch = await read_body(request, {name}Update, MERGE_PATCH_BODY)\n"
        f"        row = await service.update({key}, patch)\n"
        f"        return json_response({name}Read.model_validate(row))\n"
    )


def _delete(resource: Resource) -> str:
    key, op = id_parameter(resource), operation_id("delete", resource)
    return (
        f'    @router.delete("/{{{key}}}", operation_id="{op}", status_code=204)\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        await service.delete({key})\n"
        "        return Response(status_code=204)\n"
    )


_OPERATIONS = {
    "list": _list,
    "get": _get,
    "create": _create,
    "replace": _replace,
    "update": _update,
    "delete": _delete,
}
