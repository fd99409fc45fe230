"""Stage 3, the typed intermediate representation every renderer reads.

Everything a renderer needs is decided here (names, types, column shapes), so the
renderers only print it. All classes are frozen: passes return new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

__all__ = [
    "ALL_OPERATIONS",
    "INT64_MAX",
    "INT64_MIN",
    "Action",
    "Association",
    "Body",
    "Column",
    "Field",
    "Filter",
    "ForeignKey",
    "Kind",
    "ListOptions",
    "Operation",
    "OperationKind",
    "PathParameter",
    "Project",
    "QueryParameter",
    "Relation",
    "Resource",
    "SharedModel",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
ALL_OPERATIONS = ("list", "get", "create", "replace", "update", "delete")


class Kind(StrEnum):
    """What a field holds, which decides its column and its Python type."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "date-time"
    UUID = "uuid"
    EMAIL = "email"
    URI = "uri"
    ENUM = "enum"
    ARRAY = "array"
    OBJECT = "object"


@dataclass(frozen=True)
class Column:
    """How a field is stored: the SQLAlchemy type expression and the mapped Python type."""

    sa_type: str
    python_type: str
    server_default: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    """The storage side of a ``belongs_to`` relation."""

    relation: str
    target: str
    target_table: str
    on_delete: str
    constraint: str


@dataclass(frozen=True)
class Field:
    """One user-declared (or relation-derived) field of a resource."""

    name: str
    kind: Kind
    schema: dict[str, Any]
    column: Column
    nullable: bool
    required: bool
    has_default: bool
    default: Any
    description: str | None
    index: bool
    unique: bool
    enum_class: str | None = None
    enum_values: tuple[str, ...] = ()

    @property
    def stored_nullable(self) -> bool:
        """A column holds NULL when the field admits null or may be left out without a default."""
        return self.nullable or not (self.required or self.has_default)

    foreign_key: ForeignKey | None = None


@dataclass(frozen=True)
class Filter:
    """The operators a list takes on one field: ``?field=``, ``?field__gte=``, ..."""

    field: str
    operators: tuple[str, ...]


@dataclass(frozen=True)
class ListOptions:
    default_sort: str
    descending: bool
    default_limit: int
    max_limit: int
    sort: tuple[str, ...] = ()  # what ?sort= may name: the declared fields, the default, id
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class Association:
    """The table behind a many-to-many relation: one row per linked pair."""

    table: str
    owner: str  # the resource whose models module defines the table
    left: tuple[str, str, str]  # (column, referenced table, SQLAlchemy type)
    right: tuple[str, str, str]


@dataclass(frozen=True)
class Relation:
    """A declared relation, for nested routes and ``?expand=``.

    ``column`` is the foreign key: this resource's own for ``belongs_to``, the child's
    for ``has_many``; ``association`` holds the link table of ``many_to_many``.
    """

    name: str
    kind: str  # "belongs_to", "has_many" or "many_to_many"
    target: str
    column: str | None = None
    association: Association | None = None
    nullable: bool = False


@dataclass(frozen=True)
class Resource:
    """A resource as every renderer sees it."""

    name: str
    module: str
    plural: str
    table: str
    path: str
    spec_path: str
    description: str | None
    id_kind: Kind
    fields: tuple[Field, ...]
    unique: tuple[tuple[str, tuple[str, ...]], ...]
    operations: tuple[str, ...]
    list_options: ListOptions
    children: tuple[tuple[str, str], ...]
    relations: tuple[Relation, ...] = ()
    versioned: bool = True
    soft_delete: bool = False
    bulk_max: int | None = None
    # The unique constraints (by name) of `nulls: equal` that have a nullable field: a
    # null there counts as one value, so two rows with null and the rest equal conflict.
    nulls_equal: tuple[str, ...] = ()
    # What `generate` tells the user about this spec, each line naming its file and line.
    warnings: tuple[str, ...] = ()
    # Every HTTP operation, in route order: what the contract, the router, the registry
    # and the fuzz configuration print (``operations`` only names the declared CRUD ones).
    endpoints: tuple[Operation, ...] = ()
    actions: tuple[Action, ...] = ()  # in the spec's order

    def has(self, operation: str) -> bool:
        """Whether the spec declares this CRUD operation (``list``, ``get``, ...)."""
        return operation in self.operations

    def endpoint(self, kind: str) -> Operation | None:
        """The operation of a kind a resource has at most once (the CRUD six, bulk create)."""
        return next((op for op in self.endpoints if op.kind == kind), None)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def nullable_sort(self) -> tuple[str, ...]:
        """The sortable fields a row may leave empty (null sorts after every value)."""
        declared = {f.name: f for f in self.fields}
        return tuple(
            name
            for name in self.list_options.sort
            if name in declared and declared[name].stored_nullable
        )


@dataclass(frozen=True)
class SharedModel:
    """A schema of an OpenAPI document that is no resource: kept in the contract as it is.

    ``schema`` is already OpenAPI 3.1, its ``$ref``s pointing at the contract's
    ``#/components/schemas/``; ``source`` is the file it was read from.
    """

    name: str
    schema: dict[str, Any]
    source: str


