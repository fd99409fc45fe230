"""Actions: operations a spec declares beyond CRUD, each implemented by a service method.

The generated service base has one method per action, marked :func:`unimplemented`: it
only raises. ``custom/<resource>/service.py`` overrides it, and start-up
(:mod:`app.core.operations.discovery`) refuses a service class that still has a marked one, so an
action in the contract is never served by a stub. The class itself stays instantiable:
code that never calls the action (the importer, CRUD requests) uses it as before.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["missing_actions", "unimplemented"]

MethodT = TypeVar("MethodT", bound=Callable[..., Any])

# The generated stubs; a weak set, so that a regenerated module's old ones can go.
_STUBS: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def unimplemented(method: MethodT) -> MethodT:
    """Mark a generated action method as a stub that ``custom/`` must override."""
    _STUBS.add(method)
    return method


def missing_actions(service: type[Any], names: tuple[str, ...]) -> list[str]:
    """The actions among ``names`` that ``service`` leaves to the generated stub."""
    return [name for name in names if inspect.getattr_static(service, name, None) in _STUBS]
