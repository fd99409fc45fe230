"""Actions in specs: refused with file, line and reason; in the contract before any code.

The `actions` golden case (tests/generator/golden/actions) declares item and collection
actions on Event and an action on Ticket (uuid ids); its rendered contract, schemas and
service base are checked here for what the router and stateful tests rely on.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from app.core.services.service import ResourceService
from generator.pipeline import render_project
from generator.validate_actions import SERVICE_NAMES
from tests.generator.support import GOLDEN, render, spec_errors, write_specs

CASE = GOLDEN / "actions"

_BAD = """\
resource: Event
fields:
  name: {type: string, maxLength: 20}
relations:
  tickets: {has_many: Ticket}
bulk_create: {max_items: 5}
actions:
  list:                               # 8: shadows the service's list
    method: POST
    path: /relist
  publish:
    method: POST
    path: publish                     # 13: no leading /
  seats:
    method: GET
    path: /{id}/seats                 # 16: the id parameter is event_id
  zap:
    method: GET
    path: /stats/{day}                # 19: only the id can be a parameter
  again:
    method: GET
    path: /{event_id}                 # 22: the get operation's route
  tickets_list:
    method: GET
    path: /{event_id}/tickets         # 25: the nested list's route
  bulky:
    method: POST
    path: /bulk/check                 # 28: bulk is bulk_create's
  read_body:
    method: GET
    path: /digest
    request: {type: object}           # 32: a GET takes no body
  twice:
    method: POST
    path: /relist                     # 35: list's route already
  odd_status:
    method: POST
    path: /ping
    response: {type: object}
    status: 204                       # 40: 204 with a response
  no_answer:
    method: POST
    path: /pong
    status: 200                       # 44: 200 without a response
  arrays:
    method: POST
    path: /arrays
    request: {type: array}            # 48: a body is an object
  query_obj:
    method: GET
    path: /search
    query:
      where: {type: object}           # 53: a query value is a scalar
      nul: {type: [string, "null"]}   # 54: a query value is never null
  unknown_resource:
    method: GET
    path: /{event_id}/whatever
    response: Nope                    # 58: no such resource
  bad_schema:
    method: POST
    path: /bad
    response: {type: object, required: 3}   # 62: not a JSON Schema
  numbered:
    method: POST
    path: /42/go                      # 65: /42 is an id
"""
_TICKET = """\
resource: Ticket
fields:
  seat: {type: string, maxLength: 10}
relations:
  event: {belongs_to: Event}
"""


def test_every_action_error_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    errors = spec_errors(tmp_path, {"event.yaml": _BAD, "ticket.yaml": _TICKET})
    found = {(e.line, e.key): e.message for e in errors if e.file == "specs/event.yaml"}
    expected = {
        (8, "actions.list"): "shadow the service's own list",
        (13, "actions.publish.path"): "write /publish",
        (16, "actions.seats.path"): "starts with /{event_id}",
        (19, "actions.zap.path"): "only the id",
        (22, "actions.again.path"): "GET /{event_id} is the resource's own get operation",
        (25, "actions.tickets_list.path"): "list of tickets",
        (28, "actions.bulky.path"): "/bulk is the route of bulk_create",
        (32, "actions.read_body.request"): "a GET action takes no request body",
        (35, "actions.twice.path"): "also the route of the action list",
        (40, "actions.odd_status.status"): "204 answers no body",
        (44, "actions.no_answer.status"): "200 needs a `response`",
        (48, "actions.arrays.request"): "a request body is an object",
        (53, "actions.query_obj.query.where.type"): "a query parameter is a scalar",
        (54, "actions.query_obj.query.nul.type"): "never null",
        (58, "actions.unknown_resource.response"): "unknown resource 'Nope'",
        (62, "actions.bad_schema.response.required"): "not a valid JSON Schema",
        (65, "actions.numbered.path"): "/42 is also the path of the Event of that id",
    }
    for where, text in expected.items():
        assert where in found, f"no error at {where}; got {sorted(found)}"
        assert text in found[where], (where, found[where])
    assert len(found) == len(expected), sorted(found)


def test_format_errors_of_actions_come_with_the_checks_of_the_others(tmp_path: Path) -> None:
    spec = """\
    resource: Event
    fields:
      name: {type: string, maxLength: 20}
    actions:
      publish:
        method: FETCH
        path: /{event_id}/publish
        errors: [302]
        bogus: 1
      get:
        method: GET
        path: /mine
      Stats:
        method: GET
        path: /stats
        response: 5
    """
    errors = spec_errors(tmp_path, {"event.yaml": spec})
    found = {(e.line, e.key): e.message for e in errors}
    assert "one of GET, POST, PUT, PATCH, DELETE" in found[(6, "actions.publish.method")]
    assert "from 400 to 599" in found[(8, "actions.publish.errors[0]")]
    assert "unknown key 'bogus'" in found[(9, "actions.publish.bogus")]
    assert "shadow the service's own get" in found[(10, "actions.get")]
    assert "snake_case" in found[(13, "actions.Stats")]
    assert "a resource's name (Event) or a JSON Schema" in found[(16, "actions.Stats.response")]


def test_reserved_names_cover_every_public_name_of_the_service() -> None:
    public = {name for name, _ in inspect.getmembers(ResourceService) if not name.startswith("_")}
    hooks = {name for name in public if name.startswith(("before_", "after_"))}
    assert public - hooks <= SERVICE_NAMES


_SHOP = """\
openapi: 3.0.3
info: {title: shop, version: "1"}
paths: {}
components:
  schemas:
    Money:
      type: object
      properties:
        amount: {type: integer, format: int32}
        note: {type: string, nullable: true}
      required: [amount]
    Product:
      type: object
      properties:
        name: {type: string, maxLength: 20}
      x-resource:
        actions:
          restock:
            method: POST
            path: /{product_id}/restock
            request: {type: object, properties: {cost: {$ref: "#/components/schemas/Money"}}}
            response: Product
