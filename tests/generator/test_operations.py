"""Operations are data: the build stage decides each one, and every printer follows it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from generator.fuzz import acceptance_overrides
from generator.ir import Project
from generator.pipeline import load_project, project_contract
from generator.render.registry import render_registry
from generator.render.router import render_router
from tests.generator.support import GOLDEN, ROOT

CASES = sorted(path.name for path in GOLDEN.iterdir() if (path / "specs").is_dir())


def _renamed(project: Project, op_id: str, **changes: Any) -> Project:
    """``project`` with the operation ``op_id`` changed, nothing else."""
    resources = tuple(
        dataclasses.replace(
            resource,
            endpoints=tuple(
                dataclasses.replace(op, **changes) if op.id == op_id else op
                for op in resource.endpoints
            ),
        )
        for resource in project.resources
    )
    return dataclasses.replace(project, resources=resources)


def _fuzzed_ids(project: Project) -> str:
    return " ".join(o["include-operation-id-regex"] for o in acceptance_overrides(project))


def test_every_printer_follows_an_operation_changed_in_the_ir() -> None:
    """No printer derives an id or a path of its own: rename the nested list of an
    event's performers in the IR, and the contract, the registry's routes, the router's
    decorator and handler, and the fuzz configuration all say the new one."""
    built = load_project(ROOT)
    old_path, new_path = "/events/{event_id}/performers", "/events/{event_id}/artists"
    assert any(op.id == "list_event_performers" for op in built.resource("Event").endpoints)
    project = _renamed(
        built,
        "list_event_performers",
        id="list_event_artists",
        path=new_path,
        handler="event_artists",
    )

    paths = project_contract(project)["paths"]
    assert old_path not in paths
    assert paths[new_path]["get"]["operationId"] == "list_event_artists"
    # Links of the performers are other operations, left as they were.
    assert paths[f"{old_path}/{{performer_id}}"]["put"]["operationId"] == "link_event_performers"

    registry = render_registry(project, 1, [])
    assert f"RouteSpec(frozenset({{'GET'}}), {new_path!r}, 'list_event_artists')" in registry
    assert f"{old_path}'" not in registry
    assert "list_event_performers" not in registry

    router = render_router(project.resource("Event"), project)
    assert "async def event_artists(" in router
    operation = "Operation('list_event_artists', 'GET', '/events/{event_id}/artists', event_artists"
    assert operation in router
    assert "list_event_performers" not in router
    assert "'/events/{event_id}/performers'" not in router

    fuzzed = _fuzzed_ids(project)
    assert "list_event_artists" in fuzzed
    assert "list_event_performers" not in fuzzed


def test_a_crud_operation_changed_in_the_ir_is_printed_as_changed() -> None:
    """The same for an operation of the resource's own: its update, with another id,
    path and method."""
    project = _renamed(
        load_project(ROOT),
        "update_event",
        id="amend_event",
        method="POST",
        path="/events/{event_id}/amend",
        handler="amend_event",
    )
    paths = project_contract(project)["paths"]
    assert "patch" not in paths["/events/{event_id}"]
    assert list(paths["/events/{event_id}/amend"]) == ["post"]
    assert paths["/events/{event_id}/amend"]["post"]["operationId"] == "amend_event"
    # The new row's links name the operation by its new id.
    links = paths["/events"]["post"]["responses"]["201"]["links"]
    assert links["UpdateEvent"]["operationId"] == "amend_event"
    router = render_router(project.resource("Event"), project)
    assert "Operation('amend_event', 'POST', '/events/{event_id}/amend', amend_event" in router
    assert "'PATCH'" not in router
    registry = render_registry(project, 1, [])
    route = "RouteSpec(frozenset({'POST'}), '/events/{event_id}/amend', 'amend_event')"
    assert route in registry
    assert "update_event" not in registry
    # A versioned change with a reference: 412 and 422 are its own refusals.
    accepted = next(
        o["checks"]["positive_data_acceptance"]["expected-statuses"]
        for o in acceptance_overrides(project)
        if "amend_event" in o["include-operation-id-regex"]
    )
    assert {"412", "422"} <= set(accepted)
    assert "update_event" not in _fuzzed_ids(project)


def _contract_operations(contract: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(method, path): operation}`` of the contract's resource operations."""
    return {
        (method.upper(), path): operation
        for path, item in contract["paths"].items()
        for method, operation in item.items()
        if operation["tags"] != ["Health"]
    }


@pytest.mark.parametrize("root", [ROOT, *(GOLDEN / case for case in CASES)], ids=str)
def test_the_contracts_operations_are_the_irs(root: Path) -> None:
    """Method, path and operationId of every operation the contract documents are those
    of an IR operation, and each IR operation is there with its parameters, body,
    success and errors."""
    project = load_project(root)
    ir = [op for resource in project.resources for op in resource.endpoints]
    documented = _contract_operations(project_contract(project))
    assert ir
    assert sorted(
        (method, path, op["operationId"]) for (method, path), op in documented.items()
    ) == sorted((op.method, op.path, op.id) for op in ir)
    assert len({op.id for op in ir}) == len(ir)
    for op in ir:
        entry = documented[op.method, op.path]
        assert entry["summary"] == op.summary
        in_path = [p["name"] for p in entry.get("parameters", []) if p["in"] == "path"]
        assert in_path == [parameter.name for parameter in op.parameters]
        responses = entry["responses"]
        assert str(op.status) in responses
        assert [s for s in responses if s >= "400"] == [str(status) for status in op.errors]
        if op.body is None:
            assert "requestBody" not in entry
        else:
            assert list(entry["requestBody"]["content"]) == list(op.body.media_types)
        content = responses[str(op.status)].get("content")
        assert (content is None) == (op.response is None)
        if content is not None:
            assert f"#/components/schemas/{op.response}" in str(content)
