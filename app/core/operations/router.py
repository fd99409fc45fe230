"""The generated operations, served by an ASGI router of our own.

A generated router module makes its resource's operations as plain data
(:class:`Operation`: id, method, path, endpoint), and each endpoint is an
``async def (request) -> Response`` of its own: it validates what it reads and opens
the request's unit of work itself. Nothing of FastAPI's per-request machinery
(dependency solving, response models) is needed, and none of it is touched.

:class:`OperationRouter` serves them: a Starlette route (``BaseRoute``, the documented
base of routes) that the app is built with as its first route (FastAPI's ``routes=``),
so that the router finds a generated operation without trying the app's other routes
first. Every request passes through the app's whole middleware stack and its exception
handlers, as for any route. It finds an operation by the first segment of the path and,
within it, by the most specific template (a literal segment before a parameter:
``/events/stats`` is no ``/events/{event_id}``); a template with a parameter yields to
the app's own routes for the same path (a custom ``/events/featured``). What it does
not serve, the app's router answers as for any route: 405, a redirect for a trailing
slash, 404.

A resource's code (schemas, model, repository, service, router) is imported, and its
operations built with their custom classes, by the first request that reaches one of
them (or by the warm-up of deployed environments, :class:`app.core.operations.warmup.WarmUp`).

Request hooks (:mod:`app.core.operations.hooks`) run before every operation's endpoint; a test
replaces one through ``app.dependency_overrides``, as for any FastAPI dependency.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from app.core.http.params import PathValue
from app.core.operations.discovery import CustomExtensions
from app.core.operations.hooks import RequestHook
from app.core.operations.registry import ResourceBinding, RouteSpec

__all__ = [
    "Endpoint",
    "Operation",
    "OperationRouter",
    "ResourceOperations",
    "RoutePattern",
    "path_pattern",
]

Endpoint = Callable[[Request], Awaitable[Response]]
RoutePattern = tuple[re.Pattern[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One HTTP operation of a resource: its id, method, path template and endpoint, the
    status it answers on success, and the readers of its path parameters
    (:class:`app.core.http.params.PathValue`), in the path's order."""

    name: str
    method: str
    path: str
    endpoint: Endpoint
    status: int = 200
    path_values: tuple[PathValue[Any], ...] = ()


