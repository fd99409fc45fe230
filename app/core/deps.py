"""Dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_db_session

__all__ = ["SessionDep"]

# scope="function": commit before the response is sent, and release the pooled
# connection before the client's next request arrives.
SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
