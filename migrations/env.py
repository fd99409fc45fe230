"""Alembic's environment: the generated models' metadata and the app's database settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic import context
from alembic.operations import ops
from sqlalchemy import Connection

from app.config import get_settings
from app.core.data.database import AsyncDBPool
from app.core.data.migrations import flag_data_loss
from app.core.data.uniques import for_dialect, refuse_unsupported
from app.core.operations.registry import models_metadata

config = context.config
target_metadata = models_metadata()  # every generated model


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        # SQLite cannot alter a column in place: Alembic copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        process_revision_directives=_flag_data_loss,
        include_object=_made_on(connection.dialect.name),
    )


def _made_on(dialect: str) -> Callable[..., bool]:
    """Leave out of a comparison what the models make on other databases only (their
    ``ddl_if`` keeps ``create_all`` from making it there)."""

    def include(item: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        del name, type_, compare_to
        return reflected or for_dialect(item, dialect)

    return include


def _flag_data_loss(context_: Any, revision: Any, directives: list[ops.MigrationScript]) -> None:
    del context_, revision
    flag_data_loss(directives)


def _run(connection: Connection) -> None:
    refuse_unsupported(
        target_metadata, connection.dialect.name, connection.dialect.server_version_info
    )
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration copies a table and drops the old one: with foreign keys on,
        # that drop would cascade to the rows referring to it.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def _run_with_own_engine() -> None:
    settings = get_settings()
    pool = AsyncDBPool(settings.database)
    try:
        async with pool.engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await pool.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().database.render_as_string(hide_password=False),
                      target_metadata=target_metadata, literal_binds=True)  # fmt: skip
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    _run(shared)  # called from the app's lifespan, on its connection
else:
    asyncio.run(_run_with_own_engine())
