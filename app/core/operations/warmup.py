"""Deployed environments build every resource right after start-up, before they are ready.

Building 200 resources (their schemas, models, routers) takes seconds. Done before the app
accepts connections, it kept even ``/health`` unanswered that long; now the app answers at
once, builds the resources one at a time on its event loop between requests, and
``/health/ready`` says 503 until every one is built, so that Kubernetes sends it no traffic
before. A request that comes earlier builds the resource it needs itself (see
:mod:`app.core.operations.router`). A resource that fails to build keeps the app from ever being
ready, and its error is logged and shown by ``/health/ready``: the deploy stops there.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from app.core.operations.router import ResourceOperations

__all__ = ["WarmUp"]

logger = logging.getLogger("app")


class WarmUp:
    """Every resource of ``routes`` built in a task of the running event loop."""

    def __init__(self, routes: ResourceOperations) -> None:
        self.routes = routes
        self.error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="warm-up")

    @property
    def started(self) -> bool:
        return self._task is not None

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done() and self.error is None

    def state(self) -> str | None:
        """None once every resource is built; else why the app is not ready yet."""
        if self.error is not None:
            return f"A resource failed to load: {self.error}"
        if self.done:
            return None
        total = len(self.routes.bindings)
        return f"Loading the resources ({self.routes.built} of {total} built)."

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        # Start-up makes long-lived objects and no garbage: no collection meanwhile.
        enabled = gc.isenabled()
        gc.disable()
        try:
            for binding in self.routes.bindings:
                await asyncio.sleep(0)  # requests waiting meanwhile go first
                self.routes.build(binding)
            logger.info("warm-up: %d resources built", len(self.routes.bindings))
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            logger.exception("warm-up failed; the app will not be ready")
        finally:
            if enabled:
                gc.enable()
