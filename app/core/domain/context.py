"""What a service sees of the request that called it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

__all__ = ["RequestContext"]


@dataclass(frozen=True)
class RequestContext:
    """The calling request, or none when a script or an import calls the service.

    Hooks read it to decide (who is asking, which headers were sent); ``extra``
    carries whatever a custom dependency wants to pass along.
    """

    request: Request | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers if self.request is not None else {}

    @property
    def method(self) -> str | None:
        return self.request.method if self.request is not None else None
