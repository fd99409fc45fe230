"""Query parameters: what an operation does not declare is refused, never ignored."""

from __future__ import annotations

from starlette.requests import Request

from app.core.errors import Problem

__all__ = ["refuse_undeclared_query"]


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
