"""FastAPI routers, one module per resource, bound to injected classes at startup."""

from __future__ import annotations

from generator.contract import id_parameter, operation_id
from generator.ir import Kind, Project, Relation, Resource
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["render_router", "route_specs"]

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations,
# and the aliases they use are local to build_router.
_IMPORTS = """\
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field, TypeAdapter

from app.core.body import JSON_BODY, MERGE_PATCH_BODY, read_body, read_items
from app.core.context import RequestContext
from app.core.deps import request_unit
from app.core.errors import NOT_ALLOWED, method_not_allowed
from app.core.etag import etag, not_modified
from app.core.params import refuse_undeclared_query
from app.core.routing import OperationRoute
from app.core.responses import RowWriter, json_bytes_response, with_related
from app.core.types import INT64_MAX
"""


def render_router(resource: Resource, project: Project) -> str:
    name, module = resource.name, resource.module
    schemas = sorted({f"{name}Read", f"{name}Create", f"{name}Update"})
    imports = [
        f"from generated.{module}.repository import {name}RepositoryBase\n",
        f"from generated.{module}.schemas import {', '.join(schemas)}\n",
        f"from generated.{module}.service import {name}ServiceBase\n",
    ]
    imports.append(f"from generated.{module}.{_page_module(resource)} import {name}Page\n")
    if resource.relations:
        imports.append(f"from generated.{module}.expanded import {name}Expanded\n")
    for target in _nested_targets(resource, project):
        imports.append(
            f"from generated.{target.module}.repository import {target.name}RepositoryBase\n"
        )
        imports.append(
            f"from generated.{target.module}.{_page_module(target)} import {target.name}Page\n"
        )
        if target.relations:
            imports.append(
                f"from generated.{target.module}.expanded import {target.name}Expanded\n"
            )
    parts = [
        header(resource.spec_path),
        quote_doc(resource_doc(resource, "The HTTP operations")),
        "\n",
        _IMPORTS,
        *sorted(set(imports)),
        "\n",
        (
            f"_BULK = TypeAdapter(\n    Annotated[list[{name}Create], "
            f"Field(min_length=1, max_length={resource.bulk_max})]\n)\n"
        )
        if resource.bulk_max
        else "",
        f"_BULK_READ = TypeAdapter(list[{name}Read])\n" if resource.bulk_max else "",
        _writers(resource, project),
        "\n\n",
        "def build_router(\n",
        f"    repository_class: type[{name}RepositoryBase] = {name}RepositoryBase,\n",
        f"    service_class: type[{name}ServiceBase] = {name}ServiceBase,\n",
        "    related: Mapping[str, type[Any]] | None = None,\n",
        ") -> APIRouter:\n",
        quote_doc(
            f"The operations of {name}, bound to the (possibly custom) classes given;\n"
            "    ``related`` names the repository class of each resource nested routes list.",
            "    ",
        ),
        "\n",
        "    # One dependency, async (FastAPI runs a plain def in a worker thread): the\n",
        "    # request's database work (a session made on first use, committed before the\n",
        "    # response is sent), and the service.\n",
        f"    async def get_service(request: Request) -> AsyncIterator[{name}ServiceBase]:\n",
        "        async with request_unit(request) as unit:\n",
        "            yield service_class(repository_class(unit), RequestContext(request))\n\n",
        f'    Service = Annotated[{name}ServiceBase, Depends(get_service, scope="function")]\n',
        f"    {_id_alias('RowId', resource)}\n",
        "    listing = repository_class.listing\n",
        ""
        if _nested_targets(resource, project)
        else "    del related  # no nested route lists another resource\n",
        *(
            f"    {_related_class(t)}: type[{t.name}RepositoryBase] = "
            f"(related or {{}}).get({t.name!r}, {t.name}RepositoryBase)\n"
            for t in _nested_targets(resource, project)
        ),
        *(
            f"    {_nested_listing(r)} = {_related_class(project.resource(r.target))}.listing"
            + (f".without({r.column!r})\n" if r.kind == "has_many" else "\n")
            for r in resource.relations
            if r.kind != "belongs_to" and project.resource(r.target).has("list")
        ),
        f'    router = APIRouter(prefix="{resource.path}", tags=[{name!r}],'
        " route_class=OperationRoute)\n",
    ]
    if resource.bulk_max is not None:
        parts.append(
            "\n    # Before the item routes, which would take /bulk for an id.\n"
            '    router.add_api_route("/bulk", method_not_allowed("POST"), '
            'methods=["GET", "PUT", "PATCH", "DELETE"],\n'
            "                         name=NOT_ALLOWED, include_in_schema=False)\n"
        )
    for operation in resource.operations:
        parts.append("\n")
        parts.append(_OPERATIONS[operation](resource))
    if resource.bulk_max is not None:
        parts.append("\n")
        parts.append(_bulk_create(resource))
    for relation in resource.relations:
        if relation.kind != "belongs_to":
            parts.append(_nested(resource, relation, project))
    parts.append("\n    return router\n")
    return "".join(parts)


