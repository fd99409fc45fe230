"""Generated routes that stand in for their resource until it is first used.

The app is built from the registry's route table (:class:`app.core.registry.RouteSpec`):
every generated route is in place from the start, with its path, methods and name, so
routing, ``405`` answers and the refusal of shadowing custom routes work as before. The
resource's code (schemas, model, repository, service, router) is imported, and its
router built with its custom classes, by the first request that reaches one of its
routes (or by the warm-up of deployed environments, :class:`app.core.warmup.WarmUp`).
The stand-in then hands every request to the route it stood for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from app.core.discovery import CustomExtensions
from app.core.registry import ResourceBinding, RouteSpec
from app.core.routing import Handler, OperationRoute

__all__ = ["DeferredRoute", "ResourceRoutes"]


class DeferredRoute(Route):
    """A generated route whose resource is built on first use (see the module)."""

    def __init__(self, spec: RouteSpec, binding: ResourceBinding, routes: ResourceRoutes) -> None:
        super().__init__(spec.path, self.handle, methods=list(spec.methods), name=spec.name)
        self.methods = set(spec.methods)  # as FastAPI's routes: no HEAD of its own
        self.app = self.handle  # the target answers, method checks included
        self.binding = binding
        self._routes = routes
        self._target: BaseRoute | None = None

    @property
    def target(self) -> BaseRoute:
        """The route this one stands for, built with its resource on first use."""
        if self._target is None:
            self._target = self._routes.route(self.binding, self.name, self.path)
        return self._target

    def operation(self) -> Handler | None:
        """The target's precompiled handler (None: FastAPI answers it)."""
        target = self.target
        return target.operation if isinstance(target, OperationRoute) else None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.target.handle(scope, receive, send)


class ResourceRoutes:
    """The routers of the generated resources, each built on first use with the
    resource's (possibly custom) repository and service classes."""

    def __init__(self, bindings: Sequence[ResourceBinding], extensions: CustomExtensions) -> None:
        self.bindings = tuple(bindings)
        self.extensions = extensions
        self.repositories = _Repositories(self)
        self._built: dict[str, dict[tuple[str, str], BaseRoute]] = {}

    def deferred(self) -> list[DeferredRoute]:
        """A stand-in for every generated route, in the registry's order."""
        return [
            DeferredRoute(spec, binding, self)
            for binding in self.bindings
            for spec in binding.routes
        ]

    def route(self, binding: ResourceBinding, name: str, path: str) -> BaseRoute:
        built = self._built.get(binding.name)
        if built is None:
            built = self._built[binding.name] = self._build(binding)
        return built[name, path]

    def build_all(self) -> None:
        for binding in self.bindings:
            self.build(binding)

    def build(self, binding: ResourceBinding) -> None:
        """Build ``binding``'s router now, unless a request already made it."""
        if binding.name not in self._built:
            self._built[binding.name] = self._build(binding)

    @property
    def built(self) -> int:
        """How many resources are built."""
        return len(self._built)

    def _build(self, binding: ResourceBinding) -> dict[tuple[str, str], BaseRoute]:
        router = binding.build_router(
            self.extensions.repository_for(binding),
            self.extensions.service_for(binding),
            self.repositories,
        )
        built: dict[tuple[str, str], BaseRoute] = {
            (route.name, route.path): route
            for route in router.routes
            if isinstance(route, Route)  # every route a generated router makes
        }
        listed = {(spec.name, spec.path) for spec in binding.routes}
        if set(built) != listed:
            raise RuntimeError(
                f"generated/{binding.module}/router.py does not make the routes "
                "generated/registry.py lists; run `specbase generate`"
            )
        return built


class _Repositories(Mapping[str, type[Any]]):
    """The repository class of each resource by name, looked up (and imported) on use;
    nested routes list a related resource through it."""

    def __init__(self, routes: ResourceRoutes) -> None:
        self._routes = routes
        self._by_name = {binding.name: binding for binding in routes.bindings}

    def __getitem__(self, name: str) -> type[Any]:
        return self._routes.extensions.repository_for(self._by_name[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
