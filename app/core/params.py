"""Request parameters: path values validated as the contract declares them, and query
parameters an operation does not declare refused, never ignored."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from app.core.errors import Problem

__all__ = ["PathValue", "refuse_undeclared_query"]

T = TypeVar("T")


class PathValue(Generic[T]):
    """Reads one path parameter of a request, validated against ``adapter``.

    An invalid value is a ``RequestValidationError`` located at ``("path", name, …)``,
    which the app answers as a 422 problem listing it. Adapters are shared: each one
    costs start-up time, and the ids of hundreds of resources are one type.
    """

    __slots__ = ("adapter", "name")

    def __init__(self, name: str, adapter: TypeAdapter[T]) -> None:
        self.name = name
        self.adapter = adapter

    def __call__(self, request: Request) -> T:
        try:
            return self.adapter.validate_python(request.path_params[self.name])
        except ValidationError as exc:
            errors: list[Any] = [
                {**error, "loc": ("path", self.name, *error["loc"])}
                for error in exc.errors(include_url=False)
            ]
            raise RequestValidationError(errors) from None


def refuse_undeclared_query(request: Request, declared: frozenset[str] = frozenset()) -> None:
    """Answer 422 naming each query parameter the operation does not take.

    A misspelt filter that were silently ignored would answer the wrong rows.
    """
    if not request.scope["query_string"]:
        return
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        allowed = ", ".join(sorted(declared)) or "none"
        raise Problem(
            422,
            f"Unknown query parameters: {', '.join(unknown)} (this operation takes: {allowed}).",
            errors=[{"pointer": f"query:/{name}", "detail": "not a parameter of this operation"}
                    for name in unknown],
        )  # fmt: skip