# The HTTP method and the path (after the resource's own) of each operation's route.
_ROUTES = {
    "list": ("GET", ""),
    "get": ("GET", "/{key}"),
    "create": ("POST", ""),
    "replace": ("PUT", "/{key}"),
    "update": ("PATCH", "/{key}"),
    "delete": ("DELETE", "/{key}"),
}
# The name FastAPI gives the route answering 405 for other methods of /bulk
# (app.core.errors.NOT_ALLOWED).
_NOT_ALLOWED = "method_not_allowed"


def route_specs(resource: Resource, project: Project) -> list[tuple[tuple[str, ...], str, str]]:
    """``(methods, path, name)`` of every route ``build_router`` makes, in its order: the
    registry lists them so that the app routes to a resource before importing it."""
    base, key = resource.path, id_parameter(resource)
    routes: list[tuple[tuple[str, ...], str, str]] = []
    if resource.bulk_max is not None:
        routes.append((("DELETE", "GET", "PATCH", "PUT"), f"{base}/bulk", _NOT_ALLOWED))
    for operation in resource.operations:
        method, path = _ROUTES[operation]
        name = operation_id(operation, resource)
        routes.append(((method,), base + path.replace("{key}", f"{{{key}}}"), name))
    if resource.bulk_max is not None:
        routes.append((("POST",), f"{base}/bulk", operation_id("bulk_create", resource)))
    for relation in resource.relations:
        if relation.kind == "belongs_to":
            continue
        nested = f"{base}/{{{key}}}/{relation.name}"
        target = project.resource(relation.target)
        if target.has("list"):
            routes.append((("GET",), nested, f"list_{resource.module}_{relation.name}"))
        if relation.kind == "many_to_many":
            link, other = f"{resource.module}_{relation.name}", f"{target.module}_id"
            routes.append((("PUT",), f"{nested}/{{{other}}}", f"link_{link}"))
            routes.append((("DELETE",), f"{nested}/{{{other}}}", f"unlink_{link}"))
    return routes


def _writer(resource: Resource, model: str = "shown") -> str:
    """The name of the module's RowWriter of ``resource``'s rows: as its list and get show
    them (``shown``: with its relations, if it has any), or as its writes answer them."""
    if model == "shown" and resource.relations:
        return f"_{resource.module.upper()}_EXPANDED"
    return f"_{resource.module.upper()}_READ"


def _writers(resource: Resource, project: Project) -> str:
    name = resource.name
    lines = [
        "# What the operations answer, written from the rows read (app.core.responses).\n",
    ]
    if resource.relations:
        lines.append(f"{_writer(resource)} = RowWriter({name}Expanded, {name}Page)\n")
        lines.append(f"{_writer(resource, 'read')} = RowWriter({name}Read)\n")
    else:
        lines.append(f"{_writer(resource)} = RowWriter({name}Read, {name}Page)\n")
    for target in _nested_targets(resource, project):
        if target is resource:
            continue
        shown = f"{target.name}Expanded" if target.relations else f"{target.name}Read"
        lines.append(f"{_writer(target)} = RowWriter({shown}, {target.name}Page)\n")
    return "".join(sorted(set(lines), key=lines.index))


