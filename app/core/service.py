"""The orchestration every generated service shares: hooks around repository calls."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement

from app.core.conflict import WRITE_ATTEMPTS, RowChanged, stale
from app.core.context import RequestContext
from app.core.database import Base
from app.core.errors import Problem
from app.core.etag import require_match
from app.core.query import ListQuery
from app.core.repository import Page, SQLRepository

__all__ = ["HOOK_NAMES", "ResourceService", "merge_patch"]

ModelT = TypeVar("ModelT", bound=Base)
CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)

# Each hook belongs to one operation: a custom service that overrides the hook of an
# operation its resource does not have is refused at startup.
HOOK_NAMES: Mapping[str, str] = {
    "before_create": "create",
    "after_create": "create",
    "before_replace": "replace",
    "after_replace": "replace",
    "before_update": "update",
    "after_update": "update",
    "before_delete": "delete",
    "after_delete": "delete",
}


class ResourceService(Generic[ModelT, CreateT, UpdateT]):
    """Business rules around one resource's repository. It never commits.

    Hooks are no-ops here; generated subclasses document them per resource and
    ``custom/`` subclasses override them. A hook rejects a change by raising
    :class:`app.core.errors.Problem`.
    """

    resource: ClassVar[str]
    object_fields: ClassVar[tuple[str, ...]] = ()
    # Whether a created row is stored without the ORM (see SQLRepository.insert_row): yes,
    # unless after_create is overridden, which is promised the ORM object.
    _creates_rows: ClassVar[bool] = True
    _creates_alone: ClassVar[bool] = True
    # Likewise a change (see SQLRepository.update_row), unless a hook of it, or get (which
    # reads the row to change), is overridden: those are promised the ORM object.
    _updates_rows: ClassVar[bool] = True
    _updates_alone: ClassVar[bool] = True
    _gets_directly: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._creates_rows = cls.after_create is ResourceService.after_create
        cls._creates_alone = cls.create is ResourceService.create
        cls._updates_rows = (
            cls.before_update is ResourceService.before_update
            and cls.after_update is ResourceService.after_update
            and cls.get is ResourceService.get
        )
        cls._updates_alone = cls.update is ResourceService.update
        cls._gets_directly = cls.get is ResourceService.get

    def __init__(self, repository: SQLRepository[ModelT], context: RequestContext) -> None:
        self.repository = repository
        self.context = context

    async def list(self, query: ListQuery, *where: ColumnElement[bool]) -> Page[ModelT]:
        return await self.repository.page(query, *where)

    async def get(self, row_id: Any) -> ModelT:
        """The row to change (an ORM object), or a 404."""
        row: ModelT = self._found(await self.repository.get(row_id), row_id)
        return row

    async def read(self, row_id: Any, *, include_deleted: bool = False) -> Any:
        """The row to show (its columns as attributes, read without the ORM), or a 404;
        a soft-deleted one too with ``include_deleted``."""
        row = await self.repository.read(row_id, include_deleted=include_deleted)
        return self._found(row, row_id)

    def _found(self, row: Any, row_id: Any) -> Any:
        if row is None:
            raise Problem(404, f"No {self.resource} has the id {row_id}.")
        return row

    async def expand(
        self, rows: Sequence[ModelT], names: Sequence[str]
    ) -> dict[str, dict[Any, Any]]:
        return await self.repository.expand(rows, names) if names else {}

    async def create_many(self, items: Sequence[CreateT]) -> Sequence[ModelT]:
        """Create every item, or none: the first failure fails the whole request, and the
        request boundary rolls the transaction back. Errors point into the item."""
        rows = []
        for index, data in enumerate(items):
            try:
                rows.append(await self.create(data))
            except Problem as problem:
                raise problem.within(f"/{index}") from None
        return rows

    async def link(self, relation: str, row_id: Any, other: Any) -> None:
        await self.get(row_id)
        if not await self.repository.link(relation, row_id, other):
            raise Problem(404, f"{relation}: nothing has the id {other}.")

    async def unlink(self, relation: str, row_id: Any, other: Any) -> None:
        await self.get(row_id)
        if not await self.repository.unlink(relation, row_id, other):
            raise Problem(404, f"{self.resource} {row_id} is not linked to {other} by {relation}.")

    async def create(self, data: CreateT, *, row_id: Any = None, alone: bool = False) -> ModelT:
        """Store a new row; ``row_id`` is for imports that keep ids, never for API input.

        The row answered is read as reads answer rows (its columns as attributes), or
        the ORM object when ``after_create`` is overridden (that hook is given it).
        ``alone``: the caller does no other database work after this (the generated
        create endpoint), so the row may be committed at once; a service that overrides
        ``create`` never is.
        """
        data = await self.before_create(data)
        values = data.model_dump()
        if row_id is not None:
            values["id"] = row_id
        if self._creates_rows:
            alone = alone and self._creates_alone
            row: ModelT = await self.repository.insert_row(values, alone=alone)
        else:
            row = await self.repository.insert(values)
        await self.after_create(row)
        return row

    async def to_change(self, row_id: Any, if_match: str | None) -> ModelT:
        """The row a replace, update or delete changes through the ORM, or a 404: read
        as it is now and locked until the request ends (see
        ``SQLRepository.get_for_update``), so that its hooks see it as it will be
        changed, and no other write comes between (a 412 when ``if_match`` names
        another version). A service with its own :meth:`get` is asked for it then."""
        row = await self.repository.get_for_update(row_id)
        if self._gets_directly:
            row = self._found(row, row_id)
        else:
            row = await self.get(row_id)
        require_match(if_match, row)
        return row

    async def replace(self, row_id: Any, data: CreateT, *, if_match: str | None = None) -> ModelT:
        """Replace the row as it is now (the last writer wins, unless If-Match)."""
        row = await self.to_change(row_id, if_match)
        data = await self.before_replace(row, data)
        # A replacement: a field the body leaves out (and has no default) becomes null.
        values = dict.fromkeys(type(data).model_fields) | data.model_dump()
        with _precondition(if_match):
            row = await self.repository.update(row, values)
        await self.after_replace(row)
        return row

    async def update(
        self, row_id: Any, patch: UpdateT, *, if_match: str | None = None, alone: bool = False
    ) -> ModelT:
        """Apply a JSON merge patch to the row as it is now. Without hooks to call, the
        row is read and changed without the ORM (see :meth:`_update_row`) and answered
        as reads answer rows; else through the ORM, the row locked (see
        :meth:`to_change`), whose object the hooks get. ``alone``: as for
        :meth:`create` (the generated update endpoint)."""
        if self._updates_rows and self.repository.updates_rows():
            return await self._update_row(row_id, patch, if_match, alone and self._updates_alone)
        row = await self.to_change(row_id, if_match)
        patch = await self.before_update(row, patch)
        values, _ = self._merged(patch, row)
        with _precondition(if_match):
            row = await self.repository.update(row, values)
        await self.after_update(row)
        return row

    async def _update_row(
        self, row_id: Any, patch: UpdateT, if_match: str | None, alone: bool
    ) -> ModelT:
        """The patch applied without the ORM: one read, one UPDATE. A patch whose values
        do not depend on the row read (no object merged into a stored one) and that
        names no If-Match is written to the row as it is then: no other write can make
        it miss. Else the UPDATE names the version read, and when another write came
        between, the patch is applied again to the row read anew, locked
        (:data:`WRITE_ATTEMPTS` times in all), If-Match checked against that row: 412
        when it names another version, 404 when the row is gone, else a 409 (retry)
        when the write never lands."""
        read = await self.read(row_id)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            require_match(if_match, read)
            values, merged = self._merged(patch, read)
            checked = merged or if_match is not None
            try:
                changed: ModelT = await self.repository.update_row(
                    read, values, alone=alone, checked=checked
                )
            except RowChanged:
                if attempt == WRITE_ATTEMPTS:
                    raise
            else:
                return changed
            read = self._found(await self.repository.read_for_update(row_id), row_id)
        raise AssertionError("unreachable")  # the last attempt returned or raised

    def _merged(self, patch: UpdateT, row: Any) -> tuple[dict[str, Any], bool]:
        """The columns a merge patch sets on ``row`` (objects merged into the stored
        ones), and whether any was merged so (depends on the row read)."""
        values = patch.model_dump(exclude_unset=True)
        merged = False
        for name in self.object_fields:
            if isinstance(values.get(name), dict):
                values[name] = merge_patch(getattr(row, name), values[name])
                merged = True
        return values, merged

    async def delete(self, row_id: Any, *, if_match: str | None = None) -> None:
        """Delete the row; 404 when it is gone already (another delete came first)."""
        row = await self.to_change(row_id, if_match)
        await self.before_delete(row)
        with _precondition(if_match):
            await self.repository.delete(row)
        await self.after_delete(row)

    async def before_create(self, data: CreateT) -> CreateT:
        return data

    async def after_create(self, row: ModelT) -> None:
        del row

    async def before_replace(self, row: ModelT, data: CreateT) -> CreateT:
        del row
        return data

    async def after_replace(self, row: ModelT) -> None:
        del row

    async def before_update(self, row: ModelT, patch: UpdateT) -> UpdateT:
        del row
        return patch

    async def after_update(self, row: ModelT) -> None:
        del row

    async def before_delete(self, row: ModelT) -> None:
        del row

    async def after_delete(self, row: ModelT) -> None:
        del row


@contextmanager
def _precondition(if_match: str | None) -> Iterator[None]:
    """A write through the ORM that met another (one that took no lock: the row was
    locked when read) answers 412 when If-Match named the version read, else 409."""
    try:
        yield
    except RowChanged as changed:
        if if_match is None:
            raise
        raise stale(changed.row_id) from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch of ``patch`` onto ``target``."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
