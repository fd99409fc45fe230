"""Liveness and readiness, as Kubernetes probes ask for them."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.pool import QueuePool
from starlette.responses import Response

from app.core.data.database import AsyncDBPool
from app.core.domain.errors import Problem
from app.core.http.problems import problem_response
from app.core.http.responses import json_bytes_response

__all__ = ["PING_TIMEOUT_SECONDS", "router"]

PING_TIMEOUT_SECONDS = 2.0
_LIVE = b'{"status":"ok"}'

router = APIRouter(tags=["Health"])


class Loading(Protocol):
    """What readiness reads of the warm-up kept in ``app.state.warm_up``
    (:class:`app.core.operations.warmup.WarmUp`, which the HTTP edge does not import)."""

    @property
    def started(self) -> bool: ...

    def state(self) -> str | None: ...


@router.get("/health", operation_id="health")
async def health() -> Response:
    """The process answers: no I/O, so a busy database never restarts a healthy pod."""
    return Response(_LIVE, media_type="application/json")


@router.get("/health/ready", operation_id="health_ready")
async def ready(request: Request) -> Response:
    """Every resource is loaded (see :mod:`app.core.operations.warmup`) and the database
    answers a ping; 503 while either is not so, 200 again once both are."""
    warm_up: Loading | None = getattr(request.app.state, "warm_up", None)
    loading = warm_up.state() if warm_up is not None and warm_up.started else None
    if loading is not None:
        return problem_response(Problem(503, loading, title="Not ready"), request.url.path)
    database: AsyncDBPool = request.app.state.database
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        detail = f"The database does not answer ({type(exc).__name__})."
        return problem_response(Problem(503, detail, title="Not ready"), request.url.path)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    body: dict[str, Any] = {
        "status": "ready",
        "database": {
            "status": "up",
            "dialect": database.url.get_backend_name(),
            "latency_ms": latency_ms,
            "pool": _pool_figures(database),
        },
    }
    return json_bytes_response(body)


def _pool_figures(database: AsyncDBPool) -> dict[str, int]:
    pool = database.engine.pool
    if not isinstance(pool, QueuePool):
        return {}
    return {
        "size": pool.size(),
        "checked_out": pool.checkedout(),
        "checked_in": pool.checkedin(),
        "overflow": pool.overflow(),
    }