def _nested_listing(relation: Relation) -> str:
    return f"{relation.name}_listing"


def _related_class(target: Resource) -> str:
    return f"{target.module}_repository"


def _page_module(resource: Resource) -> str:
    return "expanded" if resource.relations else "schemas"


def _nested_targets(resource: Resource, project: Project) -> list[Resource]:
    return [
        project.resource(r.target)
        for r in resource.relations
        if r.kind != "belongs_to" and project.resource(r.target).has("list")
    ]


def _id_alias(alias: str, resource: Resource) -> str:
    if resource.id_kind is Kind.UUID:
        return f"{alias} = Annotated[UUID, Path()]"
    return f"{alias} = Annotated[int, Path(ge=1, le=INT64_MAX)]"


def _etag(resource: Resource, row: str = "row") -> str:
    return f', "ETag": etag({row})' if resource.versioned else ""


def _headers(resource: Resource) -> str:
    return ', headers={"ETag": etag(row)}' if resource.versioned else ""


def _if_match(resource: Resource) -> str:
    return ', if_match=request.headers.get("if-match")' if resource.versioned else ""


def _list(resource: Resource) -> str:
    op = operation_id("list", resource)
    return (
        f'    @router.get("", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service) -> Response:\n"
        "        query = listing.parse(request.query_params)\n"
        "        page = await service.list(query)\n"
        "        expanded = await service.expand(page.rows, query.expand)\n"
        f"        return {_writer(resource)}.page_response(page, expanded)\n"
    )


def _get(resource: Resource) -> str:
    key, op, shown = id_parameter(resource), operation_id("get", resource), _writer(resource)
    lines = [
        f'    @router.get("/{{{key}}}", operation_id="{op}")\n',
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n",
    ]
    if resource.relations:
        lines.append("        expand = listing.expansions(request.query_params)\n")
    else:
        lines.append("        refuse_undeclared_query(request)\n")
    lines.append(f"        row = await service.read({key})\n")
    if resource.relations:
        lines += [
            "        if expand:  # the row with its relations: no entity tag covers both\n",
            "            expanded = await service.expand([row], expand)\n",
            f"            return {shown}.response(with_related(row, expanded))\n",
        ]
    if resource.versioned:
        lines += [
            '        if not_modified(request.headers.get("if-none-match"), row):\n',
            '            return Response(status_code=304, headers={"ETag": etag(row)})\n',
        ]
    lines.append(f"        return {shown}.response(row{_headers(resource)})\n")
    return "".join(lines)


def _create(resource: Resource) -> str:
    op, name = operation_id("create", resource), resource.name
    return (
        f'    @router.post("", operation_id="{op}", status_code=201)\n'
        f"    async def {op}(request: Request, service: Service) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        data = await read_body(request, {name}Create, JSON_BODY)\n"
        "        # The request's one write may commit with its statement (see CommitPolicy).\n"
        '        service.repository.unit.policy = service_class.commit_policy("create")\n'
        "        row = await service.create(data)\n"
        f'        headers = {{"Location": f"{resource.path}/{{row.id}}"{_etag(resource)}}}\n'
        f"        return {_writer(resource, 'read')}.response(row, status_code=201, "
        "headers=headers)\n"
    )


def _replace(resource: Resource) -> str:
    key, op, name = id_parameter(resource), operation_id("replace", resource), resource.name
    return (
        f'    @router.put("/{{{key}}}", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        data = await read_body(request, {name}Create, JSON_BODY)\n"
        f"        row = await service.replace({key}, data{_if_match(resource)})\n"
        f"        return {_writer(resource, 'read')}.response(row{_headers(resource)})\n"
    )


