"""The orchestration every generated service shares: hooks around repository calls."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement

from app.core.data.conflict import WRITE_ATTEMPTS, RowChanged, stale
from app.core.data.database import Base
from app.core.data.query import ListQuery
from app.core.data.repository import Page, Row, SQLRepository, Strategy
from app.core.data.unit import CommitPolicy
from app.core.domain.context import RequestContext
from app.core.domain.errors import Problem
from app.core.domain.etag import require_match

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
    :class:`app.core.domain.errors.Problem`.

    Which path a create or a merge patch takes is declared, never inferred:
    :attr:`strategy` here and the repository's (:class:`app.core.data.repository.Strategy`).
    With ``Strategy.COMPILED`` on both (what the generated bases set), they go without
    the ORM, and their hooks are given compiled rows (the columns as attributes); with
    ``Strategy.ORM`` on either, through the ORM, and the hooks of a change are given the
    ORM object, read locked. Replace and delete always go through the ORM.
    """

    resource: ClassVar[str]
    object_fields: ClassVar[tuple[str, ...]] = ()
    strategy: ClassVar[Strategy] = Strategy.COMPILED

    def __init__(self, repository: SQLRepository[ModelT], context: RequestContext) -> None:
        self.repository = repository
        self.context = context

    @classmethod
    def commit_policy(cls, operation: str) -> CommitPolicy:
        """When the request of ``operation`` may commit (the request boundary opens its
        unit with it): with the operation's one write for a create or a merge patch to
        which this class adds nothing of its own (no hook of the operation, no override
        of it), at the end of the request otherwise. It decides only when the commit
        happens, never what is written or answered."""
        return _commit_policy(cls, operation)

    def _compiled(self, operation: str) -> bool:
        """Whether ``operation`` (``"insert"`` or ``"update"``) goes without the ORM."""
        compiled = self.strategy is Strategy.COMPILED
        return compiled and self.repository.writes_compiled(operation)

    async def list(self, query: ListQuery, *where: ColumnElement[bool]) -> Page[ModelT]:
        return await self.repository.page(query, *where)

    async def get(self, row_id: Any) -> ModelT:
        """The row as an ORM object, or a 404."""
        row: ModelT = self._found(await self.repository.get(row_id), row_id)
        return row

    async def read(self, row_id: Any, *, include_deleted: bool = False) -> Row:
        """The row to show (see :meth:`SQLRepository.read`), or a 404; a soft-deleted one
        too with ``include_deleted``."""
        row: Row = self._found(
            await self.repository.read(row_id, include_deleted=include_deleted), row_id
        )
        return row

    def _found(self, row: Any, row_id: Any) -> Any:
        if row is None:
            raise Problem(404, f"No {self.resource} has the id {row_id}.")
        return row

    async def expand(self, rows: Sequence[Row], names: Sequence[str]) -> dict[str, dict[Any, Any]]:
        return await self.repository.expand(rows, names) if names else {}

    async def create_many(self, items: Sequence[CreateT]) -> Sequence[Row]:
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

    async def create(self, data: CreateT, *, row_id: Any = None) -> Row:
        """Store a new row; ``row_id`` is for imports that keep ids, never for API input.
        The row answered (and given to ``after_create``) is a compiled row or the ORM
        object, as the strategies say (see the class)."""
        data = await self.before_create(data)
        values = data.model_dump()
        if row_id is not None:
            values["id"] = row_id
        row: Row
        if self._compiled("insert"):
            row = await self.repository.insert_row(values)
        else:  # every generated model has the columns Row names
            row = cast("Row", await self.repository.insert(values))
        await self.after_create(row)  # type: ignore[arg-type]
        return row

    async def to_change(self, row_id: Any, if_match: str | None) -> ModelT:
        """The row a replace, update or delete changes through the ORM, or a 404: read
        as it is now and locked until the request ends (see
        ``SQLRepository.get_for_update``), so that its hooks see it as it will be
        changed, and no other write comes between (a 412 when ``if_match`` names
        another version)."""
        row: ModelT = self._found(await self.repository.get_for_update(row_id), row_id)
        require_match(if_match, row)
        return row

    async def replace(self, row_id: Any, data: CreateT, *, if_match: str | None = None) -> ModelT:
        """Replace the row as it is now (the last writer wins, unless If-Match); through
        the ORM, whose object it answers."""
        row = await self.to_change(row_id, if_match)
        data = await self.before_replace(row, data)
        # A replacement: a field the body leaves out (and has no default) becomes null.
        values = dict.fromkeys(type(data).model_fields) | data.model_dump()
        with _precondition(if_match):
            row = await self.repository.update(row, values)
        await self.after_replace(row)
        return row

    async def update(self, row_id: Any, patch: UpdateT, *, if_match: str | None = None) -> Row:
        """Apply a JSON merge patch to the row as it is now: without the ORM (see
        :meth:`_update_row`) when the strategies say so, answered as reads answer rows;
        else through the ORM, the row locked (see :meth:`to_change`), whose object the
        hooks get and which is answered."""
        if self._compiled("update"):
            return await self._update_row(row_id, patch, if_match)
        row = await self.to_change(row_id, if_match)
        patch = await self.before_update(row, patch)
        values, _ = self._merged(patch, row)
        with _precondition(if_match):
            row = await self.repository.update(row, values)
        await self.after_update(row)
        return cast("Row", row)  # every generated model has the columns Row names

    async def _update_row(self, row_id: Any, patch: UpdateT, if_match: str | None) -> Row:
        """The patch applied without the ORM: one read, ``before_update`` (once), one
        UPDATE. A patch whose values do not depend on the row read (no object merged into
        a stored one, and ``before_update`` gave it back as it was given) and that names
        no If-Match is written to the row as it is then: no other write can make it miss.
        Else the UPDATE names the version read, and when another write came between, the
        row is read anew, locked, If-Match checked against it (412 when it names another
        version, 404 when the row is gone); a patch ``before_update`` rewrote from the row
        read is never applied to another (the hook is not run again): 409, retry. Any
        other is applied again to that row (:data:`WRITE_ATTEMPTS` times in all, then a
        409)."""
        read = await self.read(row_id)
        require_match(if_match, read)
        given = await self.before_update(read, patch)  # type: ignore[arg-type]
        rewritten = given is not patch
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            values, merged = self._merged(given, read)
            checked = merged or if_match is not None or rewritten
            try:
                changed = await self.repository.update_row(read, values, checked=checked)
            except RowChanged:
                if attempt == WRITE_ATTEMPTS:
                    raise
            else:
                await self.after_update(changed)  # type: ignore[arg-type]
                return changed
            read = self._found(await self.repository.read_for_update(row_id), row_id)
            require_match(if_match, read)
            if rewritten:
                raise RowChanged(row_id)
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


# Each service class's policy per operation, found once.
_POLICIES: dict[tuple[type[Any], str], CommitPolicy] = {}


def _commit_policy(cls: type[ResourceService[Any, Any, Any]], operation: str) -> CommitPolicy:
    found = _POLICIES.get((cls, operation))
    if found is not None:
        return found
    policy = CommitPolicy.WITH_ONLY_WRITE
    names = (operation, f"before_{operation}", f"after_{operation}")
    own = cls.__mro__[: cls.__mro__.index(ResourceService)]  # the subclasses' own code
    if operation not in ("create", "update") or any(n in vars(k) for k in own for n in names):
        policy = CommitPolicy.AT_END
    _POLICIES[(cls, operation)] = policy
    return policy


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
