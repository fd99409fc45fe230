"""JSON responses: rows written as their response schema writes them.

A row read by a compiled statement (:func:`app.core.data.reader.row_type`) already holds the
Python values of its columns, typed by SQLAlchemy: building the response schema from it
would check again what the database keeps (two passes of pydantic, validation then
serialization, the larger part of a list's time). :class:`RowWriter` writes such rows
with orjson instead, in the schema's field order, when every field the row fills has a
type that both write alike (scalars, date-times, UUIDs, enumerations, lists and objects
of them): the same bytes, one pass. Anything else (an ORM object, a row with expanded
relations, a field of another type, a value orjson refuses) goes through the schema.
"""

from __future__ import annotations

import datetime as dt
import types
import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from operator import itemgetter
from typing import Annotated, Any, Union, get_args, get_origin

import orjson
from pydantic import MISSING, AwareDatetime, BaseModel, RootModel
from pydantic_core import to_json
from starlette.responses import Response

__all__ = [
    "Answer",
    "Related",
    "RowWriter",
    "json_bytes_response",
    "json_response",
    "page_fields",
    "with_related",
]

# pydantic writes a UTC date-time with a Z; orjson with +00:00 unless told.
_ORJSON = orjson.OPT_UTC_Z


def json_response(
    body: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        body.__pydantic_serializer__.to_json(body),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def json_bytes_response(body: Any, *, status_code: int = 200) -> Response:
    """A plain JSON document (dicts, lists, scalars) as a response."""
    try:
        content = orjson.dumps(body)
    except orjson.JSONEncodeError:
        # An integer past 64 bits, which a free-form JSON field holds whole: pydantic's
        # writer takes it (slower, so only for the rare document that needs it).
        content = to_json(body)
    return Response(content, status_code=status_code, media_type="application/json")


class Related:
    """A row seen with its expanded relations as extra attributes (for ``from_attributes``)."""

    __slots__ = ("_extra", "_row")

    def __init__(self, row: Any, extra: Mapping[str, Any]) -> None:
        self._row = row
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, name)


def with_related(row: Any, expanded: Mapping[str, Mapping[Any, Any]]) -> Any:
    """``row`` with the relations :meth:`SQLRepository.expand` loaded for it, if any."""
    if not expanded:
        return row
    return Related(row, {name: by_id[row.id] for name, by_id in expanded.items()})


def page_fields(next_cursor: str | None, total: int | None) -> dict[str, Any]:
    """The fields of a page besides its items (``total`` only when it was asked for)."""
    if total is None:
        return {"next_cursor": next_cursor}
    return {"next_cursor": next_cursor, "total": total}


# Types orjson writes exactly as pydantic does (tested against pydantic, value by value).
_PLAIN = frozenset({int, str, bool, type(None), dt.datetime, dt.date, uuid.UUID, AwareDatetime,
                    Any})  # fmt: skip


def _plain(annotation: Any) -> bool:
    """Whether values of ``annotation``, as a row holds them, are written by orjson as by
    pydantic. A float is not: an integer the database answers would lose its ``.0``."""
    if annotation in _PLAIN or annotation is MISSING or annotation is type(MISSING):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _plain(args[0])
    if origin in (Union, types.UnionType):
        return all(_plain(arg) for arg in args)
    if origin is list:
        return _plain(args[0])
    if origin is dict:
        return args[0] is str and _plain(args[1])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return all(type(member.value) in (str, int) for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, RootModel):
        return _writes_plainly(annotation) and _plain(annotation.model_fields["root"].annotation)
    return False


def _float_field(annotation: Any) -> bool:
    """A float (or a float or nothing): written plainly once an integer is made a float."""
    args = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    options = args or (annotation,)
    return float in options and all(a is float or a in _NOTHING for a in options)


_NOTHING = (type(None), MISSING, type(MISSING))


def _writes_plainly(model: type[BaseModel]) -> bool:
    """No serializer of its own, and no option changing how its values are written."""
    decorators = model.__pydantic_decorators__
    config = model.model_config
    return not (
        decorators.field_serializers
        or decorators.model_serializers
        or decorators.computed_fields
        or any(key.startswith("ser_json") or key == "use_enum_values" for key in config)
    )


