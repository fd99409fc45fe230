"""The FastAPI application: generated resources, custom extensions, one database."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route

from app.config import Settings, SettingsError, get_settings
from app.core.data.database import AsyncDBPool, Base, PoolOptions
from app.core.data.schema_sync import sqlite_schema_is_current, sync_schema
from app.core.data.uniques import UnsupportedSchema, refuse_unsupported
from app.core.http.health import router as health_router
from app.core.http.logs import RequestContextMiddleware, configure_logging
from app.core.http.openapi import load_contract, served_openapi
from app.core.http.problems import index_route_methods, install_error_handlers
from app.core.operations.discovery import CustomExtensions, ExtensionError, discover
from app.core.operations.registry import RouteSpec, import_models
from app.core.operations.router import OperationRouter, ResourceOperations
from app.core.operations.warmup import WarmUp
from app.core.tools.http_client import (
    ClientConfig,
    HttpClientPool,
    PoolConfig,
    RetryConfig,
    TimeoutConfig,
)

__all__ = ["app", "create_app"]

logger = logging.getLogger("app")
# The folder holding generated/, migrations/ and alembic.ini.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def create_app(
    settings: Settings | None = None, *, custom_package: str | None = "custom"
) -> FastAPI:
    """Build the app: mount every generated resource with its custom classes and routes.

    A custom module naming an unknown resource or operation stops it here, with the
    reason, before any request is served.
    """
    from generated.registry import CONTRACT_PATH, RESOURCES

    settings = settings or get_settings()
    extensions = discover(custom_package, RESOURCES)
    backend = settings.database.get_backend_name()
    if backend in ("mysql", "mariadb"):  # it imports them at start-up anyway (see lifespan)
        import_models(RESOURCES)
        refuse_unsupported(Base.metadata, backend)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = AsyncDBPool(settings.database, pool=_pool_options(settings),
                            echo=settings.database_echo)  # fmt: skip
        # Opened on first use (app.core.tools.http_client.get_http_client): its TLS context and
        # transports cost start-up time that an app which never calls out should not pay.
        http_client = HttpClientPool(_client_config(settings))
        app.state.http_client_pool = http_client
        app.state.database = database
        warm_up = WarmUp(app.state.resources)
        app.state.warm_up = warm_up
        try:
            if settings.creates_schema:
                with _collector_paused(freeze=False):
                    await _bring_local_schema_up_to_date(database)
            if settings.preloads_resources:  # every resource's code now, not on first use
                warm_up.start()
            yield
        finally:
            await warm_up.stop()
            await http_client.aclose()
            logger.info("http client closed")
            await database.dispose()
            logger.info("database engine disposed")

    # Every generated operation and action, served by the app's first route
    # (app.core.operations.router), each resource built when first used.
    resources = ResourceOperations(RESOURCES, extensions)
    operations = OperationRouter(resources, hooks=extensions.hooks)
    app = FastAPI(
        title=settings.app_title,
        version=settings.app_version,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        routes=[operations],
    )
    operations.overrides = app.dependency_overrides
    app.state.settings = settings
    # Outermost last: every response, CORS preflights included, gets a request id.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=settings.cors_allow_methods,
        allow_headers=settings.cors_allow_headers,
        expose_headers=["Location", "X-Request-ID"],
    )
    app.add_middleware(RequestContextMiddleware)
    app.state.max_body_bytes = settings.max_body_bytes
    install_error_handlers(app)
    app.state.resources = resources
    _refuse_shadowing(extensions, [*health_router.routes], list(operations.routes()))
    app.include_router(health_router)
    # Request hooks run before each custom route too.
    hooks = [Depends(hook) for hook in extensions.hooks]
    custom = [router for _, router in extensions.routers]
    for router in custom:
        app.include_router(router, dependencies=hooks)
    custom_routes = [r for router in custom for r in router.routes if isinstance(r, APIRoute)]
    # FastAPI keeps an included router as one route of the app's: its routes are its own.
    included = [route for router in (health_router, *custom) for route in router.routes]
    own = index_route_methods([*app.routes, *included])
    # A custom /events/featured is taken before /events/{event_id}.
    operations.others = [pattern for pattern, _ in own]
    app.state.route_methods = [*own, *operations.patterns()]

    contract: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        # Read on first use, not at start-up: parsing the contract of hundreds of
        # resources takes seconds, and only /openapi.json and /docs need it.
        if not contract:
            contract.update(served_openapi(app, load_contract(CONTRACT_PATH), custom_routes))
        return contract

    # FastAPI's documented way to serve an OpenAPI document of one's own.
    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _bring_local_schema_up_to_date(database: AsyncDBPool) -> None:
    """LOCAL: upgrade to the newest revision, or create what is missing if there is none."""
    from generated.registry import RESOURCES, SCHEMA_FINGERPRINT, TABLES

    if (PROJECT_ROOT / "alembic.ini").exists():
        # Imported here: Alembic costs start-up time a project without migrations never uses.
        from app.core.data.migrations import has_revisions, migration_config, upgrade_on

        config = migration_config(PROJECT_ROOT)
        if has_revisions(config):
            import_models(RESOURCES)
            async with database.engine.begin() as connection:
                uncovered = await connection.run_sync(upgrade_on, config)
            logger.info("LOCAL schema: upgraded to the newest migration")
            if uncovered:
                logger.warning(
                    "LOCAL schema: the models have %d changes no migration covers; "
                    "run `specbase db revision -m MESSAGE`, then restart",
                    uncovered,
                )
            return
    # Tables of custom code's own are not in the fingerprint: those are compared each time.
    only_generated = TABLES.issuperset(Base.metadata.tables)
    url = database.engine.url
    if only_generated and await asyncio.to_thread(
        sqlite_schema_is_current, url, SCHEMA_FINGERPRINT, TABLES
    ):
        return
    import_models(RESOURCES)
    for change in await sync_schema(database.engine, Base.metadata, fingerprint=SCHEMA_FINGERPRINT):
        logger.info("LOCAL schema: %s", change)


@contextmanager
def _collector_paused(*, freeze: bool) -> Iterator[None]:
    """No garbage collection while start-up builds what lives as long as the process.

    Start-up makes hundreds of thousands of objects (classes, tables, routes) and
    no garbage: each full collection it set off walked all of them again, a fifth of
    the start-up of a 200-resource app. With ``freeze``, the process's app, they are
    then left out of every later collection, as long-lived servers do (``gc.freeze``),
    so that requests do not pay to walk them either.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _refuse_shadowing(
    extensions: CustomExtensions, own: list[BaseRoute], generated: list[RouteSpec]
) -> None:
    """A custom route may not take a generated operation's (or the runtime's) method and path.

    The contract would still document the generated operation while another one
    answered; behaviour belongs in a hook or a repository subclass instead.
    """
    taken_by = {
        (method, _shape(route.path)): route.name
        for route in own
        if isinstance(route, Route)
        for method in route.methods or ()
    }
    for spec in generated:
        for method in spec.methods:
            taken_by[method, _shape(spec.path)] = spec.name
    for module, router in extensions.routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for method in sorted(route.methods or ()):
                operation = taken_by.get((method, _shape(route.path)))
                if operation is not None:
                    raise ExtensionError(
                        f"{module}: {method} {route.path} is the operation {operation}; "
                        "change its behaviour with a service hook or a repository subclass "
                        "instead of a route"
                    )


