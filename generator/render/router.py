"""The operations of each resource, one module per resource: plain endpoints
(``async def (request) -> Response``) that the runtime's own router serves
(:mod:`app.core.operations.router`), bound to the (possibly custom) classes at start-up."""

from __future__ import annotations

from generator.ir import Action, Kind, Operation, OperationKind, Project, Relation, Resource
from generator.render.common import header, quote_doc, resource_doc

__all__ = ["render_router", "route_specs"]

_IMPORTS = """\
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from app.core.data.unit import UnitOfWork
from app.core.domain.context import RequestContext
from app.core.domain.etag import etag, not_modified
from app.core.domain.types import ROW_ID, UUID_ID
from app.core.http.body import JSON_BODY, MERGE_PATCH_BODY, read_body, read_items
from app.core.http.deps import request_unit
from app.core.http.params import PathValue, read_query, refuse_undeclared_query
from app.core.http.responses import Answer, RowWriter, json_bytes_response, with_related
from app.core.operations.router import Operation
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
    imports += _action_imports(resource, project)
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
        "# The path parameters the operations read.\n",
        *_path_values(resource, project),
        "\n\n",
        "def build_operations(\n",
        f"    repository_class: type[{name}RepositoryBase] = {name}RepositoryBase,\n",
        f"    service_class: type[{name}ServiceBase] = {name}ServiceBase,\n",
        "    related: Mapping[str, type[Any]] | None = None,\n",
        ") -> list[Operation]:\n",
        quote_doc(
            f"The operations of {name}, bound to the (possibly custom) classes given;\n"
            "    ``related`` names the repository class of each resource nested routes list.",
            "    ",
        ),
        "\n",
        f"    def service_for(unit: UnitOfWork, request: Request) -> {name}ServiceBase:\n",
        "        return service_class(repository_class(unit), RequestContext(request))\n\n",
        "    listing = repository_class.listing\n",
        *(
            f'    {kind}_policy = service_class.commit_policy("{kind}")\n'
            for kind in ("create", "update")
            if resource.has(kind)
        ),
        ""
        if _nested_targets(resource, project)
        else "    del related  # no nested operation lists another resource\n",
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
    ]
    for operation in resource.endpoints:
        parts.append("\n")
        parts.append(_OPERATIONS[operation.kind](resource, operation, project))
    parts.append("\n    return [\n")
    for operation in resource.endpoints:
        names = [parameter.name for parameter in operation.parameters]
        values = ", ".join(f"_{name.upper()}" for name in names) + ("," if len(names) == 1 else "")
        parts.append(
            f"        Operation({operation.id!r}, {operation.method!r}, {operation.path!r}, "
            f"{operation.handler}, {operation.status}, ({values})),\n"
        )
    parts.append("    ]\n")
    return "".join(parts)


def _path_values(resource: Resource, project: Project) -> list[str]:
    """A reader (``app.core.http.params.PathValue``) of each path parameter, by its name."""
    values: dict[str, Resource] = {}
    for operation in resource.endpoints:
        for parameter in operation.parameters:
            owner = resource
            if operation.relation is not None and parameter is not operation.parameters[0]:
                owner = project.resource(operation.relation.target)
            values[parameter.name] = owner
    adapters = {key: "UUID_ID" if r.id_kind is Kind.UUID else "ROW_ID" for key, r in values.items()}
    return [f"_{key.upper()} = PathValue({key!r}, {adapters[key]})\n" for key in sorted(adapters)]


def route_specs(resource: Resource) -> list[tuple[tuple[str, ...], str, str]]:
    """``(methods, path, operation id)`` of every operation ``build_operations`` makes, in
    its order: the registry lists them so that the app routes to a resource before
    importing it."""
    return [((op.method,), op.path, op.id) for op in resource.endpoints]


def _writer(resource: Resource, model: str = "shown") -> str:
    """The name of the module's RowWriter of ``resource``'s rows: as its list and get show
    them (``shown``: with its relations, if it has any), or as its writes answer them."""
    if model == "shown" and resource.relations:
        return f"_{resource.module.upper()}_EXPANDED"
    return f"_{resource.module.upper()}_READ"


def _writers(resource: Resource, project: Project) -> str:
    name = resource.name
    lines = [
        "# What the operations answer, written from the rows read (app.core.http.responses).\n",
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
    for action in _actions(resource):
        if action.response_resource and action.response_resource != name:
            target = project.resource(action.response_resource)
            if target.relations or target not in _nested_targets(resource, project):
                lines.append(f"{_writer(target, 'read')} = RowWriter({target.name}Read)\n")
        elif action.response_class and not action.response_resource:
            lines.append(f"{_answer(action)} = Answer({action.response_class})\n")
    return "".join(sorted(set(lines), key=lines.index))


def _actions(resource: Resource) -> list[Action]:
    return [op.action for op in resource.endpoints if op.action is not None]


def _answer(action: Action) -> str:
    """The module's ``Answer`` of an action's declared schema."""
    return f"_{action.operation_id.upper()}"


def _action_imports(resource: Resource, project: Project) -> list[str]:
    """The request, query and answer classes of ``resource``'s actions."""
    imports = []
    for action in _actions(resource):
        for cls in (action.request_class, action.query_class):
            if cls:
                imports.append(f"from generated.{resource.module}.schemas import {cls}\n")
        if action.response_class and action.response_module:
            module = action.response_module
            imports.append(f"from generated.{module}.schemas import {action.response_class}\n")
        if action.response_resource:
            target = project.resource(action.response_resource)
            imports.append(f"from generated.{target.module}.schemas import {target.name}Read\n")
    return imports


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


