"""Stage 4, the contract's part of actions: their operations, schemas and links.

Each action is an operation of the published contract before any code exists: its
path item (``/events/{event_id}/publish``), its parameters and bodies as components
(``EventPublishRequest``, ``EventStatsQuery``, ``EventStatsResponse``), which
datamodel-code-generator turns into Pydantic classes like every other schema, its
problem answers, and links from a new or read row to every item action, so that
stateful property tests chain them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from generator.contract import (
    _ERRORS,
    PROBLEM_JSON,
    _error_refs,
    _path_parameter,
    _ref,
)
from generator.contract_query import ARRAY_STYLE
from generator.ir import Action, Operation, OperationKind, Project, Resource

__all__ = ["action_link_name", "add_actions"]


def add_actions(
    resource: Resource, paths: dict[str, Any], schemas: dict[str, Any], project: Project
) -> None:
    """Add ``resource``'s action operations to the contract's ``paths`` and their schemas
    to ``schemas`` (in place), and link its create and get answers to each item action."""
    del project
    actions = [op for op in resource.endpoints if op.action is not None]
    for op in actions:
        assert op.action is not None
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, op.action, resource)
        schemas.update(_schemas(op.action))
    links = {
        action_link_name(op.action): {
            "operationId": op.id,
            "parameters": {parameter.name: "$response.body#/id" for parameter in op.parameters},
        }
        for op in actions
        if op.action is not None and op.action.item
    }
    if not links:
        return
    for kind, status in ((OperationKind.CREATE, "201"), (OperationKind.GET, "200")):
        answered = resource.endpoint(kind)
        if answered is not None:
            operation = paths[answered.path][answered.method.lower()]
            operation["responses"][status].setdefault("links", {}).update(links)


def action_link_name(action: Action) -> str:
    """``PublishEvent``: the link from a row to the action (CRUD links say ``GetEvent``)."""
    return "".join(part.capitalize() for part in action.name.split("_")) + action.resource


def _operation(op: Operation, action: Action, resource: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.id, "summary": op.summary}
    if action.description:
        out["description"] = action.description
    out["tags"] = [resource.name]
    parameters = [_path_parameter(parameter) for parameter in op.parameters]
    for query in action.query:
        parameter: dict[str, Any] = {"name": query.name, "in": "query", "required": False}
        if query.description:
            parameter["description"] = query.description
        if query.schema.get("type") == "array":
            parameter.update(ARRAY_STYLE)
        parameter["schema"] = query.schema
        parameters.append(parameter)
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        content = {media: {"schema": _ref(op.body.schema)} for media in op.body.media_types}
        out["requestBody"] = {"required": True, "content": content}
    success: dict[str, Any] = {"description": _answer(action)}
    if op.response:
        success["content"] = {"application/json": {"schema": _ref(op.response)}}
    out["responses"] = {str(op.status): success, **_errors(op.errors)}
    return out


def _answer(action: Action) -> str:
    if action.response_resource:
        return f"The {action.response_resource}."
    if action.response_class:
        return f"The answer of {action.name}."
    return f"{action.name} was done; no body."


def _errors(statuses: tuple[int, ...]) -> dict[str, Any]:
    """Problem answers: the contract's shared ones by reference, others written out."""
    out: dict[str, Any] = {}
    for status in statuses:
        key = str(status)
        if key in _ERRORS:
            out.update(_error_refs((status,)))
            continue
        try:
            text = HTTPStatus(status).phrase
        except ValueError:
            text = f"HTTP {status}"
        out[key] = {"description": text, "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}
    return out


def _schemas(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if action.request_class and action.request is not None:
        out[action.request_class] = action.request
    if action.query_class:
        out[action.query_class] = {
            "type": "object",
            "description": f"The query parameters of {action.operation_id}.",
            "properties": {query.name: query.schema for query in action.query},
            "additionalProperties": False,
        }
    if action.response is not None and action.response_class:
        out[action.response_class] = action.response
    return out