def _update(resource: Resource) -> str:
    key, op, name = id_parameter(resource), operation_id("update", resource), resource.name
    return (
        f'    @router.patch("/{{{key}}}", operation_id="{op}")\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        patch = await read_body(request, {name}Update, MERGE_PATCH_BODY)\n"
        '        service.repository.unit.policy = service_class.commit_policy("update")\n'
        f"        row = await service.update({key}, patch{_if_match(resource)})\n"
        f"        return {_writer(resource, 'read')}.response(row{_headers(resource)})\n"
    )


def _delete(resource: Resource) -> str:
    key, op = id_parameter(resource), operation_id("delete", resource)
    return (
        f'    @router.delete("/{{{key}}}", operation_id="{op}", status_code=204)\n'
        f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        f"        await service.delete({key}{_if_match(resource)})\n"
        "        return Response(status_code=204)\n"
    )


def _bulk_create(resource: Resource) -> str:
    op = operation_id("bulk_create", resource)
    return (
        f'    @router.post("/bulk", operation_id="{op}", status_code=201)\n'
        f"    async def {op}(request: Request, service: Service) -> Response:\n"
        "        refuse_undeclared_query(request)\n"
        "        items = await read_items(request, _BULK, JSON_BODY)\n"
        "        rows = await service.create_many(items)\n"
        "        created = _BULK_READ.validate_python(rows)\n"
        '        body = {"items": _BULK_READ.dump_python(created, mode="json")}\n'
        "        return json_bytes_response(body, status_code=201)\n"
    )


def _nested_parent(resource: Resource, target: Resource, key: str) -> str:
    """The read of a nested list's parent: a 404 when it is missing or deleted, unless
    both are soft-deletable and ``?include_deleted=true`` asks for deleted rows too."""
    if resource.soft_delete and target.soft_delete:
        return f"        await service.read({key}, include_deleted=query.include_deleted)\n"
    return f"        await service.read({key})\n"


def _nested(resource: Resource, relation: Relation, project: Project) -> str:
    target = project.resource(relation.target)
    key = id_parameter(resource)
    base = f"/{{{key}}}/{relation.name}"
    lines = []
    if target.has("list"):
        op = f"list_{resource.module}_{relation.name}"
        lines += [
            "\n",
            f'    @router.get("{base}", operation_id="{op}")\n',
            f"    async def {op}(request: Request, service: Service, {key}: RowId) -> Response:\n",
            f"        related = {_related_class(target)}(service.repository.unit)\n",
            f"        scope = ({relation.name!r}, {key})\n",
            f"        query = {_nested_listing(relation)}"
            ".parse(request.query_params, scope=scope)\n",
            _nested_parent(resource, target, key),
            f"        linked = service.repository.linked({relation.name!r}, {key})\n",
            "        page = await related.page(query, linked)\n",
            "        expanded = await related.expand(page.rows, query.expand)\n",
            f"        return {_writer(target)}.page_response(page, expanded)\n",
        ]
    if relation.kind == "many_to_many":
        other = f"{target.module}_id"
        link = f"{resource.module}_{relation.name}"
        lines += [
            "\n",
            f"    {_id_alias('OtherId', target)}\n",
            "\n",
            f'    @router.put("{base}/{{{other}}}", operation_id="link_{link}", status_code=204)\n',
            f"    async def link_{link}(\n",
            f"        request: Request, service: Service, {key}: RowId, {other}: OtherId\n",
            "    ) -> Response:\n",
            "        refuse_undeclared_query(request)\n",
            f"        await service.link({relation.name!r}, {key}, {other})\n",
            "        return Response(status_code=204)\n",
            "\n",
            f'    @router.delete(\n        "{base}/{{{other}}}", operation_id="unlink_{link}", '
            "status_code=204\n    )\n",
            f"    async def unlink_{link}(\n",
            f"        request: Request, service: Service, {key}: RowId, {other}: OtherId\n",
            "    ) -> Response:\n",
            "        refuse_undeclared_query(request)\n",
            f"        await service.unlink({relation.name!r}, {key}, {other})\n",
            "        return Response(status_code=204)\n",
        ]
    return "".join(lines)


_OPERATIONS = {
    "list": _list,
    "get": _get,
    "create": _create,
    "replace": _replace,
    "update": _update,
    "delete": _delete,
}
