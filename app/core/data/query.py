"""What a list takes from its query string: filters, sort, cursor, count, expand.

A generated repository declares one :class:`Listing` at import; each request's query
string is then read in one pass into a :class:`ListQuery`, every value validated
against its field's schema. Anything undeclared answers 422 naming it.
"""

from __future__ import annotations

import copy
import hashlib
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

import orjson
from annotated_types import MaxLen
from pydantic import MISSING, BaseModel, Field, TypeAdapter, ValidationError
from starlette.datastructures import QueryParams

from app.core.data.cursor import CursorCodec
from app.core.data.query_values import split_escaped, split_plain
from app.core.domain.errors import parameter_problem

__all__ = ["MAX_CURSOR_LENGTH", "OPERATORS", "Condition", "Filter", "ListQuery", "Listing"]

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "is_null")
MAX_CURSOR_LENGTH = 2048  # the contract's maxLength of ?cursor=
_MAX_IN = 100  # values of one ?field__in=
NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_TRUE = ("true", "1")
_FALSE = ("false", "0")


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter: ``field operator value`` (``value`` a tuple for ``in``)."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class Filter:
    """One filter parameter (``capacity__gte``): the field and operator it filters by,
    and the adapter that validates its value (a tuple of values for ``in``)."""

    field: str
    operator: str
    adapter: TypeAdapter[Any]
    temporal: bool  # dates or date-times, taken only as ISO 8601 text


