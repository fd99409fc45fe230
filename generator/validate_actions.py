"""Stage 2, validate the ``actions:`` of a spec: operations beyond CRUD.

The spec format's schema (spec_schema.yaml) holds each action to its keys and their
types; the checks here are the ones it cannot say: where the path may go, which method
takes a body, what a status needs, and that an action neither shadows a method of the
service nor answers on a route the resource already has.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

import jsonschema

from generator.errors import SpecError
from generator.ir import ALL_OPERATIONS
from generator.load import KeyPath, SourceDoc
from generator.naming import snake_case
from generator.routes import item_path, key_name, own_routes

__all__ = [
    "SERVICE_NAMES",
    "action_errors",
    "action_format_message",
    "action_id_errors",
    "action_response_errors",
    "actions_checkable",
]

# What a generated service already has (app.core.services.service.ResourceService and the class
# attributes the generator writes): an action of these names would replace it.
SERVICE_NAMES = frozenset(
    ("list", "get", "read", "expand", "create", "create_many", "bulk_create", "replace",
     "update", "delete", "link", "unlink", "to_change", "repository", "context", "resource",
     "object_fields", "action_signatures", "strategy", "commit_policy")
)  # fmt: skip
_HOOK_PREFIXES = ("before_", "after_")
_LITERAL = re.compile(r"^[A-Za-z0-9._~-]+$")
_BODYLESS = frozenset(("GET", "DELETE"))
_SCALARS = frozenset(("string", "integer", "number", "boolean"))
# The keys of a spec the checks of its actions read: a format error there skips them.
_READ_KEYS = frozenset(("resource", "operations", "bulk_create", "relations", "actions"))

FieldCheck = Callable[[SourceDoc, KeyPath, dict[str, Any]], Iterator[SpecError]]


def action_format_message(error: jsonschema.ValidationError, path: KeyPath) -> str | None:
    """A clearer message than jsonschema's for a format error inside ``actions``."""
    if path[:1] != ("actions",) or len(path) < 3:
        return None
    key = path[2]
    if key == "response" and error.validator == "oneOf":
        return "a response is a resource's name (Event) or a JSON Schema (a mapping)"
    if key == "errors" and error.validator in ("minimum", "maximum", "type"):
        return f"{error.instance!r}: errors are HTTP statuses from 400 to 599"
    if key == "method" and error.validator == "enum":
        return f"{error.instance!r}: the method is one of GET, POST, PUT, PATCH, DELETE"
    if key == "status" and error.validator == "enum":
        return f"{error.instance!r}: the status is 200, 201, 202 or 204"
    if key == "query" and len(path) == 5 and path[4] == "type" and error.validator == "oneOf":
        return f"{error.instance!r}: a query parameter is a string, integer, number or boolean"
    return None


def actions_checkable(errors: list[SpecError], doc: SourceDoc) -> set[str] | None:
    """The actions whose own checks can run though the spec has format ``errors``: those
    without one, when none touches a key the checks read; None: no action can be checked."""
    actions = doc.data.get("actions") if isinstance(doc.data, dict) else None
    if not isinstance(actions, dict) or not isinstance(doc.data.get("resource"), str):
        return None
    bad: set[str] = set()
    for error in errors:
        head, _, rest = error.key.partition(".")
        if head == "actions" and rest:
            bad.add(rest.split(".")[0].split("[")[0])
        elif head.split("[")[0] in _READ_KEYS:
            return None
    return {name for name, action in actions.items() if isinstance(action, dict)} - bad


def action_errors(
    doc: SourceDoc, field_check: FieldCheck, only: set[str] | None = None
) -> Iterator[SpecError]:
    """The problems of a spec's actions (all of them, or the names in ``only``);
    ``field_check`` checks a field's schema, here a query parameter's."""
    data = doc.data
    actions: dict[str, Any] = data.get("actions", {})
    module = snake_case(data["resource"])
    taken = own_routes(
        module,
        data.get("operations", ALL_OPERATIONS),
        bulk=bool(data.get("bulk_create")),
        collections=[name for name, relation in data.get("relations", {}).items()
                     if "has_many" in relation or "many_to_many" in relation],
    )  # fmt: skip
    seen: dict[tuple[str, str], str] = {}
    for name, action in actions.items():
        if only is not None and name not in only:
            continue
        at: KeyPath = ("actions", name)
        if name in SERVICE_NAMES or name.startswith(_HOOK_PREFIXES) or keyword.iskeyword(name):
            message = f"{name!r} would shadow the service's own {name}"
            yield doc.error(at, f"{message}; rename the action")
        path_ok = True
        for problem in _path_problems(action["path"], module, data):
            path_ok = False
            yield doc.error((*at, "path"), problem)
        route = (action["method"], action["path"])
        if path_ok and route in taken:
            message = f"{route[0]} {route[1]} is the resource's own {taken[route]} operation"
            yield doc.error((*at, "path"), f"{message}; choose another path or method")
        elif path_ok and route in seen:
            message = f"{route[0]} {route[1]} is also the route of the action {seen[route]}"
            yield doc.error((*at, "path"), f"{message}; choose another path or method")
        seen.setdefault(route, name)
        yield from _body_errors(doc, at, action)
        yield from _query_errors(doc, at, action, module, field_check)