def _read_id(operation: Operation, index: int = 0) -> str:
    """The line of a handler that reads a path parameter (the row id: the first)."""
    key = operation.parameters[index].name
    return f"        {key} = _{key.upper()}(request)\n"


def _handler(op: str) -> str:
    return f"    async def {op}(request: Request) -> Response:\n"


_OPEN = (
    "        async with request_unit(request) as unit:\n"
    "            service = service_for(unit, request)\n"
)


def _open(policy: str) -> str:
    """The unit opened with the operation's commit policy (see CommitPolicy): the
    request's one write may commit with its statement."""
    return (
        f"        async with request_unit(request, {policy}) as unit:\n"
        "            service = service_for(unit, request)\n"
    )


def _etag(resource: Resource, row: str = "row") -> str:
    return f', "ETag": etag({row})' if resource.versioned else ""


def _headers(resource: Resource) -> str:
    return ', headers={"ETag": etag(row)}' if resource.versioned else ""


def _if_match(resource: Resource) -> str:
    return ', if_match=request.headers.get("if-match")' if resource.versioned else ""


def _list(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    return (
        _handler(operation.handler)
        + "        query = listing.parse(request.query_params)\n"
        + _OPEN
        + "            page = await service.list(query)\n"
        "            expanded = await service.expand(page.rows, query.expand)\n"
        f"            return {_writer(resource)}.page_response(page, expanded)\n"
    )


def _get(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    key, shown = operation.parameters[0].name, _writer(resource)
    lines = [_handler(operation.handler), _read_id(operation)]
    if resource.relations:
        lines.append("        expand = listing.expansions(request.query_params)\n")
    else:
        lines.append("        refuse_undeclared_query(request)\n")
    lines += [_OPEN, f"            row = await service.read({key})\n"]
    if resource.relations:
        lines += [
            "            if expand:  # the row with its relations: no entity tag covers both\n",
            "                expanded = await service.expand([row], expand)\n",
            f"                return {shown}.response(with_related(row, expanded))\n",
        ]
    if resource.versioned:
        lines += [
            '            if not_modified(request.headers.get("if-none-match"), row):\n',
            '                return Response(status_code=304, headers={"ETag": etag(row)})\n',
        ]
    lines.append(f"            return {shown}.response(row{_headers(resource)})\n")
    return "".join(lines)


def _create(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    assert operation.body is not None
    item = resource.endpoint(OperationKind.GET)
    location = item.path.split("{")[0] if item else f"{operation.path}/"
    return (
        _handler(operation.handler) + "        refuse_undeclared_query(request)\n"
        f"        data = await read_body(request, {operation.body.schema}, JSON_BODY)\n"
        + _open("create_policy")
        + "            row = await service.create(data)\n"
        f'            headers = {{"Location": f"{location}{{row.id}}"{_etag(resource)}}}\n'
        f"            return {_writer(resource, 'read')}.response(row, status_code=201, "
        "headers=headers)\n"
    )


def _replace(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    assert operation.body is not None
    key = operation.parameters[0].name
    return (
        _handler(operation.handler)
        + _read_id(operation)
        + "        refuse_undeclared_query(request)\n"
        f"        data = await read_body(request, {operation.body.schema}, JSON_BODY)\n"
        + _OPEN
        + f"            row = await service.replace({key}, data{_if_match(resource)})\n"
        f"            return {_writer(resource, 'read')}.response(row{_headers(resource)})\n"
    )


def _update(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    assert operation.body is not None
    key = operation.parameters[0].name
    return (
        _handler(operation.handler)
        + _read_id(operation)
        + "        refuse_undeclared_query(request)\n"
        f"        patch = await read_body(request, {operation.body.schema}, MERGE_PATCH_BODY)\n"
        + _open("update_policy")
        + f"            row = await service.update({key}, patch{_if_match(resource)})\n"
        f"            return {_writer(resource, 'read')}.response(row{_headers(resource)})\n"
    )


def _delete(resource: Resource, operation: Operation, project: Project) -> str:
    del project
    key = operation.parameters[0].name
    return (
        _handler(operation.handler)
        + _read_id(operation)
        + "        refuse_undeclared_query(request)\n"
        + _OPEN
        + f"            await service.delete({key}{_if_match(resource)})\n"
        "            return Response(status_code=204)\n"
    )


def _bulk_create(resource: Resource, operation: Operation, project: Project) -> str:
    del resource, project
    return (
        _handler(operation.handler) + "        refuse_undeclared_query(request)\n"
        "        items = await read_items(request, _BULK, JSON_BODY)\n" + _OPEN + ""
        "            rows = await service.create_many(items)\n"
        "            created = _BULK_READ.validate_python(rows)\n"
        '            body = {"items": _BULK_READ.dump_python(created, mode="json")}\n'
        "            return json_bytes_response(body, status_code=201)\n"
    )


def _nested_parent(resource: Resource, target: Resource, key: str) -> str:
    """The read of a nested list's parent: a 404 when it is missing or deleted, unless
    both are soft-deletable and ``?include_deleted=true`` asks for deleted rows too."""
    if resource.soft_delete and target.soft_delete:
        return f"            await service.read({key}, include_deleted=query.include_deleted)\n"
    return f"            await service.read({key})\n"


def _list_related(resource: Resource, operation: Operation, project: Project) -> str:
    relation = operation.relation
    assert relation is not None
    target = project.resource(relation.target)
    key = operation.parameters[0].name
    return "".join([
        _handler(operation.handler),
        _read_id(operation),
        f"        scope = ({relation.name!r}, {key})\n",
        f"        query = {_nested_listing(relation)}.parse(request.query_params, scope=scope)\n",
        _OPEN,
        f"            related = {_related_class(target)}(unit)\n",
        _nested_parent(resource, target, key),
        f"            linked = service.repository.linked({relation.name!r}, {key})\n",
        "            page = await related.page(query, linked)\n",
        "            expanded = await related.expand(page.rows, query.expand)\n",
        f"            return {_writer(target)}.page_response(page, expanded)\n",
    ])  # fmt: skip


def _link(resource: Resource, operation: Operation, project: Project) -> str:
    """A link or an unlink: the service's method of the same name."""
    del resource, project
    relation = operation.relation
    assert relation is not None
    key, other = (parameter.name for parameter in operation.parameters)
    call = "link" if operation.kind is OperationKind.LINK else "unlink"
    return "".join([
        _handler(operation.handler),
        _read_id(operation),
        _read_id(operation, 1),
        "        refuse_undeclared_query(request)\n",
        _OPEN,
        f"            await service.{call}({relation.name!r}, {key}, {other})\n",
        "            return Response(status_code=204)\n",
    ])  # fmt: skip


def _action(resource: Resource, operation: Operation, project: Project) -> str:
    """An action: the validated path id, query and body, given to the service method of
    its name, whose return is validated and written as the contract declares it."""
    action = operation.action
    assert action is not None
    lines = [_handler(operation.handler)]
    arguments = []
    if operation.parameters:
        lines.append(_read_id(operation))
        arguments.append(operation.parameters[0].name)
    if action.query_class:
        lines.append(f"        query = read_query(request, {action.query_class})\n")
    else:
        lines.append("        refuse_undeclared_query(request)\n")
    if operation.body is not None:
        lines.append(
            f"        body = await read_body(request, {operation.body.schema}, JSON_BODY)\n"
        )
        arguments.append("body=body")
    if action.query_class:
        arguments.append("query=query")
    lines.append(_OPEN)
    call = f"service.{action.name}({', '.join(arguments)})"
    if action.response_resource:
        target = project.resource(action.response_resource)
        writer = _writer(target, "read")
        lines += [
            f"            row = await {call}\n",
            f"            return {writer}.response(row, status_code={operation.status})\n",
        ]
    elif action.response_class:
        answer = f"{_answer(action)}.response(answer, status_code={operation.status})"
        lines += [f"            answer = await {call}\n", f"            return {answer}\n"]
    else:
        lines += [f"            await {call}\n",
                  f"            return Response(status_code={operation.status})\n"]  # fmt: skip
    del resource
    return "".join(lines)


_OPERATIONS = {
    OperationKind.LIST: _list,
    OperationKind.GET: _get,
    OperationKind.CREATE: _create,
    OperationKind.REPLACE: _replace,
    OperationKind.UPDATE: _update,
    OperationKind.DELETE: _delete,
    OperationKind.BULK_CREATE: _bulk_create,
    OperationKind.LIST_RELATED: _list_related,
    OperationKind.LINK: _link,
    OperationKind.UNLINK: _link,
    OperationKind.ACTION: _action,
}
