"""Request hooks: checks declared once in ``custom/hooks.py`` that run before every
operation of the API.

A request hook is an ``async def hook(request: Request) -> None`` that answers a
problem by raising one (:class:`app.core.domain.errors.Problem`) — a check of a tenant header,
of a maintenance window, of a client's version. ``custom/hooks.py`` lists them in
``REQUEST_HOOKS``, in the order they run. They run before the endpoint of every
generated operation and action (:class:`app.core.operations.router.OperationRouter`) and, as
FastAPI dependencies of the router, before every route of ``custom/``; not before the
runtime's own routes (health, readiness, the docs), which probes and browsers call.

A hook is a plain FastAPI dependency, so a test replaces it as it replaces any:
``app.dependency_overrides[hook] = replacement``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, get_type_hints

from starlette.requests import Request

__all__ = ["HookError", "RequestHook", "check_hooks"]

RequestHook = Callable[[Request], Awaitable[None]]


class HookError(RuntimeError):
    """A declared hook that cannot run before every operation; start-up stops."""


def check_hooks(module: str, hooks: Any) -> tuple[RequestHook, ...]:
    """``hooks`` (a module's ``REQUEST_HOOKS``) as a tuple, each an async function of
    the request alone; anything else stops start-up naming the module and the fix."""
    if not isinstance(hooks, Sequence) or isinstance(hooks, str):
        raise HookError(f"{module}.REQUEST_HOOKS: list the hooks, e.g. [require_tenant]")
    checked: list[RequestHook] = []
    for hook in hooks:
        name = getattr(hook, "__qualname__", repr(hook))
        if not inspect.iscoroutinefunction(hook):
            raise HookError(
                f"{module}.REQUEST_HOOKS: {name} is not an async function; "
                "write it as `async def hook(request: Request) -> None`"
            )
        parameters = list(inspect.signature(hook).parameters.values())
        annotation = get_type_hints(hook).get(parameters[0].name) if parameters else None
        if len(parameters) != 1 or annotation is not Request:
            raise HookError(
                f"{module}.REQUEST_HOOKS: {name} must take the request alone, "
                "as `async def hook(request: Request) -> None`"
            )
        checked.append(hook)
    return tuple(checked)