@dataclass(frozen=True, slots=True)
class ListQuery:
    """One list request, validated; ``order`` always ends with the id."""

    limit: int
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    conditions: tuple[Condition, ...] = ()
    cursor: str | None = None
    count: bool = False
    include_deleted: bool = False
    expand: tuple[str, ...] = ()
    scope: tuple[str, Any] | None = field(default=None)  # a nested route's parent

    def fingerprint(self) -> str:
        """What a cursor is bound to besides the sort: the filters and the scope."""
        shape = [
            sorted([c.field, c.operator, _plain(c.value)] for c in self.conditions),
            self.include_deleted,
            _plain(self.scope),
        ]
        digest = hashlib.blake2b(orjson.dumps(shape, option=orjson.OPT_SORT_KEYS), digest_size=6)
        return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A JSON-able form of a filter value (enums, dates and UUIDs as strings)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class Listing:
    """The list parameters of one resource, and the parser of its query strings.

    ``value_types`` maps each filtered field to the type its schema gives it;
    ``key_types`` maps each sortable field to the bounded type of its cursor key.
    """

    def __init__(
        self,
        *,
        default_sort: str,
        default_limit: int,
        max_limit: int,
        key_types: Mapping[str, Any],
        filters: Mapping[str, Sequence[str]] = {},
        value_types: Mapping[str, Any] = {},
        expand: Sequence[str] = (),
        soft_delete: bool = False,
    ) -> None:
        self.default_order = _with_id(((default_sort.lstrip("-"), default_sort[0] == "-"),))
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.sortable = frozenset(key_types)
        self.expandable = tuple(expand)
        self.soft_delete = soft_delete
        self.cursor = CursorCodec(key_types)
        self.max_cursor_length = MAX_CURSOR_LENGTH
        self._limit: TypeAdapter[int] = TypeAdapter(Annotated[int, Field(ge=1, le=max_limit)])
        self.filters: dict[str, Filter] = {}
        for name, operators in filters.items():
            temporal = is_temporal(value_types[name])
            for operator in operators:
                parameter = name if operator == "eq" else f"{name}__{operator}"
                adapter = _value_adapter(operator, value_types[name])
                self.filters[parameter] = Filter(name, operator, adapter, temporal)
        fixed = {"limit", "cursor", "sort", "count"}
        fixed |= {"expand"} if self.expandable else set()
        fixed |= {"include_deleted"} if soft_delete else set()
        self.parameters = frozenset(fixed | set(self.filters))
        self.arrays = _arrays(self.parameters, self.filters)

    @classmethod
    def from_schemas(
        cls, schemas: Sequence[type[BaseModel]], filters: Mapping[str, Sequence[str]], **kw: Any
    ) -> Listing:
        """A listing whose filter values are typed by the first schema that has the field."""
        value_types = {
            name: next(_field_type(s, name) for s in schemas if name in s.model_fields)
            for name in filters
        }
        return cls(filters=filters, value_types=value_types, **kw)

    def without(self, field: str) -> Listing:
        """This listing without the filters of ``field``: a nested route's parent reference
        is fixed by its path, so it is no query parameter there."""
        narrowed = copy.copy(self)
        narrowed.filters = {k: f for k, f in self.filters.items() if f.field != field}
        dropped = set(self.filters) - set(narrowed.filters)
        narrowed.parameters = self.parameters - dropped
        narrowed.arrays = _arrays(narrowed.parameters, narrowed.filters)
        return narrowed

    def parse(self, params: QueryParams | Mapping[str, str], *, scope: Any = None) -> ListQuery:
        """Read a query string, or answer 422 naming every bad parameter."""
        errors: list[dict[str, str]] = []
        limit, order, cursor = self.default_limit, self.default_order, None
        count = include_deleted = False
        expand: tuple[str, ...] = ()
        conditions: list[Condition] = []
        seen: set[str] = set()
        items = params.multi_items() if isinstance(params, QueryParams) else params.items()
        arrays: dict[str, list[str]] = {}  # every occurrence of each array-valued parameter
        for key, raw in items:
            if key in self.arrays:
                if "\x00" in raw:
                    errors.append(_error(key, "must not contain the NUL character"))
                else:
                    arrays.setdefault(key, []).append(raw)
                continue
            if key in seen:
                errors.append(_error(key, "is given more than once"))
                continue
            seen.add(key)
            if "\x00" in raw:
                errors.append(_error(key, "must not contain the NUL character"))
            elif key == "limit":
                try:  # as the framework reads an integer parameter, with its messages
                    limit = self._limit.validate_python(raw)
                except ValidationError as exc:
                    errors.append(_error(key, exc.errors()[0]["msg"]))
            elif key == "cursor":
                if len(raw) > self.max_cursor_length:
                    detail = f"String should have at most {self.max_cursor_length} characters"
                    errors.append(_error(key, detail))
                cursor = raw
            elif key == "count":
                count = _boolean(raw, key, errors)
            elif key == "include_deleted" and self.soft_delete:
                include_deleted = _boolean(raw, key, errors)
            elif key in self.filters:
                self._condition(key, [raw], conditions, errors)
            else:
                allowed = ", ".join(sorted(self.parameters))
                errors.append(_error(key, f"is not a parameter of this list (it takes: {allowed})"))
        for key, raws in arrays.items():
            if key == "sort":
                order = self._order(raws, errors)
            elif key == "expand":
                expand = self._expand(raws, errors)
            else:
                self._condition(key, raws, conditions, errors)
        if errors:
            raise parameter_problem(errors)
        return ListQuery(
            limit=limit,
            order=order,
            conditions=tuple(conditions),
            cursor=cursor,
            count=count,
            include_deleted=include_deleted,
            expand=expand,
            scope=scope,
        )

    def _condition(
        self, key: str, raws: list[str], conditions: list[Condition], errors: list[dict[str, str]]
    ) -> None:
        """The condition of one filter parameter (every occurrence of an ``__in``)."""
        found = self.filters[key]
        operator = found.operator
        raw = ",".join(raws)  # as the client may have written it, for the messages
        try:
            values = split_escaped(raws) if operator == "in" else raws
        except ValueError as exc:
            errors.append(_error(key, f"{exc} (got {raw[:100]!r})"))
            return
        if found.temporal and operator != "is_null" and any(map(NUMBER.fullmatch, values)):
            detail = f"must be an ISO 8601 date or date-time (got {raw[:100]!r})"
            errors.append(_error(key, detail))
            return
        try:
            value = found.adapter.validate_python(values if operator == "in" else values[0])
        except ValidationError as exc:
            message = exc.errors()[0]["msg"]
            errors.append(_error(key, f"{message} (got {raw[:100]!r})"))
            return
        conditions.append(Condition(found.field, operator, value))

    def expansions(self, params: QueryParams) -> tuple[str, ...]:
        """The ``?expand=`` of a get, which takes no other query parameter."""
        errors: list[dict[str, str]] = []
        expand: tuple[str, ...] = ()
        raws: list[str] = []
        for key, raw in params.multi_items():
            if key == "expand" and self.expandable and "\x00" not in raw:
                raws.append(raw)  # repeated or comma-separated, or both
            else:
                errors.append(_error(key, "is not a parameter of this operation"))
        if raws:
            expand = self._expand(raws, errors)
        if errors:
            raise parameter_problem(errors)
        return expand

    def _order(self, raws: list[str], errors: list[dict[str, str]]) -> tuple[tuple[str, bool], ...]:
        keys: list[tuple[str, bool]] = []
        parts = split_plain(raws)
        most = 2 * len(self.sortable)  # each field, each way: the contract's maxItems
        if len(parts) > most:
            errors.append(_error("sort", f"List should have at most {most} items"))
            return self.default_order
        for part in parts:
            name = part.removeprefix("-")
            if name not in self.sortable:
                allowed = ", ".join(sorted(self.sortable))
                errors.append(_error("sort", f"cannot sort by {part!r} (sortable: {allowed})"))
                return self.default_order
            if all(name != known for known, _ in keys):  # a field sorted again changes nothing
                keys.append((name, part.startswith("-")))
        return _with_id(tuple(keys))

    def _expand(self, raws: list[str], errors: list[dict[str, str]]) -> tuple[str, ...]:
        names = tuple(split_plain(raws))
        unknown = [repr(n) for n in names if n not in self.expandable]
        if unknown:
            allowed = ", ".join(self.expandable)
            errors.append(_error("expand", f"cannot expand {', '.join(unknown)} (only: {allowed})"))
            return ()
        if len(set(names)) < len(names):  # the contract's uniqueItems
            errors.append(_error("expand", "names a relation more than once"))
            return ()
        return names