"""


def test_an_openapi_document_takes_actions_under_x_resource(tmp_path: Path) -> None:
    bad = _SHOP + '          bad: {method: GET, path: "/{id}/x"}\n'
    errors = spec_errors(tmp_path / "bad", {"shop.yaml": bad})
    assert [(e.line, e.key) for e in errors] == [
        (23, "components.schemas.Product.x-resource.actions.bad.path")
    ]
    generated = render_project(write_specs(tmp_path / "good", {"shop.yaml": _SHOP}))
    restock = generated.contract["paths"]["/products/{product_id}/restock"]["post"]
    assert restock["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProductRead"
    }
    request = generated.contract["components"]["schemas"]["ProductRestockRequest"]
    assert request["properties"]["cost"] == {"$ref": "#/components/schemas/Money"}
    schemas = generated.files["generated/product/schemas.py"]
    assert "class ProductRestockRequest(InputModel):" in schemas
    assert "cost: shared.Money | MISSING = MISSING" in schemas


def _contract() -> dict[str, Any]:
    return render(CASE).contract


def _operation(path: str, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = _contract()["paths"][path][method]
    return operation


def test_an_item_action_is_in_the_contract_with_its_id_body_answer_and_problems() -> None:
    contract = _contract()
    publish = _operation("/events/{event_id}/publish", "post")
    get = _operation("/events/{event_id}", "get")
    assert publish["operationId"] == "publish_event"
    assert publish["summary"] == "Publish a draft event."
    assert publish["parameters"] == [get["parameters"][0]], "the id as the item routes take it"
    body = publish["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EventPublishRequest"}
    answer = publish["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/EventRead"}
    assert sorted(publish["responses"]) == ["200", "400", "404", "409", "413", "415", "422"]
    request = contract["components"]["schemas"]["EventPublishRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["note"]["pattern"] == "^[^\\u0000]*$", "NUL refused"
    assert request["properties"]["seats"]["maximum"] == 2**63 - 1, "int64 bounds"


def test_a_collection_action_takes_its_query_and_answers_its_schema() -> None:
    stats = _operation("/events/stats", "get")
    assert stats["operationId"] == "stats_event"
    assert [p["name"] for p in stats["parameters"]] == ["since", "status", "top"]
    assert all(p["in"] == "query" and p["required"] is False for p in stats["parameters"])
    assert "requestBody" not in stats
    answer = stats["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/EventStatsResponse"}
    assert sorted(stats["responses"]) == ["200", "422"]
    query = _contract()["components"]["schemas"]["EventStatsQuery"]
    assert sorted(query["properties"]) == ["since", "status", "top"]


def test_an_action_without_response_answers_204_and_its_declared_problems() -> None:
    archive = _operation("/events/{event_id}/archive", "delete")
    assert archive["responses"]["204"] == {"description": "archive was done; no body."}
    assert sorted(archive["responses"]) == ["204", "404", "409", "422", "423"]
    locked = archive["responses"]["423"]["content"]["application/problem+json"]["schema"]
    assert locked == {"$ref": "#/components/schemas/Problem"}


def test_a_new_or_read_row_links_to_each_item_action() -> None:
    created = _operation("/events", "post")["responses"]["201"]["links"]
    read = _operation("/events/{event_id}", "get")["responses"]["200"]["links"]
    for links in (created, read):
        assert links["PublishEvent"] == {
            "operationId": "publish_event",
            "parameters": {"event_id": "$response.body#/id"},
        }
        assert {"ArchiveEvent", "TicketsSoldEvent"} <= set(links)
        assert "StatsEvent" not in links, "a collection action takes no row"
    tickets = _operation("/tickets", "post")["responses"]["201"]["links"]
    assert tickets["CheckInTicket"]["parameters"] == {"ticket_id": "$response.body#/id"}


def test_the_schemas_modules_hold_the_action_models() -> None:
    files = render(CASE).files
    event = files["generated/event/schemas.py"]
    assert "class EventPublishRequest(InputModel):" in event
    assert "class EventStatsQuery(InputModel):" in event
    assert "class EventStatsResponse(SchemaModel):" in event
    ticket = files["generated/ticket/schemas.py"]
    assert "class TicketCheckInRequest(InputModel):" in ticket
    assert "class TicketCheckInResponse(SchemaModel):" in ticket


def test_the_service_base_has_a_typed_stub_per_action() -> None:
    service = render(CASE).files["generated/event/service.py"]
    assert (
        "    @unimplemented\n    async def publish(\n" in service
        or (
            "    @unimplemented\n"
            "    async def publish(self, event_id: int, body: EventPublishRequest) -> EventRead:\n"
        )
        in service
    )
    assert "async def stats(self, query: EventStatsQuery) -> EventStatsResponse:" in service
    assert "async def archive(self, event_id: int) -> None:" in service
    assert "async def tickets_sold(self, event_id: int) -> TicketRead:" in service
    ticket = render(CASE).files["generated/ticket/service.py"]
    assert "ticket_id: UUID, body: TicketCheckInRequest" in ticket
    registry = render(CASE).files["generated/registry.py"]
    assert 'actions=("publish", "stats", "archive", "tickets_sold"),' in registry


@pytest.mark.parametrize("case", ["minimal", "listing"])
def test_a_resource_without_actions_renders_none(case: str) -> None:
    files = render(GOLDEN / case).files
    assert not any("unimplemented" in text for text in files.values())


def test_a_shared_model_may_not_take_the_name_of_an_action_schema(tmp_path: Path) -> None:
    clash = _SHOP.replace("    Money:\n", "    ProductRestockRequest: {type: object}\n    Money:\n")
    errors = spec_errors(tmp_path, {"shop.yaml": clash})
    assert [(e.line, e.key) for e in errors] == [(6, "components.schemas.ProductRestockRequest")]
    assert "already has a schema ProductRestockRequest" in errors[0].message


def test_the_ir_holds_what_the_router_prints() -> None:
    event = render(CASE).project.resource("Event")
    publish, stats, archive, sold = event.actions
    assert (publish.name, publish.method, publish.path) == (
        "publish",
        "POST",
        "/events/{event_id}/publish",
    )
    assert (publish.item, publish.path_parameters, publish.id_type) == (True, ("event_id",), "int")
    assert (publish.operation_id, publish.status) == ("publish_event", 200)
    assert (publish.request_class, publish.query_class) == ("EventPublishRequest", None)
    assert (publish.response_resource, publish.response_class) == ("Event", "EventRead")
    assert publish.response_module == "event"
    assert publish.errors == (400, 404, 409, 413, 415, 422)
    assert publish.declared_errors == (409,)
    assert (stats.item, stats.path, stats.query_class) == (
        False,
        "/events/stats",
        "EventStatsQuery",
    )
    assert [q.name for q in stats.query] == ["since", "status", "top"]
    assert (stats.request, stats.response_class) == (None, "EventStatsResponse")
    assert (archive.status, archive.response_class, archive.signature) == (
        204,
        None,
        "async def archive(self, event_id: int) -> None",
    )
    assert (sold.response_class, sold.response_module) == ("TicketRead", "ticket")


def test_two_actions_may_not_share_an_operation_id(tmp_path: Path) -> None:
    event = """\
    resource: Event
    fields: {name: {type: string}}
    actions:
      go_home: {method: POST, path: /go}
    """
    home_event = """\
    resource: HomeEvent
    fields: {name: {type: string}}
    actions:
      go: {method: POST, path: /go}
    """
    errors = spec_errors(tmp_path, {"event.yaml": event, "home_event.yaml": home_event})
    assert [(e.file, e.line, e.key) for e in errors] == [("specs/home_event.yaml", 4, "actions.go")]
    assert "go_home_event is also that of the action go_home (specs/event.yaml:4)" in (
        errors[0].message
    )
