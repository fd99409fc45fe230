"""The route class of generated operations: FastAPI matches them, the handler is precompiled.

A generated endpoint takes the request, the resource's service (one dependency, which
opens the request's session) and the ids of its path, and answers a ``Response`` it
built itself. FastAPI's generic handler would work all of that out again on every
request (solving the dependency graph, exit stacks, response models). This one is
built once per route: a validator per path id, the service's context manager, a call.
It answers exactly what FastAPI would: the same validation errors for a bad id (a
``RequestValidationError``, rendered by the app's handler), the session committed
before the response is sent, or rolled back when the endpoint raises.

An endpoint of any other shape (query or body parameters declared to FastAPI, several
dependencies) keeps FastAPI's own handler.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["OperationRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class OperationRoute(APIRoute):
    """A generated operation, handled without FastAPI's per-request dependency solving.

    ``operation`` is its precompiled handler, which :mod:`app.core.dispatch` calls
    directly (None: the endpoint has another shape, and FastAPI handles it).
    """

    operation: Handler | None = None

    def get_route_handler(self) -> Handler:
        dependant = self.dependant
        simple = (
            len(dependant.dependencies) == 1
            and not dependant.dependencies[0].dependencies
            and dependant.dependencies[0].name is not None
            and dependant.request_param_name is not None
            and not (dependant.query_params or dependant.header_params)
            and not (dependant.cookie_params or dependant.body_params)
            and self.body_field is None
        )
        if not simple:
            self.operation = None
            return super().get_route_handler()
        endpoint = dependant.call
        assert endpoint is not None
        service = dependant.dependencies[0]
        assert service.call is not None
        assert service.name is not None
        assert dependant.request_param_name is not None
        open_service = asynccontextmanager(service.call)
        service_name, request_name = service.name, dependant.request_param_name
        ids = [
            (field.name, field.alias, _validator(field.field_info))
            for field in dependant.path_params
        ]

        async def handle(request: Request) -> Response:
            arguments: dict[str, Any] = {}
            errors: list[Any] = []
            path = request.path_params
            for name, alias, validator in ids:
                try:
                    arguments[name] = validator.validate_python(path[alias])
                except ValidationError as exc:
                    for error in exc.errors(include_url=False):
                        errors.append({**error, "loc": ("path", alias, *error["loc"])})
            if errors:
                raise RequestValidationError(errors)
            arguments[request_name] = request
            async with open_service(request) as built:
                arguments[service_name] = built
                response: Response = await endpoint(**arguments)
            return response

        self.operation = handle
        return handle


def _validator(field_info: Any) -> TypeAdapter[Any]:
    """Validates one path parameter as FastAPI would: its type and its constraints.

    Shared by every route whose parameter has the same type and constraints (the ids of
    hundreds of resources are one ``PositiveInt64``): each adapter costs start-up time.
    """
    key = (field_info.annotation, *field_info.metadata)
    try:
        return _VALIDATORS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable constraint: an adapter of its own
        return _adapter(field_info)
    adapter = _VALIDATORS[key] = _adapter(field_info)
    return adapter


_VALIDATORS: dict[tuple[Any, ...], TypeAdapter[Any]] = {}


def _adapter(field_info: Any) -> TypeAdapter[Any]:
    if not field_info.metadata:
        return TypeAdapter(field_info.annotation)
    return TypeAdapter(Annotated[field_info.annotation, *field_info.metadata])