def _arrays(parameters: frozenset[str], filters: Mapping[str, Filter]) -> frozenset[str]:
    """The parameters that take several values: repeated, comma-separated, or both."""
    ins = {key for key, found in filters.items() if found.operator == "in"}
    return frozenset(({"sort", "expand"} & parameters) | ins)


def _with_id(keys: tuple[tuple[str, bool], ...]) -> tuple[tuple[str, bool], ...]:
    """The id breaks ties, in the direction of the last key, so that order is total."""
    for index, (name, _) in enumerate(keys):
        if name == "id":
            return keys[: index + 1]
    return (*keys, ("id", keys[-1][1]))


def _error(parameter: str, detail: str) -> dict[str, str]:
    return {"pointer": f"query:/{parameter}", "detail": detail}


def _boolean(raw: str, key: str, errors: list[dict[str, str]]) -> bool:
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    errors.append(_error(key, "must be true or false"))
    return False


def _field_type(schema: type[BaseModel], name: str) -> Any:
    """A field's type with its constraints, neither absent (MISSING) nor null."""
    info = schema.model_fields[name]
    annotation: Any = info.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None) and a is not MISSING]
        annotation = kept[0] if len(kept) == 1 else Union[tuple(kept)]  # noqa: UP007
    return Annotated[annotation, *info.metadata] if info.metadata else annotation


def _value_adapter(operator: str, value_type: Any) -> TypeAdapter[Any]:
    if operator == "is_null":
        return TypeAdapter(bool, config={"strict": False})
    if operator == "in":
        return TypeAdapter(
            Annotated[tuple[value_type, ...], Field(min_length=1, max_length=_MAX_IN)]
        )
    if operator in ("contains", "icontains"):
        longest = next((m.max_length for m in _metadata(value_type) if isinstance(m, MaxLen)), None)
        return TypeAdapter(Annotated[str, Field(min_length=1, max_length=longest)])
    return TypeAdapter(value_type)


def is_temporal(value_type: Any) -> bool:
    """Whether values are dates or date-times, which pydantic would also read from a
    number of seconds: a filter takes them only as ISO 8601 text, as the contract says."""
    adapter: TypeAdapter[Any] = TypeAdapter(value_type)
    for text in ("2000-01-01T00:00:00Z", "2000-01-01"):
        try:
            return isinstance(adapter.validate_python(text), date)
        except ValidationError:
            continue
    return False


def _metadata(value_type: Any) -> tuple[Any, ...]:
    return tuple(getattr(value_type, "__metadata__", ()))
