"""RFC 9457 problem details: the one shape of every error the API answers.

:class:`Problem` is raised wherever a request is refused (a hook, a repository, the HTTP
edge); :mod:`app.core.http.problems` answers it, and the framework's own errors, as
``application/problem+json``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

__all__ = [
    "MAX_LISTED_ERRORS",
    "PROBLEM_JSON",
    "Problem",
    "json_pointer",
    "parameter_problem",
    "validation_problem",
]

PROBLEM_JSON = "application/problem+json"
MAX_LISTED_ERRORS = 100


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


def _see_errors(what: str, count: int) -> str:
    # A body of many thousand unknown keys must not answer a list many times its size.
    if count <= MAX_LISTED_ERRORS:
        return f"The request has invalid {what}; see errors."
    return f"The request has {count} invalid {what}; errors lists the first {MAX_LISTED_ERRORS}."
