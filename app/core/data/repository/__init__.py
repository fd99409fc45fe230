"""The SQL every generated repository shares; a resource's own repository names its table.

A repository holds the request's unit of work and never commits. Its parts live apart:
:mod:`~app.core.data.repository.reads` (rows by id, keyset pages), :mod:`~.writes` (creates,
changes, deletes), :mod:`~.relations` (``?expand=``, nested lists, links) and
:mod:`~.problems` (constraint violations as problems); :mod:`~.base` holds what they share,
among it the :class:`Strategy` a class declares and the :class:`Row` its reads answer.
"""

from __future__ import annotations

from typing import Generic

from app.core.data.conflict import RowChanged, stale
from app.core.data.repository.base import ModelT, Page, Row, Strategy
from app.core.data.repository.problems import Constraint
from app.core.data.repository.reads import Reads
from app.core.data.repository.relations import BelongsTo, HasMany, ManyToMany, Relation, Relations
from app.core.data.repository.writes import Writes

__all__ = [
    "BelongsTo",
    "Constraint",
    "HasMany",
    "ManyToMany",
    "Page",
    "Relation",
    "Row",
    "RowChanged",
    "SQLRepository",
    "Strategy",
    "stale",
]


class SQLRepository(Reads[ModelT], Writes[ModelT], Relations[ModelT], Generic[ModelT]):
    """All SQL for one table. It holds the unit of work and never commits.

    Generated subclasses set the class variables (``model``, ``listing``,
    ``constraints``, ``relations``, ``soft_delete``, ``strategy``); ``custom/``
    subclasses add queries and can use ``self.session`` and ``self.model`` freely.
    Which path an operation takes is :attr:`strategy` (see :class:`Strategy`).
    """
