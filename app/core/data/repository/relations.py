"""Relations between tables: ``?expand=``, nested lists, and many-to-many links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, delete, insert, select

from app.core.data.repository.base import ModelT, RepositoryState

__all__ = ["BelongsTo", "HasMany", "ManyToMany", "Relation", "Relations"]


@dataclass(frozen=True)
class BelongsTo:
    """``?expand=<name>``: the row this one's ``column`` refers to (or None)."""

    target: type[Any]
    column: str


@dataclass(frozen=True)
class HasMany:
    """``?expand=<name>``: the rows of ``target`` whose ``column`` refers to this one."""

    target: type[Any]
    column: str


@dataclass(frozen=True)
class ManyToMany:
    """The rows of ``target`` linked to this one through ``table``."""

    target: type[Any]
    table: Table
    own_column: str
    target_column: str


Relation = BelongsTo | HasMany | ManyToMany


class Relations(RepositoryState[ModelT]):
    """The related rows of a repository's rows, and links between them."""

    async def expand(self, rows: Sequence[Any], names: Sequence[str]) -> dict[str, dict[Any, Any]]:
        """For each relation named, ``{row id: related row(s)}``: one query per relation,
        however many rows, so a page never costs a query per row."""
        out: dict[str, dict[Any, Any]] = {}
        if not rows:
            return {name: {} for name in names}
        ids = [row.id for row in rows]
        for name in names:
            relation = self.relations[name]
            target = relation.target
            if isinstance(relation, BelongsTo):
                keys = {getattr(row, relation.column) for row in rows} - {None}
                found = {}
                if keys:
                    statement = _visible(target, select(target).where(target.id.in_(keys)))
                    found = {r.id: r for r in (await self.session.scalars(statement)).all()}
                out[name] = {row.id: found.get(getattr(row, relation.column)) for row in rows}
            elif isinstance(relation, HasMany):
                column = getattr(target, relation.column)
                statement = _visible(target, select(target).where(column.in_(ids))).order_by(
                    target.id
                )
                grouped: dict[Any, list[Any]] = {row_id: [] for row_id in ids}
                for child in (await self.session.scalars(statement)).all():
                    grouped[getattr(child, relation.column)].append(child)
                out[name] = grouped
            else:
                own = relation.table.c[relation.own_column]
                other = relation.table.c[relation.target_column]
                statement = _visible(
                    target,
                    select(target, own)
                    .join(relation.table, other == target.id)
                    .where(own.in_(ids)),
                ).order_by(target.id)
                linked: dict[Any, list[Any]] = {row_id: [] for row_id in ids}
                for related, owner in (await self.session.execute(statement)).all():
                    linked[owner].append(related)
                out[name] = linked
        return out

    def linked(self, name: str, row_id: Any) -> ColumnElement[bool]:
        """The condition on the related resource's rows that are linked to ``row_id``."""
        relation = self.relations[name]
        if isinstance(relation, HasMany):
            return getattr(relation.target, relation.column) == row_id  # type: ignore[no-any-return]
        assert isinstance(relation, ManyToMany)
        table = relation.table
        links = select(table.c[relation.target_column]).where(
            table.c[relation.own_column] == row_id
        )
        return relation.target.id.in_(links)  # type: ignore[no-any-return]

    async def link(self, name: str, row_id: Any, other_id: Any) -> bool:
        """Link two rows of a many-to-many relation; linking twice changes nothing.
        False when there is no ``other_id`` to link."""
        relation = self.relations[name]
        assert isinstance(relation, ManyToMany)
        target = relation.target
        found = _visible(target, select(target.id).where(target.id == other_id))
        if (await self.session.execute(found)).first() is None:
            return False
        table = relation.table
        pair = {relation.own_column: row_id, relation.target_column: other_id}
        exists = select(table).where(*(table.c[k] == v for k, v in pair.items()))
        if (await self.session.execute(exists)).first() is None:
            await self.session.execute(insert(table).values(pair))
        return True

    async def unlink(self, name: str, row_id: Any, other_id: Any) -> bool:
        """Remove the link; False when the rows were not linked."""
        relation = self.relations[name]
        assert isinstance(relation, ManyToMany)
        table = relation.table
        statement = delete(table).where(
            table.c[relation.own_column] == row_id, table.c[relation.target_column] == other_id
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _visible(target: type[Any], statement: Select[Any]) -> Select[Any]:
    """Related rows without the soft-deleted ones."""
    if "deleted_at" in target.__table__.c:
        return statement.where(target.deleted_at.is_(None))
    return statement
