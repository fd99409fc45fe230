"""What every part of a repository shares: its table, its unit of work, its strategy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.data.database import Base
from app.core.data.query import Listing
from app.core.data.reader import CompiledSelect, row_type
from app.core.data.repository.problems import Constraint
from app.core.data.unit import UnitOfWork

if TYPE_CHECKING:
    from app.core.data.repository.relations import Relation

__all__ = ["DIRECT_WRITES", "Page", "RepositoryState", "Row", "Strategy"]

ModelT = TypeVar("ModelT", bound=Base)

# Drivers a compiled write (and a locked read) is sent through directly: aiosqlite's one
# call, instead of the four SQLAlchemy's adapter makes (cursor, execute, fetch, close),
# each a thread hop. A server driver keeps SQLAlchemy's execution, which opens the
# request's transaction on it.
DIRECT_WRITES = frozenset({"aiosqlite"})


class Strategy(Enum):
    """How a repository reads and writes the rows of its operations; a class says which
    (``strategy = Strategy.ORM``), never which methods it overrides.

    ``COMPILED`` (what the generated bases set): reads by id, list pages, inserts and
    changes are statements compiled once per dialect (and shape of query) and sent
    without the ORM; they answer compiled rows (tuples with the columns as attributes).
    A database that cannot return written rows (MariaDB/MySQL) writes through the ORM.
    The overridable ``get``, ``insert``, ``update`` and statement builders (``filtered``,
    ``visible``, ``condition``, ``ordered``) serve the ORM's writes (replace, delete)
    and custom queries: overriding them changes neither path nor return type here.

    ``ORM``: reads by id go through ``get``, lists build their statement per request
    through the builders, creates through ``insert`` and changes through ``update``
    (the row read by ``get_for_update``, locked), and answer ORM objects. A repository
    whose overrides add row rules to those methods sets it; so does a service whose
    hooks want the ORM object (``ResourceService.strategy``).
    """

    COMPILED = "compiled"
    ORM = "orm"


class Row(Protocol):
    """A stored row as reads, creates and changes answer it: a compiled row (a tuple
    with the table's columns as attributes, :func:`app.core.data.reader.row_type`) or an
    ORM object (:attr:`Strategy.ORM`). Both carry every column as an attribute, which
    is what the schemas (``from_attributes``), entity tags and hooks read; this protocol
    names the columns every table has."""

    @property
    def id(self) -> Any: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    """One page of a list: its rows (:class:`Row`), the cursor to the next, the total."""

    rows: Sequence[Any]
    next_cursor: str | None
    total: int | None = None


class RepositoryState(Generic[ModelT]):
    """The table, the unit of work and the compiled statements a repository's parts use."""

    model: ClassVar[type[Any]]
    listing: ClassVar[Listing]
    constraints: ClassVar[tuple[Constraint, ...]] = ()
    relations: ClassVar[Mapping[str, Relation]] = {}
    soft_delete: ClassVar[bool] = False
    strategy: ClassVar[Strategy] = Strategy.COMPILED

    # The read by id of each dialect, compiled at its first use (see app.core.data.reader);
    # keyed by (dialect, True) the read that locks the row (FOR UPDATE).
    _by_id: ClassVar[dict[Any, CompiledSelect]]
    # The list statements of each shape of query, compiled at first use.
    _pages: ClassVar[dict[tuple[Any, ...], tuple[CompiledSelect, CompiledSelect | None]]]
    # The INSERT … RETURNING of each dialect and set of columns given, compiled at first use.
    _inserts: ClassVar[dict[tuple[str, frozenset[str]], CompiledSelect]]
    # The UPDATE … RETURNING of each dialect and set of columns changed (and whether it
    # names the version read), likewise.
    _updates: ClassVar[dict[tuple[str, frozenset[str], bool], CompiledSelect]]

    def __init__(self, session: AsyncSession | UnitOfWork) -> None:
        # A request's unit makes its session on first use; reads before it need none.
        self.unit = session if isinstance(session, UnitOfWork) else UnitOfWork.of(session)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each class compiles its own: a subclass may read another table.
        cls._by_id = {}
        cls._pages = {}
        cls._inserts = {}
        cls._updates = {}

    @property
    def session(self) -> AsyncSession:
        """The request's ORM session (made on first use)."""
        return self.unit.session

    @property
    def compiled(self) -> bool:
        """Whether this repository's operations use compiled statements (its strategy)."""
        return self.strategy is Strategy.COMPILED

    @classmethod
    def _row_type(cls) -> Callable[[Sequence[Any]], Any]:
        """Makes this table's rows as reads answer them."""
        return row_type(cls.model.__table__)
