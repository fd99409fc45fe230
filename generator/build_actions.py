"""Stage 3, build the actions of a resource: its operations beyond CRUD, as IR.

Every name the contract, the service base and the router print is decided here: the
operation id (``publish_event``), the full path, the Pydantic classes of the bodies and
the query (``EventPublishRequest``, ``EventStatsQuery``, ``EventStatsResponse``), and
the problem statuses the contract documents.
"""

from __future__ import annotations

import copy
from typing import Any

from generator.hardening import contract_field_schema, harden
from generator.ir import Action, Kind, QueryParameter
from generator.naming import snake_case
from generator.routes import item_path, key_name

__all__ = ["action_class_names", "build_actions"]

# What every action of a shape may answer, besides what its spec declares: a body may be
# unreadable (400), too large (413), of another media type (415) or invalid (422); an
# item's id may name no row (404) or be no id (422); a query value may be invalid (422).
_BODY_ERRORS = (400, 413, 415, 422)
_ITEM_ERRORS = (404, 422)
_QUERY_ERRORS = (422,)


def action_class_names(resource: str, actions: Any) -> set[str]:
    """The schema names a spec's actions add to the contract, which no enum or shared
    model may take; ``actions`` may not be validated yet (what is no action adds none)."""
    names: set[str] = set()
    for name, action in actions.items() if isinstance(actions, dict) else ():
        if not isinstance(name, str) or not isinstance(action, dict):
            continue
        stem = f"{resource}{_pascal(name)}"
        if action.get("request") is not None:
            names.add(f"{stem}Request")
        if action.get("query"):
            names.add(f"{stem}Query")
        if isinstance(action.get("response"), dict):
            names.add(f"{stem}Response")
    return names


def build_actions(
    data: dict[str, Any], path: str, id_kind: Kind, modules: dict[str, str]
) -> tuple[Action, ...]:
    """The actions of a validated spec (``data``) whose resource lives at ``path``;
    ``modules`` holds the module of every resource, by name."""
    resource: str = data["resource"]
    module = snake_case(resource)
    return tuple(
        _action(resource, module, path, id_kind, name, spec, modules)
        for name, spec in data.get("actions", {}).items()
    )


def _action(
    resource: str,
    module: str,
    path: str,
    id_kind: Kind,
    name: str,
    spec: dict[str, Any],
    modules: dict[str, str],
) -> Action:
    stem = f"{resource}{_pascal(name)}"
    id_name = key_name(module)
    item = spec["path"].startswith(item_path(module))
    request = spec.get("request")
    query = spec.get("query", {})
    response = spec.get("response")
    errors: set[int] = set(spec.get("errors", ()))
    errors.update(_BODY_ERRORS if request is not None else ())
    errors.update(_ITEM_ERRORS if item else ())
    errors.update(_QUERY_ERRORS if query else ())
    response_class = response_module = None
    if isinstance(response, str):
        response_class, response_module = f"{response}Read", modules[response]
    elif response is not None:
        response_class, response_module = f"{stem}Response", module
    return Action(
        name=name,
        resource=resource,
        method=spec["method"],
        path=f"{path}{spec['path']}",
        item=item,
        path_parameters=(id_name,) if item else (),
        id_type="UUID" if id_kind is Kind.UUID else "int",
        query=tuple(
            QueryParameter(key, contract_field_schema(schema, None), schema.get("description"))
            for key, schema in query.items()
        ),
        request=harden(copy.deepcopy(request)) if request is not None else None,
        response_resource=response if isinstance(response, str) else None,
        response=harden(copy.deepcopy(response)) if isinstance(response, dict) else None,
        status=spec.get("status", 204 if response is None else 200),
        errors=tuple(sorted(errors)),
        declared_errors=tuple(sorted(set(spec.get("errors", ())))),
        summary=spec.get("summary") or _summary(name, resource, item),
        description=spec.get("description"),
        operation_id=f"{name}_{module}",
        request_class=f"{stem}Request" if request is not None else None,
        query_class=f"{stem}Query" if query else None,
        response_class=response_class,
        response_module=response_module,
    )


def _summary(name: str, resource: str, item: bool) -> str:
    article = "an" if resource[0] in "AEIOU" else "a"
    return (
        f"The action {name} of {article} {resource}" if item else f"The action {name} ({resource})"
    )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