@dataclass(frozen=True)
class Project:
    """All resources, sorted by name so that output is deterministic."""

    resources: tuple[Resource, ...]
    title: str = "specbase API"
    version: str = "0.1.0"
    shared: tuple[SharedModel, ...] = ()  # sorted by name

    def resource(self, name: str) -> Resource:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, Resource]:
        return {r.name: r for r in self.resources}

    @cached_property
    def associations(self) -> dict[str, dict[str, Association]]:
        """The link tables of many-to-many relations, by the resource that owns them, then
        by table name (each is defined once)."""
        found: dict[str, dict[str, Association]] = {}
        for resource in self.resources:
            for relation in resource.relations:
                association = relation.association
                if association is not None:
                    found.setdefault(association.owner, {})[association.table] = association
        return found


class OperationKind(StrEnum):
    """What an operation does, which decides how its handler and its contract entry read."""

    LIST = "list"
    GET = "get"
    CREATE = "create"
    REPLACE = "replace"
    UPDATE = "update"
    DELETE = "delete"
    BULK_CREATE = "bulk_create"
    LIST_RELATED = "list_related"  # the rows of a has-many or many-to-many relation
    LINK = "link"  # make a many-to-many pair
    UNLINK = "unlink"
    ACTION = "action"  # declared under ``actions:``, implemented in custom/ (``Operation.action``)


@dataclass(frozen=True)
class PathParameter:
    """A parameter of an operation's path, ``{event_id}``: always required."""

    name: str
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Body:
    """What a request carries: a component schema, in any of ``media_types``.

    A bulk create's body is a list of ``schema`` (its length bounded by the resource's
    ``bulk_max``).
    """

    schema: str
    media_types: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One HTTP operation of a resource, decided once by the build stage.

    Everything that names or places it is here, so that no printer derives it: the
    contract, the router (its decorators and handler names), the registry's route list
    and the fuzz configuration. ``kind`` says which behaviour the handler has, and which
    query and header parameters the contract adds (a list's filters, If-Match); an
    operation declared in a spec (an action) is one more kind with the same fields.
    ``resource`` is the name of the resource it belongs to (``Project.resource`` finds
    it), ``relation`` the relation a nested list or a link goes through. A bulk create
    takes a list of ``body.schema`` and answers ``{"items": [response, ...]}``.
    """

    id: str  # the operationId: links and generated clients refer to it
    kind: OperationKind
    method: str  # upper case: "GET", "POST", ...
    path: str  # the full path, with the router's prefix: /events/{event_id}/performers
    resource: str
    handler: str  # the name of the endpoint function in the generated router
    summary: str
    status: int  # the success status
    parameters: tuple[PathParameter, ...] = ()
    body: Body | None = None
    response: str | None = None  # the component schema of a success; None: no body
    errors: tuple[int, ...] = ()  # the problem+json statuses it documents
    relation: Relation | None = None
    action: Action | None = None  # what an action declares beyond these (its query, schemas)


@dataclass(frozen=True)
class QueryParameter:
    """One query parameter of an action: ``?since=...``. Optional: when a client leaves it
    out, the action sees its default, or MISSING when it has none."""

    name: str
    schema: dict[str, Any]  # as the contract shows it (bounds and NUL refusal explicit)
    description: str | None = None


@dataclass(frozen=True)
class Action:
    """An operation beyond CRUD, declared under ``actions:`` and implemented by the
    service method of its name (``EventServiceBase.publish``).

    Everything the contract, the service base and the router print is decided here:
    the route, the parameters, the bodies and their Pydantic classes, the answers.
    """

    name: str  # the service method too: publish
    resource: str  # Event
    method: str  # upper case: POST
    path: str  # the full path: /events/{event_id}/publish
    item: bool  # the first segment after the resource's path is its id
    path_parameters: tuple[str, ...]  # ("event_id",) for an item action, else ()
    id_type: str  # the Python type of the id parameter: int or UUID
    query: tuple[QueryParameter, ...]
    request: dict[str, Any] | None  # the body's schema as the contract shows it
    response_resource: str | None  # a resource the action answers (its Read schema)
    response: dict[str, Any] | None  # else the answer's schema; neither: no body
    status: int  # of a success: 200, 201, 202 or 204
    errors: tuple[int, ...]  # every problem status the contract documents, sorted
    declared_errors: tuple[int, ...]  # those the spec adds to the defaults
    summary: str
    description: str | None
    operation_id: str  # publish_event
    request_class: str | None  # EventPublishRequest, in generated.<module>.schemas
    query_class: str | None  # EventStatsQuery
    response_class: str | None  # EventStatsResponse, or the resource's EventRead
    response_module: str | None  # the module whose schemas hold response_class: event

    @property
    def signature(self) -> str:
        """The service method, as custom code writes it (``async def publish(self, ...)``)."""
        parameters = ["self", *(f"{name}: {self.id_type}" for name in self.path_parameters)]
        if self.request_class:
            parameters.append(f"body: {self.request_class}")
        if self.query_class:
            parameters.append(f"query: {self.query_class}")
        returns = self.response_class or "None"
        return f"async def {self.name}({', '.join(parameters)}) -> {returns}"
