"""Reading a JSON request body: media type, size limit, strict validation from the bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request

from app.core.domain.errors import Problem, validation_problem
from app.core.domain.types import INT64_MAX, INT64_MIN
from app.core.http.duplicate_keys import refuse_duplicate_keys

__all__ = ["JSON_BODY", "MERGE_PATCH_BODY", "read_body", "read_items"]

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

DEFAULT_MAX_BODY_BYTES = 1_048_576
JSON_BODY = ("application/json",)
MERGE_PATCH_BODY = ("application/merge-patch+json", "application/json")


async def read_body(request: Request, model: type[ModelT], media_types: tuple[str, ...]) -> ModelT:
    """Validate the body against ``model`` straight from its bytes, strictly.

    Strict JSON validation follows the contract's types exactly: ``true`` is not an
    integer and ``5`` is not a date-time, while ``2.0`` is the integer 2, as in JSON
    Schema. Answers 415, 413, 400 (malformed JSON, a key twice in an object) or 422 problems.
    """
    return await _read(request, model.model_validate_json, media_types)


async def read_items(request: Request, adapter: TypeAdapter[T], media_types: tuple[str, ...]) -> T:
    """Like :func:`read_body`, for a body that is a JSON array (a bulk request)."""
    return await _read(request, adapter.validate_json, media_types)


async def _read(request: Request, validate: Callable[..., T], media_types: tuple[str, ...]) -> T:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in media_types:
        allowed = ", ".join(media_types)
        raise Problem(415, f"Send the body as {allowed}.", headers={"Accept": allowed})
    limit: int = getattr(request.app.state, "max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    body = await _read_limited(request, limit)
    # A key given twice is refused once the body is known to be JSON (the parser keeps
    # the last value: which one was meant?), before any of its values counts.
    try:
        value = validate(body, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    else:
        refuse_duplicate_keys(body)
        return value
    unreadable = [str(e["msg"]) for e in errors if e["type"] == "json_invalid"]
    if unreadable:
        # The parser's reason (a syntax error, a lone surrogate, invalid UTF-8, or one of
        # its limits: nesting past about 200 levels, a number of thousands of digits).
        reason = unreadable[0].removeprefix("Invalid JSON: ")
        raise Problem(400, f"The body could not be parsed as JSON: {reason}.",
                      title="Malformed JSON")  # fmt: skip
    refuse_duplicate_keys(body)
    if any(e["type"] == "model_type" and not e["loc"] for e in errors):
        raise Problem(422, "The body must be a JSON object.")
    if any(e["type"] == "list_type" and not e["loc"] for e in errors):
        raise Problem(422, "The body must be a JSON array.")
    retyped = _whole_floats_as_integers(body, errors)
    if retyped is None:
        raise validation_problem(errors)
    try:
        return validate(retyped, strict=True)
    except ValidationError as exc:
        raise validation_problem(exc.errors(include_url=False)) from None


def _whole_floats_as_integers(body: bytes, errors: Sequence[Mapping[str, Any]]) -> bytes | None:
    """The body with each whole float that strict validation refused as an integer made one.

    JSON Schema's ``integer`` is any number with no fractional part, so ``2.0`` is
    one; pydantic's strict ``int`` takes only ``2``. Only the values the errors point
    at change; ``true``, ``"2"`` and ``2.5`` stay refused. ``None`` when there is none.
    """
    locations = [tuple(e["loc"]) for e in errors if e["type"] == "int_type" and _whole(e["input"])]
    if not locations:
        return None
    try:
        document = orjson.loads(body)
        for location in locations:
            _retype(document, location)
    except (orjson.JSONDecodeError, LookupError, TypeError):
        return None
    return orjson.dumps(document)


def _whole(value: object) -> bool:
    return type(value) is float and value.is_integer() and INT64_MIN <= value <= INT64_MAX


def _retype(document: Any, location: Iterable[str | int]) -> None:
    *parents, last = location
    container = document
    for key in parents:
        container = container[key]
    container[last] = int(container[last])


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