def _plan(model: type[BaseModel], row_class: type) -> Callable[[Any], dict[str, Any]] | None:
    """How a row of ``row_class`` becomes ``model``'s JSON object, or None when it cannot
    be written without the model."""
    fields: Sequence[str] | None = getattr(row_class, "_fields", None)
    if not issubclass(row_class, tuple) or not fields or not _writes_plainly(model):
        return None
    position = {name: index for index, name in enumerate(fields)}
    keys: list[str] = []
    indexes: list[int] = []
    floats: list[str] = []
    for name, info in model.model_fields.items():
        if info.alias or info.serialization_alias or info.exclude:
            return None
        if name not in position:
            if info.default is MISSING:  # left out, as pydantic leaves a missing field
                continue
            return None
        if _float_field(info.annotation):
            floats.append(name)
        elif not _plain(info.annotation):
            return None
        keys.append(name)
        indexes.append(position[name])
    made = _maker(tuple(keys), tuple(fields), indexes)
    if not floats:
        return made

    def with_floats(row: Any) -> dict[str, Any]:
        values = made(row)
        for key in floats:
            if type(values[key]) is int:  # pydantic writes 1.0 where orjson would write 1
                values[key] = float(values[key])
        return values

    return with_floats


def _maker(
    keys: tuple[str, ...], fields: tuple[str, ...], indexes: list[int]
) -> Callable[[Any], dict[str, Any]]:
    """The ``keys`` of a row (a tuple with ``fields``), taken from ``indexes``."""
    if keys == fields:
        return lambda row: dict(zip(keys, row, strict=True))
    if len(indexes) == 1:
        (key,), (index,) = keys, indexes
        return lambda row: {key: row[index]}
    pick = itemgetter(*indexes)
    return lambda row: dict(zip(keys, pick(row), strict=True))


class RowWriter:
    """Writes what an operation answers, rows or anything else, as ``model`` would (and a
    page of them as ``page`` would); see the module's documentation."""

    __slots__ = ("_plans", "model", "page")

    def __init__(self, model: type[BaseModel], page: type[BaseModel] | None = None) -> None:
        self.model = model
        self.page = page
        # Per row class: how its rows are written, or None (through the model).
        self._plans: dict[type, Callable[[Any], dict[str, Any]] | None] = {}

    def _plan_for(self, row: Any) -> Callable[[Any], dict[str, Any]] | None:
        row_class = type(row)
        try:
            return self._plans[row_class]
        except KeyError:
            plan = self._plans[row_class] = _plan(self.model, row_class)
            return plan

    def json(self, row: Any) -> bytes:
        """``row`` as a JSON document of the model."""
        plan = self._plan_for(row)
        if plan is not None:
            try:
                return orjson.dumps(plan(row), option=_ORJSON)
            except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate
                pass
        body = self.model.model_validate(row)
        return body.__pydantic_serializer__.to_json(body)

    def response(
        self, row: Any, *, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        return Response(self.json(row), status_code, headers, "application/json")

    def page_json(
        self,
        rows: Sequence[Any],
        next_cursor: str | None,
        total: int | None,
        expanded: Mapping[str, Mapping[Any, Any]] | None = None,
    ) -> bytes:
        """A page of ``rows`` (with the relations ``expanded`` loaded for them)."""
        fields = page_fields(next_cursor, total)
        plans = {self._plan_for(row) for row in rows}
        if not expanded and None not in plans:
            plan = plans.pop() if len(plans) == 1 else None
            if plan is not None or not rows:
                items = [plan(row) for row in rows] if plan is not None else []
                try:
                    return orjson.dumps({"items": items, **fields}, option=_ORJSON)
                except orjson.JSONEncodeError:
                    pass
        assert self.page is not None, "a RowWriter for pages is given the page schema"
        shown = [self.model.model_validate(with_related(row, expanded or {})) for row in rows]
        body = self.page(items=shown, **fields)
        return body.__pydantic_serializer__.to_json(body)

    def page_response(self, page: Any, expanded: Mapping[str, Mapping[Any, Any]]) -> Response:
        """The response of a list: ``page`` is what ``SQLRepository.page`` answers."""
        body = self.page_json(page.rows, page.next_cursor, page.total, expanded)
        return Response(body, 200, None, "application/json")


class Answer:
    """What an action answers when its contract declares a schema: the value its
    implementation returned, validated against ``model`` (an instance of it, a mapping or
    an object with its fields as attributes), written as JSON. A value that does not fit
    is a server error (pydantic's ``ValidationError``, answered 500 and logged), never
    an answer the contract does not describe."""

    __slots__ = ("model",)

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    def response(self, value: Any, *, status_code: int = 200) -> Response:
        body = self.model.model_validate(value, from_attributes=True)
        return json_response(body, status_code=status_code)
