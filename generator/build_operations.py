"""Stage 3, build: every HTTP operation of a resource, as data.

The operation id, method, path, parameters, body, answer and errors of each operation
are decided here, once; the contract, the routers, the registry's route list and the
fuzz configuration print them (see :class:`generator.ir.Operation`).
"""

from __future__ import annotations

from typing import Any

from generator.ir import (
    INT64_MAX,
    Action,
    Body,
    Kind,
    Operation,
    OperationKind,
    PathParameter,
    Project,
    Relation,
    Resource,
)
from generator.routes import BULK_PATH, CRUD_ROUTES, key_name, nested_path

__all__ = ["JSON", "MERGE_PATCH_JSON", "build_operations", "id_schema"]

JSON = "application/json"
MERGE_PATCH_JSON = "application/merge-patch+json"

_VERBS = {"list": "List", "get": "Get", "create": "Create", "replace": "Replace",
          "update": "Update", "delete": "Delete"}  # fmt: skip
_ERRORS = {
    OperationKind.LIST: (400, 422),
    OperationKind.GET: (404, 422),
    OperationKind.CREATE: (400, 409, 413, 415, 422),
    OperationKind.REPLACE: (400, 404, 409, 413, 415, 422),
    OperationKind.UPDATE: (400, 404, 409, 413, 415, 422),
    OperationKind.DELETE: (404, 409, 422),
    OperationKind.BULK_CREATE: (400, 409, 413, 415, 422),
    OperationKind.LIST_RELATED: (400, 404, 422),
    OperationKind.LINK: (404, 422),
    OperationKind.UNLINK: (404, 422),
}
# Changes a stale If-Match refuses with 412, on a versioned resource.
_CONDITIONAL = frozenset((OperationKind.REPLACE, OperationKind.UPDATE, OperationKind.DELETE))


def build_operations(resource: Resource, project: Project) -> tuple[Operation, ...]:
    """The operations of ``resource`` in route order: its CRUD ones, bulk create, per
    relation the nested list and the link and unlink of a many-to-many, then its actions.

    ``project`` holds every resource with its declared ``operations`` (a nested list
    exists where the related resource is listed).
    """
    out = [_crud(OperationKind(name), resource) for name in resource.operations]
    if resource.bulk_max is not None:
        out.append(_bulk_create(resource, resource.bulk_max))
    for relation in resource.relations:
        if relation.kind != "belongs_to":
            out += _nested(resource, relation, project.resource(relation.target))
    out += [_action(resource, action) for action in resource.actions]
    return tuple(out)


def _action(resource: Resource, action: Action) -> Operation:
    """An action's operation: its route and answers as the spec declares them."""
    return Operation(
        id=action.operation_id,
        kind=OperationKind.ACTION,
        method=action.method,
        path=action.path,
        resource=resource.name,
        handler=action.operation_id,
        summary=action.summary,
        status=action.status,
        parameters=(_key(resource),) if action.item else (),
        body=Body(action.request_class, (JSON,)) if action.request_class else None,
        response=action.response_class,
        errors=action.errors,
        action=action,
    )


def id_schema(resource: Resource) -> dict[str, Any]:
    """The schema of a row's id."""
    if resource.id_kind is Kind.UUID:
        return {"type": "string", "format": "uuid"}
    return {"type": "integer", "minimum": 1, "maximum": INT64_MAX}


def _key(resource: Resource) -> PathParameter:
    """The path parameter naming one row: ``event_id`` (``id`` would shadow a builtin)."""
    return PathParameter(
        key_name(resource.module), id_schema(resource), f"The id of the {resource.name}."
    )


def _article(name: str) -> str:
    return "an" if name[0] in "AEIOU" else "a"


def _crud(kind: OperationKind, resource: Resource) -> Operation:
    name = resource.name
    method, path, status = CRUD_ROUTES[kind]
    op_id = f"{kind}_{resource.plural if kind is OperationKind.LIST else resource.module}"
    key = _key(resource)
    errors = _ERRORS[kind]
    if resource.versioned and kind in _CONDITIONAL:
        errors = tuple(sorted((*errors, 412)))
    body = None
    if kind in (OperationKind.CREATE, OperationKind.REPLACE):
        body = Body(f"{name}Create", (JSON,))
    elif kind is OperationKind.UPDATE:
        body = Body(f"{name}Update", (MERGE_PATCH_JSON, JSON))
    responses = {
        OperationKind.LIST: f"{name}Page",
        OperationKind.GET: f"{name}Expanded" if resource.relations else f"{name}Read",
        OperationKind.DELETE: None,
    }
    noun = resource.plural if kind is OperationKind.LIST else f"{_article(name)} {name}"
    return Operation(
        id=op_id,
        kind=kind,
        method=method,
        path=resource.path + path.replace("{key}", f"{{{key.name}}}"),
        resource=name,
        handler=op_id,
        summary=f"{_VERBS[kind]} {noun}",
        status=status,
        parameters=(key,) if path else (),
        body=body,
        response=responses.get(kind, f"{name}Read"),
        errors=errors,
    )


def _bulk_create(resource: Resource, most: int) -> Operation:
    op_id = f"bulk_create_{resource.module}"
    return Operation(
        id=op_id,
        kind=OperationKind.BULK_CREATE,
        method="POST",
        path=resource.path + BULK_PATH,
        resource=resource.name,
        handler=op_id,
        summary=f"Create up to {most} {resource.plural} at once, all or none",
        status=201,
        body=Body(f"{resource.name}Create", (JSON,)),
        response=f"{resource.name}Read",
        errors=_ERRORS[OperationKind.BULK_CREATE],
    )


def _nested(resource: Resource, relation: Relation, target: Resource) -> list[Operation]:
    """``/events/{event_id}/images``: a parent's related rows, listed like the related
    resource's own list; many-to-many links are made and removed under it."""
    key = _key(resource)
    base = resource.path + nested_path(resource.module, relation.name)
    out: list[Operation] = []
    if target.has("list"):
        op_id = f"list_{resource.module}_{relation.name}"
        out.append(Operation(
            id=op_id,
            kind=OperationKind.LIST_RELATED,
            method="GET",
            path=base,
            resource=resource.name,
            handler=op_id,
            summary=f"List the {relation.name} of {_article(resource.name)} {resource.name}",
            status=200,
            parameters=(key,),
            response=f"{target.name}Page",
            errors=_ERRORS[OperationKind.LIST_RELATED],
            relation=relation,
        ))  # fmt: skip
    if relation.kind != "many_to_many" or target.name == resource.name:
        return out  # a many-to-many of a resource with itself is refused by validation
    other = _key(target)
    link = f"{resource.module}_{relation.name}"
    noun = f"{_article(target.name)} {target.name}"
    for kind, method, summary in (
        (OperationKind.LINK, "PUT", f"Link {noun} to the {resource.name}"),
        (OperationKind.UNLINK, "DELETE", f"Unlink {noun} from the {resource.name}"),
    ):
        out.append(Operation(
            id=f"{kind}_{link}",
            kind=kind,
            method=method,
            path=f"{base}/{{{other.name}}}",
            resource=resource.name,
            handler=f"{kind}_{link}",
            summary=summary,
            status=204,
            parameters=(key, other),
            errors=_ERRORS[kind],
            relation=relation,
        ))  # fmt: skip
    return out
