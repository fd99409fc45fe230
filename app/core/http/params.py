"""Request parameters: path values validated as the contract declares them, and query
parameters an operation does not declare refused, never ignored."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Generic, TypeVar, get_args, get_origin

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request

from app.core.data.query import NUMBER, is_temporal
from app.core.domain.errors import Problem

__all__ = ["PathValue", "read_query", "refuse_undeclared_query"]

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


ModelT = TypeVar("ModelT", bound=BaseModel)


def read_query(request: Request, model: type[ModelT]) -> ModelT:
    """An action's query parameters, validated against ``model`` (its query class).

    A parameter whose field takes a list is read from every repetition of its key
    (``?status=a&status=b``, the contract's ``style: form, explode: true``); any other is
    refused when given twice, as is a parameter the model does not declare. Values are
    read from their text as the list's filters read theirs (``top=3``; a date or
    date-time only as ISO 8601 text).
    """
    params = request.query_params
    fields = model.model_fields
    refuse_undeclared_query(request, frozenset(fields))
    data: dict[str, Any] = {}
    refused: list[dict[str, str]] = []
    for name, field in fields.items():
        values = params.getlist(name)
        if not values:
            continue
        if _takes_list(field.annotation):
            data[name] = values
        elif len(values) > 1:
            refused.append({"pointer": f"query:/{name}", "detail": "given more than once"})
        else:
            data[name] = values[0]
    for name in _temporal_fields(model):
        given = data.get(name)
        if given is not None and any(NUMBER.fullmatch(v) for v in _as_list(given)):
            detail = "must be an ISO 8601 date or date-time, not a number"
            refused.append({"pointer": f"query:/{name}", "detail": detail})
    if refused:
        raise Problem(422, "The request has invalid parameters; see errors.", errors=refused)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: list[Any] = [
            {**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


@cache
def _temporal_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of dates or date-times, which pydantic would also read from a number of
    seconds: taken only as ISO 8601 text, as the contract says."""
    return tuple(
        name
        for name, field in model.model_fields.items()
        if any(is_temporal(arg) for arg in (field.annotation, *get_args(field.annotation)))
    )


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _takes_list(annotation: Any) -> bool:
    """Whether a field's type is a list (or a list or something else, as ``list[T] | None``)."""
    if get_origin(annotation) is Annotated:
        return _takes_list(get_args(annotation)[0])
    if get_origin(annotation) is list:
        return True
    return any(_takes_list(arg) for arg in get_args(annotation))
