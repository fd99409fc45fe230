"""How the generated registry describes a resource to the app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, TypeAdapter

from app.core.repository import SQLRepository
from app.core.service import ResourceService

__all__ = ["ResourceBinding", "RouterFactory"]

# build_router(repository class, service class, repository classes by resource name)
RouterFactory = Callable[[type[Any], type[Any], Mapping[str, type[Any]]], APIRouter]


@dataclass(frozen=True)
class ResourceBinding:
    """One generated resource: its base classes and the factory of its router.

    The app passes the (possibly custom) repository and service classes to
    ``build_router``, so generated code never imports ``custom/``.
    """

    name: str
    module: str
    plural: str
    spec: str
    operations: frozenset[str]
    create_schema: type[BaseModel]
    id_type: TypeAdapter[Any]
    repository: type[SQLRepository[Any]]
    service: type[ResourceService[Any, Any, Any]]
    build_router: RouterFactory