def _path_problems(path: str, module: str, data: dict[str, Any]) -> Iterator[str]:
    item = item_path(module)[1:]
    if not path.startswith("/"):
        yield f"the path is under the resource's and starts with /: write /{path}"
        return
    segments = path[1:].split("/")
    if "" in segments:
        yield (
            f"the path has an empty segment: name the action's route, as /stats or /{item}/publish"
        )
        return
    first, literals = segments[0], segments[1:]
    if first.startswith("{"):
        if first != item:
            message = f"an item action's path starts with /{item}, the id parameter of "
            yield message + f"{data['resource']}; write /{item}{path[len(first) + 1 :]}"
    else:
        literals = segments
        if first == "bulk" and data.get("bulk_create"):
            yield "/bulk is the route of bulk_create; choose another first segment"
        if _is_id(first, uuid=data.get("id") == "uuid"):
            message = f"/{first} is also the path of the {data['resource']} of that id"
            yield f"{message}; start the path with a word"
    for segment in literals:
        if "{" in segment or "}" in segment:
            yield (
                f"{segment!r}: only the id ({item}, first) can be a path parameter; pass "
                "other values in `query` or the request body"
            )
        elif not _LITERAL.match(segment):
            yield f"{segment!r}: a path segment holds letters, digits and . _ ~ - only"


def _body_errors(doc: SourceDoc, at: KeyPath, action: dict[str, Any]) -> Iterator[SpecError]:
    method = action["method"]
    request = action.get("request")
    if request is not None:
        if method in _BODYLESS:
            message = f"a {method} action takes no request body; put its values in `query`"
            yield doc.error((*at, "request"), message)
        elif request.get("type") != "object":
            message = "a request body is an object: say `type: object` and its `properties`"
            yield doc.error((*at, "request"), message)
        yield from _schema_errors(doc, (*at, "request"), request)
    response = action.get("response")
    if isinstance(response, dict):
        yield from _schema_errors(doc, (*at, "response"), response)
    status = action.get("status")
    if response is not None and status == 204:
        message = "204 answers no body, and the action declares a response; remove one of them"
        yield doc.error((*at, "status"), message)
    if response is None and status in (200, 201):
        message = f"{status} needs a `response`; declare it, or leave `status` out (204)"
        yield doc.error((*at, "status"), message)


def _schema_errors(doc: SourceDoc, at: KeyPath, schema: dict[str, Any]) -> Iterator[SpecError]:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        yield doc.error((*at, *exc.absolute_path), f"not a valid JSON Schema: {exc.message}")


def _query_errors(
    doc: SourceDoc, at: KeyPath, action: dict[str, Any], module: str, field_check: FieldCheck
) -> Iterator[SpecError]:
    for name, schema in action.get("query", {}).items():
        here: KeyPath = (*at, "query", name)
        if name == key_name(module) and action["path"].startswith(item_path(module)):
            yield doc.error(here, f"{name!r} is the path's id parameter; rename it")
        declared = schema["type"]
        nullable = isinstance(declared, list)
        base = next((t for t in declared if t != "null"), None) if nullable else declared
        items = schema.get("items", {}) if base == "array" else {}
        item_type = items.get("type") if isinstance(items, dict) else None
        if base not in _SCALARS and not (base == "array" and item_type in _SCALARS):
            message = "a query parameter is a scalar (string, integer, number, boolean) or an "
            yield doc.error((*here, "type"), message + "array of scalars (`items: {type: ...}`)")
            continue
        if nullable:
            message = 'a query parameter is never null (a client leaves it out); drop "null"'
            yield doc.error((*here, "type"), message)
        for key in ("x-index", "x-unique"):
            if key in schema:
                yield doc.error((*here, key), f"{key} is for stored fields; remove it")
        yield from field_check(doc, here, schema)


def action_response_errors(
    doc: SourceDoc, names: set[str], *, complete: bool
) -> Iterator[SpecError]:
    """A response that names a resource names one of ``names`` (every resource, valid or
    not); when some file was unreadable (not ``complete``), an unknown name is not blamed."""
    actions = doc.data.get("actions") if isinstance(doc.data, dict) else None
    for name, action in actions.items() if isinstance(actions, dict) else ():
        response = action.get("response") if isinstance(action, dict) else None
        if isinstance(response, str) and response not in names and complete:
            known = ", ".join(sorted(names)) or "(none)"
            message = f"unknown resource {response!r}; known: {known} (or write a JSON Schema)"
            yield doc.error(("actions", name, "response"), message)


def action_id_errors(docs: Iterable[SourceDoc]) -> Iterator[SpecError]:
    """Two actions whose operation ids (``<action>_<module>``) are the same, as ``a_b`` of
    Event and ``a`` of BEvent would be: the second is told to rename."""
    first: dict[str, tuple[SourceDoc, str]] = {}
    for doc in docs:
        data = doc.data if isinstance(doc.data, dict) else {}
        actions, resource = data.get("actions"), data.get("resource")
        if not isinstance(actions, dict) or not isinstance(resource, str):
            continue
        for name in actions:
            operation_id = f"{name}_{snake_case(resource)}"
            other = first.setdefault(operation_id, (doc, name))
            if other[0] is not doc:
                where = f"{other[0].path}:{other[0].line_of(('actions', other[1]))}"
                message = f"its operation id {operation_id} is also that of the action {other[1]}"
                yield doc.error(("actions", name), f"{message} ({where}); rename one")


def _is_id(segment: str, *, uuid: bool) -> bool:
    """Whether a literal segment is an id of the resource, which its item routes take."""
    if not uuid:
        return segment.isascii() and segment.isdigit()
    try:
        UUID(segment)
    except ValueError:
        return False
    return True
