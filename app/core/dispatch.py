"""Generated operations served from a table of their paths, before FastAPI's router.

FastAPI finds a request's route by trying every route of every included router in turn,
then passes the request through its exception and exit-stack layers, its route wrapper
and the route's handler. For a generated operation all of that is known when the app
is built: :class:`OperationDispatcher` looks the path's first segment up in a table,
tries only the routes under it, in the app's own order, and calls the operation's
precompiled handler (:class:`app.core.routing.OperationRoute`) itself. It answers the
handler's errors through the app's own exception handlers, as FastAPI would.

It sits outside FastAPI's own outer layers (its server-error, telemetry and body-limit
middleware, which the runtime's own request-context middleware and body reader stand
in for), and sends an operation through the app's user middleware (request id, access
line, CORS, and any a project adds), which every request passes. Whatever is not a
generated operation (another route, a method the path does not serve, HEAD, a trailing
slash, a mounted app) goes on to FastAPI unchanged, so the answer to any request is
the one FastAPI would give.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.deferred import DeferredRoute
from app.core.routing import OperationRoute

__all__ = ["DispatchingFastAPI", "OperationDispatcher", "OperationTable"]

Handler = Callable[[Request], Awaitable[Response]]
# Where the dispatcher leaves the operation it found for the middleware-wrapped call.
_OPERATION = "specbase.operation"
ExceptionHandler = Callable[[Request, Exception], Any]


@dataclass(slots=True)
class _Candidate:
    """One route under a first path segment: its pattern and methods, and the handler
    of a generated operation (None: FastAPI answers whatever reaches this route).

    The handler of a route whose resource is not built yet (``deferred``) is looked up
    when a request first reaches it.
    """

    pattern: re.Pattern[str]
    methods: frozenset[str]
    route: BaseRoute
    handler: Handler | None
    deferred: bool = False

    def resolve(self) -> Handler | None:
        if self.deferred:
            assert isinstance(self.route, DeferredRoute)
            self.handler = self.route.operation()
            self.route = self.route.target  # what the request's scope names
            self.deferred = False
        return self.handler


@dataclass
class OperationTable:
    """The app's routes by the first segment of their path, in the app's order."""

    by_segment: dict[str, list[_Candidate]] = field(default_factory=dict)

    def build(self, routes: Iterable[BaseRoute]) -> None:
        """Index ``routes`` (in the order the app tries them)."""
        by_segment: dict[str, list[_Candidate]] = {}
        for route in routes:
            if isinstance(route, WebSocketRoute):
                continue  # never answers HTTP
            first = route.path[1:].partition("/")[0] if isinstance(route, Route) else "{"
            if "{" in first:
                # A mount, or a path starting with a parameter, may take any path: the
                # routes after it are left to FastAPI, which tries it before them.
                break
            assert isinstance(route, Route)
            handler = route.operation if isinstance(route, OperationRoute) else None
            plain = all(isinstance(c, StringConvertor) for c in route.param_convertors.values())
            candidate = _Candidate(route.path_regex, frozenset(route.methods or ()), route,
                                   handler if plain else None,
                                   deferred=plain and isinstance(route, DeferredRoute))  # fmt: skip
            by_segment.setdefault(first, []).append(candidate)
        self.by_segment = by_segment

    def find(self, scope: Scope) -> tuple[_Candidate, dict[str, str]] | None:
        """The generated operation that answers this request, with its path parameters;
        None when FastAPI should answer it."""
        path: str = scope["path"]
        candidates = self.by_segment.get(path[1:].partition("/")[0])
        if candidates is None:
            return None
        method = scope["method"]
        for candidate in candidates:
            found = candidate.pattern.match(path)
            if found is None or method not in candidate.methods:
                continue
            if candidate.resolve() is None:
                return None
            return candidate, found.groupdict()
        return None


class OperationDispatcher:
    """ASGI app: a generated operation is answered here, through ``middleware``; anything
    else by ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        table: OperationTable,
        exception_handlers: Mapping[Any, ExceptionHandler],
        middleware: Sequence[Middleware] = (),
    ) -> None:
        self.app = app
        self.table = table
        # Starlette's exception middleware takes every handler but those of Exception and
        # 500, which its outermost middleware runs (here: the request-context middleware).
        self.exception_handlers = exception_handlers
        served: ASGIApp = self._serve
        for cls, args, kwargs in reversed(middleware):
            served = cls(served, *args, **kwargs)
        self.served = served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.table.find(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        scope[_OPERATION] = found
        await self.served(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        candidate, path_params = scope.pop(_OPERATION)
        assert candidate.handler is not None
        scope["path_params"] = path_params
        scope["route"] = candidate.route
        request = Request(scope, receive, send)
        try:
            response = await candidate.handler(request)
        except Exception as exc:
            response = await self._answer(request, exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request, exc: Exception) -> Response:
        """The app's answer to an error, from its exception handlers (as Starlette's
        exception middleware finds them); an error none handles goes on up."""
        handlers = self.exception_handlers
        handler = None
        if isinstance(exc, HTTPException) and exc.status_code != 500:
            handler = handlers.get(exc.status_code)
        if handler is None:
            mro = type(exc).__mro__[:-2]  # not Exception, nor BaseException
            handler = next((handlers[c] for c in mro if c in handlers), None)
        if handler is None:
            raise exc
        if inspect.iscoroutinefunction(handler):
            response: Response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        return response


class DispatchingFastAPI(FastAPI):
    """FastAPI, with the generated operations of ``operations`` answered before its own
    outer layers (see :class:`OperationDispatcher`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.operations = OperationTable()

    def build_middleware_stack(self) -> ASGIApp:
        return OperationDispatcher(
            super().build_middleware_stack(),
            table=self.operations,
            exception_handlers=self.exception_handlers,
            middleware=self.user_middleware,
        )
