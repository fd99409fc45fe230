"""Reading a JSON request body: media type, size limit, strict validation in one pass."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from app.core.errors import Problem, validation_problem

__all__ = ["JSON_BODY", "MERGE_PATCH_BODY", "read_body"]

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_MAX_BODY_BYTES = 1_048_576
JSON_BODY = ("application/json",)
MERGE_PATCH_BODY = ("application/merge-patch+json", "application/json")


async def read_body(request: Request, model: type[ModelT], media_types: tuple[str, ...]) -> ModelT:
    """Validate the body against ``model`` straight from its bytes, strictly.

    Strict JSON validation follows the contract's types exactly: ``true`` is not an
    integer and ``5`` is not a date-time. Answers 415, 413, 400 or 422 problems.
    """
    content_type = request.headers.get("content-type", "")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in media_types:
        allowed = ", ".join(media_types)
        raise Problem(415, f"Send the body as {allowed}.", headers={"Accept": allowed})
    limit: int = getattr(request.app.state, "max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    body = await _read_limited(request, limit)
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise Problem(400, "The body is not valid JSON.", title="Malformed JSON") from None
        if any(e["type"] == "model_type" and not e["loc"] for e in errors):
            raise Problem(422, "The body must be a JSON object.") from None
        raise validation_problem(errors) from None


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
