"""Every error the app answers, the framework's own included, as ``application/problem+json``
(RFC 9457): the exception handlers of the HTTP edge, and the ``Allow`` header of a 405."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from http import HTTPStatus

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.core.domain.errors import PROBLEM_JSON, Problem, json_pointer, parameter_problem

__all__ = ["index_route_methods", "install_error_handlers", "problem_response"]

RouteMethods = list[tuple[re.Pattern[str], frozenset[str]]]
logger = logging.getLogger("app.errors")


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    """``problem`` as its ``application/problem+json`` answer; ``instance``: the path."""
    return Response(
        orjson.dumps(problem.body(instance)),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    problem = Problem(exc.status_code, detail, headers=headers)
    return problem_response(problem, request.url.path)


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette names only the first route's)."""
    routes: RouteMethods = getattr(request.app.state, "route_methods", [])
    path = request.url.path
    matching = [(pattern, methods) for pattern, methods in routes if pattern.match(path)]
    # A fixed path (/events/bulk) is its own resource, not an id of /events/{event_id}.
    fixed = [(p, m) for p, m in matching if "(?P<" not in p.pattern]
    return sorted({m for _, methods in (fixed or matching) for m in methods})


def index_route_methods(routes: Iterable[BaseRoute]) -> RouteMethods:
    """The path pattern and methods of each route, for the ``Allow`` header of a 405."""
    return [
        (route.path_regex, frozenset(route.methods))
        for route in routes
        if isinstance(route, Route | APIRoute) and route.methods
    ]


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        where, *rest = error["loc"] or ("request",)
        errors.append({"pointer": f"{where}:{json_pointer(rest)}", "detail": str(error["msg"])})
    return problem_response(parameter_problem(errors), request.url.path)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    # A pydantic error escaping a handler is a bug in server code, not bad input.
    logger.error("unhandled validation error on %s %s", request.method, request.url.path,
                 exc_info=exc)  # fmt: skip
    return problem_response(Problem(500), request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, the framework's own included, an ``application/problem+json``.

    Any other exception is answered by ``app.core.http.logs.RequestContextMiddleware``, inside
    the request's context, so that its 500 carries the request id; a handler for
    ``Exception`` here would never run.
    """
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_validation_error)