def _shape(path: str) -> str:
    """``/events/{event_id}`` and ``/events/{id}`` are the same route."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _client_config(settings: Settings) -> ClientConfig:
    return ClientConfig(
        timeout=TimeoutConfig(
            connect=settings.http_connect_timeout,
            read=settings.http_timeout,
            write=settings.http_timeout,
            pool=settings.http_connect_timeout,
        ),
        pool=PoolConfig(
            max_connections=settings.http_max_connections,
            max_keepalive=settings.http_max_keepalive,
        ),
        retry=RetryConfig(
            max_retries=settings.http_max_retries, backoff_factor=settings.http_backoff_factor
        ),
        http2=settings.http_http2,
    )


def _pool_options(settings: Settings) -> PoolOptions:
    return PoolOptions(
        size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        recycle=settings.database_pool_recycle,
        timeout=settings.database_pool_timeout,
        pre_ping=settings.database_pool_pre_ping,
    )


try:
    _settings = get_settings()
    configure_logging(_settings.log_level, as_json=_settings.log_as_json)
    with _collector_paused(freeze=True):
        app = create_app(_settings)
except (SettingsError, ExtensionError, UnsupportedSchema) as exc:
    # One clear line per problem, not a traceback, when uvicorn imports this module.
    sys.exit("\n".join(f"specbase: cannot start: {line}" for line in str(exc).splitlines()))
