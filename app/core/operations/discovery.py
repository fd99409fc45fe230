"""Finding ``custom/`` extensions by convention, and refusing the ones that do not fit.

``custom/<resource>/repository.py`` may subclass the generated repository,
``custom/<resource>/service.py`` the generated service, any module of the
package may define ``router`` (an ``APIRouter``) to mount extra routes, and
``custom/hooks.py`` may list ``REQUEST_HOOKS`` to run before every operation
(:mod:`app.core.operations.hooks`). The service of a resource with actions must implement each
(see :mod:`app.core.operations.actions`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from fastapi import APIRouter

from app.core.operations.actions import missing_actions
from app.core.operations.hooks import HookError, RequestHook, check_hooks
from app.core.operations.registry import ResourceBinding
from app.core.services.service import HOOK_NAMES

__all__ = ["CustomExtensions", "ExtensionError", "discover"]


class ExtensionError(RuntimeError):
    """A custom module that names an unknown resource or operation; startup stops."""


@dataclass
class Override:
    repository: type[Any] | None = None
    service: type[Any] | None = None


@dataclass
class CustomExtensions:
    overrides: dict[str, Override] = field(default_factory=dict)
    routers: list[tuple[str, APIRouter]] = field(default_factory=list)
    hooks: tuple[RequestHook, ...] = ()

    def repository_for(self, binding: ResourceBinding) -> type[Any]:
        override = self.overrides.get(binding.module)
        return override.repository if override and override.repository else binding.repository

    def service_for(self, binding: ResourceBinding) -> type[Any]:
        override = self.overrides.get(binding.module)
        return override.service if override and override.service else binding.service


def discover(package: str | None, bindings: Sequence[ResourceBinding]) -> CustomExtensions:
    """Import every module of ``package`` and collect its overrides and routers; refuse
    a resource whose service leaves one of its actions unimplemented."""
    found = _collect(package, bindings)
    folder = (package or "custom").replace(".", "/")
    problems = [
        problem
        for binding in bindings
        if binding.actions
        for problem in _action_problems(binding, found.service_for(binding), folder)
    ]
    if problems:
        raise ExtensionError("\n".join(problems))
    return found


def _collect(package: str | None, bindings: Sequence[ResourceBinding]) -> CustomExtensions:
    found = CustomExtensions()
    if package is None:
        return found
    try:
        root = importlib.import_module(package)
    except ModuleNotFoundError as exc:
        if exc.name == package:
            return found
        raise
    by_module = {b.module: b for b in bindings}
    for info in sorted(_submodules(root), key=lambda i: i.name):
        short = info.name.removeprefix(f"{package}.")
        resource = short.split(".")[0]
        if info.ispkg and "." not in short and resource not in by_module:
            known = ", ".join(sorted(by_module)) or "(none)"
            raise ExtensionError(
                f"{info.name}: no resource named {resource!r} (known: {known}); "
                "rename the folder after a resource in specs/"
            )
        module = importlib.import_module(info.name)
        _collect_classes(module, bindings, found)
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.routers.append((info.name, router))
        if short == "hooks" and hasattr(module, "REQUEST_HOOKS"):
            try:
                found.hooks = check_hooks(info.name, module.REQUEST_HOOKS)
            except HookError as exc:
                raise ExtensionError(str(exc)) from None
    return found


def _submodules(root: ModuleType) -> Iterable[pkgutil.ModuleInfo]:
    path = getattr(root, "__path__", None)
    if path is None:
        return []
    return pkgutil.walk_packages(path, prefix=f"{root.__name__}.")


def _collect_classes(
    module: ModuleType, bindings: Sequence[ResourceBinding], found: CustomExtensions
) -> None:
    """Bind each class defined in ``module`` to the resource whose base it subclasses.

    The bases are recognised by module and name, so that only the resources a custom
    module imports are imported (see :mod:`app.core.operations.registry`).
    """
    bases: dict[tuple[str, str], tuple[str, ResourceBinding]] = {}
    for binding in bindings:
        bases[binding.repository_name] = ("repository", binding)
        bases[binding.service_name] = ("service", binding)
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__:
            continue
        for base in cls.__mro__[1:]:
            known = bases.get((base.__module__, base.__qualname__))
            if known is None:
                continue
            kind, binding = known
            if kind == "service":
                _check_hooks(cls, binding)
            override = found.overrides.setdefault(binding.module, Override())
            _set_once(override, kind, cls, binding)
            break


def _set_once(override: Override, kind: str, cls: type[Any], binding: ResourceBinding) -> None:
    current = getattr(override, kind)
    if current is not None and current is not cls:
        raise ExtensionError(
            f"{binding.name} has two custom {kind} classes: {_name(current)} and {_name(cls)}; "
            "keep one (subclass the other if both are needed)"
        )
    setattr(override, kind, cls)


def _check_hooks(cls: type[Any], binding: ResourceBinding) -> None:
    for name in vars(cls):
        operation = HOOK_NAMES.get(name)
        if operation is None and name.startswith(("before_", "after_")):
            known = ", ".join(sorted(HOOK_NAMES))
            raise ExtensionError(f"{_name(cls)}.{name}: no such hook (hooks: {known})")
        if operation is not None and operation not in binding.operations:
            ops = ", ".join(sorted(binding.operations))
            raise ExtensionError(
                f"{_name(cls)}.{name}: {binding.name} has no {operation!r} operation "
                f"(operations: {ops}); see {binding.spec}"
            )


def _action_problems(binding: ResourceBinding, service: type[Any], folder: str) -> list[str]:
    """Unless each action of ``binding`` has an ``async def`` of the service class, taking
    what the generated stub takes: what to write, and where."""
    signatures: dict[str, str] = dict(getattr(service, "action_signatures", {}))
    where = (
        _name(service)
        if service is not binding.service
        else f"a subclass of {binding.service_name[1]} in {folder}/{binding.module}/service.py"
    )
    missing = missing_actions(service, binding.actions)
    if missing:
        return [
            f"{binding.spec}: action {name} has no implementation; write "
            f"{signatures.get(name, f'async def {name}(...)')} in {where}"
            for name in missing
        ]
    misfits = []
    for name in binding.actions:
        method = getattr(service, name)
        stub = inspect.signature(getattr(binding.service, name))
        taken = [p for p in stub.parameters if p != "self"]
        try:
            inspect.signature(method).bind(None, **dict.fromkeys(taken))
            fits = inspect.iscoroutinefunction(method)
        except TypeError:
            fits = False
        if not fits:
            misfits.append(
                f"{_name(service)}.{name}: {binding.spec} declares the action {name}; its "
                f"method is {signatures.get(name, name)}"
            )
    return misfits


def _name(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
