"""The database work of one request: a session made on first use, and reads without one.

Most requests only read. An ORM session costs its own set-up, a connection held from the
first statement to the end of the request, and a COMMIT then a ROLLBACK at the end
(a round trip each on a server; a thread hop each with aiosqlite). A read compiled
ahead of time (``app.core.data.reader``) needs none of that: it borrows a pooled connection
for its one statement and gives it straight back. A write compiled ahead of time (a
create's INSERT … RETURNING) opens the transaction on a plain pooled connection. The
session is made the first time something asks for it (an ORM write, a hook using the
ORM, a custom query), joined to that transaction if there is one. Once either has
begun, reads go through the transaction, after whatever the session holds unsent, so
that they see the request's own changes.

On a SQLite file those reads, and a write that is the request's only database work, go
to a connection of our own without a checkout (:class:`app.core.data.sqlite.DirectConnection`);
a transaction on the pooled connection holds those writes off while it is open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from collections.abc import Mapping

    from app.core.data.reader import CompiledSelect
    from app.core.data.sqlite import DirectConnection

__all__ = ["CommitPolicy", "Engines", "UnitOfWork"]


class CommitPolicy(Enum):
    """When a unit commits, chosen by the request boundary for its operation.

    ``AT_END``: everything the request wrote commits together when the request ends.

    ``WITH_ONLY_WRITE``: the operation does one write and nothing of its own around it
    (the generated create or update of a service with no hooks of that operation): the
    write may commit with its statement. The unit decides when the write is made: it
    commits with it only when nothing of the request touched the transaction before
    (no session, no write, no locked read), on a database where that saves a trip
    (SQLite: the write and its COMMIT in one call on the connection's thread); else the
    write joins the transaction, which on SQLite is ended at once (other requests'
    writes would queue behind it to the end of the request). Database work after a
    write committed so is refused (:class:`RuntimeError`): it could not be undone with it.
    """

    AT_END = "at_end"
    WITH_ONLY_WRITE = "with_only_write"


class Engines(Protocol):
    """Where a unit's work goes (:class:`app.core.data.database.AsyncDBPool` is one)."""

    @property
    def engine(self) -> AsyncEngine: ...
    @property
    def read_engine(self) -> AsyncEngine: ...
    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def direct_reads(self) -> DirectConnection | None: ...
    @property
    def direct_writes(self) -> DirectConnection | None: ...


class UnitOfWork:
    """One request's (or one script step's) database work; repositories share it."""

    __slots__ = (
        "_committed",
        "_connection",
        "_direct_reads",
        "_direct_writes",
        "_engine",
        "_holds_writes",
        "_session",
        "_sessionmaker",
        "_write_engine",
        "policy",
    )

    def __init__(
        self,
        engine: AsyncEngine | None,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        write_engine: AsyncEngine | None = None,
        *,
        direct_reads: DirectConnection | None = None,
        direct_writes: DirectConnection | None = None,
        policy: CommitPolicy = CommitPolicy.AT_END,
    ) -> None:
        # Set by the request boundary before any database work (see CommitPolicy).
        self.policy = policy
        # Whether a write was committed with its statement (no more work may follow).
        self._committed = False
        self._engine = engine  # where reads outside the transaction go
        self._write_engine = write_engine or engine
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        # The transaction's connection, when a write without the ORM opened it.
        self._connection: AsyncConnection | None = None
        # SQLite's connections, reached without a checkout: reads outside the
        # transaction, and a write that commits itself.
        self._direct_reads = direct_reads
        self._direct_writes = direct_writes
        self._holds_writes = False

    @classmethod
    def of(cls, session: AsyncSession) -> UnitOfWork:
        """The work of a session someone else opened and will end: every read goes
        through it (custom routes, scripts and tests that hold a session)."""
        unit = cls(None, None)
        unit._session = session
        return unit

    @property
    def session(self) -> AsyncSession:
        """The request's ORM session, made on first use; in the transaction a write
        without the ORM opened, if one did (the unit, not the session, ends it)."""
        if self._session is None:
            assert self._sessionmaker is not None
            self._refuse_after_commit()
            if self._connection is None:
                self._session = self._sessionmaker()
            else:
                self._session = self._sessionmaker(
                    bind=self._connection, join_transaction_mode="rollback_only"
                )
        return self._session

    @property
    def dialect(self) -> Dialect:
        if self._engine is not None:
            return self._engine.dialect
        return self.session.get_bind().dialect

    def _begun(self) -> bool:
        """Whether the request's transaction has begun (a write, or the session's)."""
        session = self._session
        return self._connection is not None or (session is not None and _begun(session))

    async def fetch(self, compiled: CompiledSelect, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one compiled read, from where :meth:`reading` would read them."""
        if self._direct_reads is not None and compiled.sql and not self._begun():
            return await compiled.all_direct(self._direct_reads, params)
        async with self.reading() as connection:
            return await compiled.all(connection, params)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read: the transaction's once a write or the session has
        begun it (see :meth:`writing`), else a pooled one, given back on the way out."""
        if self._engine is None or self._begun():
            yield await self.writing()
            return
        async with self._engine.connect() as connection:
            yield connection

    async def writing(self) -> AsyncConnection:
        """The transaction's connection, for a write without the ORM. Before any session,
        a pooled connection in a transaction of its own (no session is made for it);
        else the session's, after sending whatever it holds unsent, so that the writes
        keep their order."""
        session = self._session
        if session is None and self._write_engine is not None:
            if self._connection is None:
                self._refuse_after_commit()
                await self._hold_writes()
                connection = await self._write_engine.connect()
                try:
                    await connection.begin()
                except BaseException:
                    await connection.close()
                    raise
                self._connection = connection
            return self._connection
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        return await session.connection()

    async def lock_rows(self) -> None:
        """Before this unit reads a row it will change. A server locks the row itself
        (the read says FOR UPDATE); SQLite has no row locks, and its transaction takes
        the file's write lock only at its first write: until the unit ends, other
        requests' writes that commit themselves wait for the transaction's connection
        (see :meth:`DirectConnection.hold`), and those already sent are answered before
        this returns, so that none comes between the read and the write."""
        await self._hold_writes()

    async def _hold_writes(self) -> None:
        """On a SQLite file, hold off the writes that commit themselves on a connection
        of their own, as long as this unit's transaction is open (:meth:`lock_rows`,
        and a write without the ORM: it never waits for SQLite's lock that way)."""
        direct = self._direct_writes
        if direct is not None and not self._holds_writes:
            direct.hold()
            self._holds_writes = True
            await direct.settled()

    async def fetch_locked(self, compiled: CompiledSelect, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one compiled read that locks them (FOR UPDATE), in the transaction."""
        await self.lock_rows()
        return await compiled.all(await self.writing(), params)

    async def write(self, compiled: CompiledSelect, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one compiled write (INSERT or UPDATE … RETURNING), committed as
        :attr:`policy` allows (see :class:`CommitPolicy`), else in the transaction."""
        self._refuse_after_commit()
        if self.policy is CommitPolicy.WITH_ONLY_WRITE:
            rows = await self._commit_with(compiled, params)
            if rows is not None:
                # No rows: nothing was written (the caller answers a problem, or retries).
                self._committed = bool(rows)
                return rows
        rows = await compiled.all(await self.writing(), params)
        if self.policy is CommitPolicy.WITH_ONLY_WRITE and rows:
            await self._end_at_once()  # (no rows: the caller answers a problem, or retries)
        return rows

    async def _commit_with(
        self, compiled: CompiledSelect, params: Mapping[str, Any]
    ) -> list[Any] | None:
        """The rows of a compiled write committed in the same call as its statement, when
        nothing of the request has touched the transaction yet (no session, no write, no
        locked read). SQLite only, where it saves a trip to the connection's thread;
        None, having sent nothing, otherwise."""
        direct = self._direct_writes
        touched = self._session is not None or self._connection is not None
        if direct is None or not compiled.sql or touched or self._holds_writes:
            return None
        return await compiled.all_committed(direct, params)

    async def _end_at_once(self) -> None:
        """After the only write was sent in the transaction, :meth:`_commit_with` having
        declined it: on SQLite, commit it and give the connection back at once. Left
        open to the end of the request, the transaction would turn every other request's
        write that commits itself to the pool's queue, where each would hold the
        transaction as long in turn. Not when a session shares the transaction (the
        request did more: it commits at the end)."""
        connection = self._connection
        if self._direct_writes is None or self._session is not None or connection is None:
            return
        self._connection = None
        self._committed = True
        try:
            await connection.commit()
        finally:
            try:
                await connection.close()
            finally:
                self._release_writes()

    def _refuse_after_commit(self) -> None:
        if self._committed:
            raise RuntimeError(
                "database work after the operation's only write, which was committed with "
                "its statement (CommitPolicy.WITH_ONLY_WRITE): open the request's unit with "
                "CommitPolicy.AT_END for an operation that does more"
            )

    async def commit(self) -> None:
        if self._session is not None:
            await self._session.commit()
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()
        if self._connection is not None and self._connection.in_transaction():
            await self._connection.rollback()

    async def close(self) -> None:
        try:
            if self._session is not None:
                await self._session.close()
        finally:
            try:
                if self._connection is not None:
                    await self._connection.close()
            finally:
                self._release_writes()

    def _release_writes(self) -> None:
        if self._holds_writes and self._direct_writes is not None:
            self._direct_writes.release()
            self._holds_writes = False

    @classmethod
    @asynccontextmanager
    async def opened(
        cls, database: Engines, policy: CommitPolicy = CommitPolicy.AT_END
    ) -> AsyncIterator[UnitOfWork]:
        """A unit committed when the block succeeds (as ``policy`` says), rolled back on
        any error."""
        unit = cls(
            database.read_engine,
            database.sessionmaker,
            database.engine,
            direct_reads=database.direct_reads,
            direct_writes=database.direct_writes,
            policy=policy,
        )
        try:
            yield unit
        except BaseException:
            await unit.rollback()
            raise
        else:
            await unit.commit()
        finally:
            await unit.close()


def _begun(session: AsyncSession) -> bool:
    return bool(session.in_transaction() or session.new or session.dirty or session.deleted)
