"""Dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.data.database import get_db_session, request_session, request_unit
from app.core.tools.http_client import get_http_client

__all__ = ["HttpClientDep", "SessionDep", "request_session", "request_unit"]

# scope="function": commit before the response is sent, and release the pooled
# connection before the client's next request arrives.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]

# The process's pooled HTTP client (retries, HTTP/2), opened and closed by the lifespan.
HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
