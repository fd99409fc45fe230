"""RFC 9457 problem details: the one shape of every error the API answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

__all__ = [
    "MAX_LISTED_ERRORS",
    "PROBLEM_JSON",
    "Problem",
    "index_route_methods",
    "install_error_handlers",
    "json_pointer",
    "parameter_problem",
    "problem_response",
    "validation_problem",
]

PROBLEM_JSON = "application/problem+json"
MAX_LISTED_ERRORS = 100
RouteMethods = list[tuple[re.Pattern[str], frozenset[str]]]
logger = logging.getLogger("app.errors")


class Problem(Exception):
    """Raise it anywhere (a hook, a repository) to answer a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type_: str = "about:blank",
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.type = type_
        self.errors = list(errors)
        self.headers = dict(headers or {})
        super().__init__(detail or self.title)

    def within(self, prefix: str) -> Problem:
        """The same problem about an item of a list: ``prefix`` (``/3``) heads its pointers
        and its detail."""
        errors = [{**e, "pointer": prefix + e.get("pointer", "")} for e in self.errors]
        detail = f"Item {prefix.lstrip('/')}: {self.detail}" if self.detail else None
        return Problem(self.status, detail, title=self.title, type_=self.type, errors=errors,
                       headers=self.headers)  # fmt: skip

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if instance:
            out["instance"] = instance
        if self.errors:
            out["errors"] = self.errors
        return out


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    return Response(
        orjson.dumps(problem.body(instance)),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def json_pointer(location: Iterable[str | int]) -> str:
    """A pydantic error location as an RFC 6901 JSON pointer: ``("tags", 0)`` -> ``/tags/0``."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in location)
    return "/" + "/".join(parts) if location else ""


def validation_problem(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> Problem:
    """A 422 listing each invalid value (the first ``MAX_LISTED_ERRORS``); the rejected
    input itself is never echoed back."""
    found = list(errors)
    listed = [
        {"pointer": json_pointer(tuple(e["loc"])[skip:]), "detail": str(e["msg"])}
        for e in found[:MAX_LISTED_ERRORS]
    ]
    return Problem(422, _see_errors("values", len(found)), errors=listed)


def parameter_problem(errors: Sequence[Mapping[str, str]]) -> Problem:
    """A 422 listing each invalid parameter (the first ``MAX_LISTED_ERRORS``) with its
    pointer (``query:/limit``), worded as for the parameters the framework validates."""
    listed = [dict(e) for e in errors[:MAX_LISTED_ERRORS]]
    return Problem(422, _see_errors("parameters", len(errors)), errors=listed)


def _request_validation_problem(exc: RequestValidationError) -> Problem:
    errors = []
    found = exc.errors()
    for error in found[:MAX_LISTED_ERRORS]:
        where, *rest = error["loc"] or ("request",)
        errors.append({"pointer": f"{where}:{json_pointer(rest)}", "detail": str(error["msg"])})
    return Problem(422, _see_errors("parameters", len(found)), errors=errors)


def _see_errors(what: str, count: int) -> str:
    # A body of many thousand unknown keys must not answer a list many times its size.
    if count <= MAX_LISTED_ERRORS:
        return f"The request has invalid {what}; see errors."
    return f"The request has {count} invalid {what}; errors lists the first {MAX_LISTED_ERRORS}."


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


def index_route_methods(
    routes: Iterable[BaseRoute],
) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """The path pattern and methods of each route, for the ``Allow`` header of a 405."""
    return [
        (route.path_regex, frozenset(route.methods))
        for route in routes
        if isinstance(route, Route | APIRoute) and route.methods
    ]


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return problem_response(_request_validation_problem(exc), request.url.path)


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