_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def path_pattern(template: str) -> re.Pattern[str]:
    """The regular expression of a path template: each ``{name}`` takes one segment."""
    parts = _PARAMETER.split(template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def _specificity(template: str) -> tuple[int, ...]:
    """Sorts literal segments before parameters, position by position."""
    return tuple(1 if "{" in segment else 0 for segment in template.split("/"))


@dataclass(slots=True)
class _Slot:
    """One method of a path template: the operation that serves it, resolved (its
    resource built) on first use."""

    binding: ResourceBinding
    name: str
    endpoint: Endpoint | None = None


@dataclass(slots=True)
class _Template:
    """A path template and the operations of each method it serves."""

    path: str
    pattern: re.Pattern[str]
    slots: dict[str, _Slot] = field(default_factory=dict)


class ResourceOperations:
    """The operations of the generated resources, each resource built on first use with
    its (possibly custom) repository and service classes."""

    def __init__(self, bindings: Sequence[ResourceBinding], extensions: CustomExtensions) -> None:
        self.bindings = tuple(bindings)
        self.extensions = extensions
        self.repositories = _Repositories(self)
        self._built: dict[str, dict[str, Operation]] = {}

    def operations(self, binding: ResourceBinding) -> dict[str, Operation]:
        """``binding``'s operations by name, its resource built now if no request did."""
        built = self._built.get(binding.name)
        if built is None:
            built = self._built[binding.name] = self._build(binding)
        return built

    def endpoint(self, binding: ResourceBinding, name: str) -> Endpoint:
        return self.operations(binding)[name].endpoint

    def build(self, binding: ResourceBinding) -> None:
        """Build ``binding``'s operations now, unless a request already did."""
        self.operations(binding)

    @property
    def built(self) -> int:
        """How many resources are built."""
        return len(self._built)

    def _build(self, binding: ResourceBinding) -> dict[str, Operation]:
        operations = binding.build_operations(
            self.extensions.repository_for(binding),
            self.extensions.service_for(binding),
            self.repositories,
        )
        made = {(op.name, op.method, op.path) for op in operations}
        listed = {(spec.name, method, spec.path) for spec in binding.routes
                  for method in spec.methods}  # fmt: skip
        if made != listed:
            raise RuntimeError(
                f"generated/{binding.module}/router.py does not make the operations "
                "generated/registry.py lists; run `specbase generate`"
            )
        return {op.name: op for op in operations}


class _Repositories(Mapping[str, type[Any]]):
    """The repository class of each resource by name, looked up (and imported) on use;
    nested operations list a related resource through it."""

    def __init__(self, operations: ResourceOperations) -> None:
        self._operations = operations
        self._by_name = {binding.name: binding for binding in operations.bindings}

    def __getitem__(self, name: str) -> type[Any]:
        return self._operations.extensions.repository_for(self._by_name[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


class OperationRouter(BaseRoute):
    """The route of every generated operation and action (see the module).

    It is the app's first route. A request whose path one of its templates takes is
    answered here (FULL), or, when another method serves that template, left to the
    app's router to answer 405 (PARTIAL); anything else goes on to the app's other
    routes (NONE). A template with a parameter yields to the app's own routes that take
    the same path (a custom ``/events/featured`` is no ``/events/{event_id}``):
    ``others`` lists their patterns. ``overrides`` is the app's
    ``dependency_overrides``, through which a test replaces a request hook.
    """

    def __init__(
        self,
        operations: ResourceOperations,
        *,
        hooks: Sequence[RequestHook] = (),
        overrides: Mapping[Any, Any] | None = None,
    ) -> None:
        self.operations = operations
        self.hooks = tuple(hooks)
        self.overrides: Mapping[Any, Any] = overrides if overrides is not None else {}
        self.others: list[re.Pattern[str]] = []
        by_path: dict[str, _Template] = {}
        for binding in operations.bindings:
            for spec in binding.routes:
                template = by_path.get(spec.path)
                if template is None:
                    template = by_path[spec.path] = _Template(spec.path, path_pattern(spec.path))
                for method in spec.methods:
                    template.slots[method] = _Slot(binding, spec.name)
        by_segment: dict[str, list[_Template]] = {}
        for template in by_path.values():
            by_segment.setdefault(_first_segment(template.path), []).append(template)
        for templates in by_segment.values():
            templates.sort(key=lambda t: _specificity(t.path))  # stable: else the registry's order
        self._by_segment = by_segment

    def routes(self) -> Iterator[RouteSpec]:
        """Every operation's route, for the app's index of what it serves."""
        for binding in self.operations.bindings:
            yield from binding.routes

    def patterns(self) -> list[RoutePattern]:
        """The pattern and methods of each path template this router serves."""
        return [
            (template.pattern, frozenset(template.slots))
            for templates in self._by_segment.values()
            for template in templates
        ]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path = _route_path(scope)
        templates = self._by_segment.get(_first_segment(path))
        if templates is None:
            return Match.NONE, {}
        for template in templates:
            found = template.pattern.fullmatch(path)
            if found is None:
                continue
            if "{" in template.path and any(other.match(path) for other in self.others):
                return Match.NONE, {}
            child = {"path_params": found.groupdict(), _TEMPLATE: template}
            return (Match.FULL if scope["method"] in template.slots else Match.PARTIAL), child
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        template: _Template = scope[_TEMPLATE]
        slot = template.slots.get(scope["method"])
        if slot is None:
            raise HTTPException(405)  # the app's handler lists the methods that serve it
        endpoint = slot.endpoint
        if endpoint is None:
            endpoint = slot.endpoint = self.operations.endpoint(slot.binding, slot.name)
        request = Request(scope, receive, send)
        for hook in self.hooks:
            await self.overrides.get(hook, hook)(request)
        response = await endpoint(request)
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


# Where a match leaves the template it found, for ``handle``.
_TEMPLATE = "specbase.template"


def _first_segment(path: str) -> str:
    return path[1:].partition("/")[0]


def _route_path(scope: Scope) -> str:
    """The path the app routes on: without the prefix a proxy serves it under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :]
    return path
