"""How the generated registry describes a resource to the app.

The registry names every resource and the routes of its operations, and imports none
of its code: the classes of a resource (schemas, model, repository, service, router)
are imported the first time something asks for them. A project of hundreds of
resources then starts in the time it takes to import the few it uses, instead of
building thousands of Pydantic and SQLAlchemy classes before its first request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import MetaData

from app.core.data.database import Base
from app.core.domain.types import ROW_ID, UUID_ID

__all__ = [
    "OperationsFactory",
    "ResourceBinding",
    "RouteSpec",
    "import_models",
    "models_metadata",
]

# build_operations(repository class, service class, repository classes by resource name):
# the resource's operations (app.core.operations.router.Operation).
OperationsFactory = Callable[[type[Any], type[Any], Mapping[str, type[Any]]], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route of a resource's router, as the generator wrote it: its methods, full
    path and name (the operation id), known without building the router."""

    methods: frozenset[str]
    path: str
    name: str


@dataclass(frozen=True, eq=False)
class ResourceBinding:
    """One generated resource: what the app needs to route to it, and its classes.

    The app passes the (possibly custom) repository and service classes to
    ``build_operations``, so generated code never imports ``custom/``. Each class is
    imported from ``generated.<module>`` on first use.
    """

    name: str
    module: str
    plural: str
    spec: str
    operations: frozenset[str]
    routes: tuple[RouteSpec, ...] = ()
    uuid_ids: bool = False
    # The spec's actions (see app.core.operations.actions): start-up checks that the service class
    # implements each; a resource without actions is not imported for that.
    actions: tuple[str, ...] = ()

    @property
    def repository_name(self) -> tuple[str, str]:
        """Where the generated repository class is: (module, class name)."""
        return f"generated.{self.module}.repository", f"{self.name}RepositoryBase"

    @property
    def service_name(self) -> tuple[str, str]:
        return f"generated.{self.module}.service", f"{self.name}ServiceBase"

    @cached_property
    def repository(self) -> type[Any]:
        repository: type[Any] = self._load(*self.repository_name)
        return repository

    @cached_property
    def service(self) -> type[Any]:
        service: type[Any] = self._load(*self.service_name)
        return service

    @cached_property
    def create_schema(self) -> type[BaseModel]:
        schema: type[BaseModel] = self._load(
            f"generated.{self.module}.schemas", f"{self.name}Create"
        )
        return schema

    @cached_property
    def build_operations(self) -> OperationsFactory:
        factory: OperationsFactory = self._load(
            f"generated.{self.module}.router", "build_operations"
        )
        return factory

    @cached_property
    def id_type(self) -> TypeAdapter[Any]:
        return UUID_ID if self.uuid_ids else ROW_ID

    @staticmethod
    def _load(module: str, attribute: str) -> Any:
        return getattr(importlib.import_module(module), attribute)


def import_models(bindings: Iterable[ResourceBinding]) -> None:
    """Import the model of every resource, so that ``Base.metadata`` holds every table
    (what schema creation, migrations and their checks compare the database with)."""
    for binding in bindings:
        importlib.import_module(f"generated.{binding.module}.models")


def models_metadata() -> MetaData:
    """``Base.metadata`` with every generated table in it."""
    from generated.registry import RESOURCES

    import_models(RESOURCES)
    return Base.metadata
