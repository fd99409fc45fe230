"""UUID ids, nullable `set_null` relations, restricted operations and list options
(the `relations_uuid` golden case), asserted on the IR, the contract and the code."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from generator.contract import build_contract
from generator.ir import Kind
from generator.pipeline import Generated, load_project
from tests.generator.support import GOLDEN, render, write_specs


@pytest.fixture(scope="module")
def generated() -> Generated:
    return render(GOLDEN / "relations_uuid")


@pytest.fixture(scope="module")
def paths(generated: Generated) -> dict[str, Any]:
    found: dict[str, Any] = generated.contract["paths"]
    return found


def _registered_operations(registry: str) -> dict[str, set[str]]:
    """``{name: operations}`` of every ``ResourceBinding(...)`` in the registry's source."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(registry)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ResourceBinding":
            args = {kw.arg: kw.value for kw in node.keywords}
            operations = args["operations"]
            assert isinstance(operations, ast.Call)  # frozenset(<literal>)
            found[ast.literal_eval(args["name"])] = set(ast.literal_eval(operations.args[0]))
    return found


def test_uuid_id_everywhere(generated: Generated, paths: dict[str, Any]) -> None:
    folder = generated.project.resource("Folder")
    assert folder.id_kind is Kind.UUID
    read_id = generated.contract["components"]["schemas"]["FolderRead"]["properties"]["id"]
    assert read_id == {"type": "string", "format": "uuid", "readOnly": True}
    parameter = paths["/folders/{folder_id}"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "string", "format": "uuid"}
    models = generated.files["generated/folder/models.py"]
    assert "id: Mapped[UUID] = mapped_column(Uuid(), primary_key=True, default=uuid4)" in models
    assert (
        '_FOLDER_ID = PathValue("folder_id", UUID_ID)'
        in generated.files["generated/folder/router.py"]
    )


def test_nullable_set_null_relation_to_a_uuid_parent(generated: Generated) -> None:
    field = generated.project.resource("Document").field("folder_id")
    assert (field.kind, field.column.sa_type, field.column.python_type) == (
        Kind.UUID,
        "Uuid()",
        "UUID",
    )
    assert (field.nullable, field.required) == (True, False)
    assert field.foreign_key is not None
    assert field.foreign_key.on_delete == "SET NULL"
    schemas = generated.contract["components"]["schemas"]
    assert "folder_id" not in schemas["DocumentCreate"]["required"]
    for family in ("DocumentCreate", "DocumentUpdate", "DocumentRead"):
        prop = schemas[family]["properties"]["folder_id"]
        assert (prop["type"], prop["format"]) == (["string", "null"], "uuid")
    models = generated.files["generated/document/models.py"]
    assert "folder_id: Mapped[UUID | None] = mapped_column(" in models
    assert 'ForeignKey("folders.id", ondelete="SET NULL"' in models


def test_only_declared_operations_exist(generated: Generated, paths: dict[str, Any]) -> None:
    assert generated.project.resource("Document").operations == ("list", "get", "create")
    assert set(paths["/documents"]) == {"get", "post"}
    assert set(paths["/documents/{document_id}"]) == {"get"}
    links = paths["/documents"]["post"]["responses"]["201"]["links"]
    assert list(links) == ["GetDocument"]
    router = generated.files["generated/document/router.py"]
    assert 'Operation("create_document", "POST", "/documents"' in router
    for absent in ('"PUT"', '"PATCH"', '"DELETE"'):
        assert absent not in router
    assert _registered_operations(generated.files["generated/registry.py"]) == {
        "Document": {"list", "get", "create"},
        "Folder": {"list", "get", "create", "replace", "update", "delete"},
    }
    assert set(paths["/folders/{folder_id}"]) == {"get", "put", "patch", "delete"}


def test_list_options(generated: Generated, paths: dict[str, Any]) -> None:
    options = generated.project.resource("Document").list_options
    assert (options.default_sort, options.descending, options.max_limit) == ("name", True, 50)
    limit = paths["/documents"]["get"]["parameters"][0]
    assert limit["name"] == "limit"
    assert (limit["schema"]["maximum"], limit["schema"]["default"]) == (50, 20)
    sort = next(p for p in paths["/documents"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["items"]["enum"] == ["name", "-name", "id", "-id"]
    assert "(default -name)" in sort["description"]
    router = generated.files["generated/document/router.py"]
    assert "query = listing.parse(request.query_params)" in router
    assert "Query(" not in router
    repository = generated.files["generated/document/repository.py"]
    assert (
        "    listing = Listing(\n"
        '        default_sort="-name",\n'
        "        default_limit=20,\n"
        "        max_limit=50,\n"
        '        key_types={"name": SafeText, "id": PositiveInt64},\n'
    ) in repository


def test_has_many_records_the_children(generated: Generated) -> None:
    assert generated.project.resource("Folder").children == (("documents", "Document"),)
    assert generated.project.resource("Document").children == ()


def test_a_new_parent_links_to_creating_its_children(paths: dict[str, Any]) -> None:
    """Stateful tests chain a create of the parent to a create of a child of that row."""
    links = paths["/folders"]["post"]["responses"]["201"]["links"]
    assert links["CreateDocument"] == {
        "operationId": "create_document",
        "description": "Create a Document whose folder_id is the new Folder's id.",
        "requestBody": {"folder_id": "$response.body#/id"},
        "x-schemathesis": {"merge_body": True},
    }
    assert "CreateFolder" not in paths["/documents"]["post"]["responses"]["201"]["links"]


def test_two_relations_to_one_parent_get_a_link_each(tmp_path: Path) -> None:
    """Links follow the children's belongs_to (a has_many back would be ambiguous here)."""
    write_specs(
        tmp_path,
        {
            "team.yaml": """\
                resource: Team
                fields: {name: {type: string, maxLength: 50}}
                required: [name]
            """,
            "match.yaml": """\
                resource: Match
                fields: {round: {type: integer, minimum: 1, maximum: 99}}
                required: [round]
                relations:
                  home_team: {belongs_to: Team, on_delete: cascade}
                  away_team: {belongs_to: Team, on_delete: cascade}
                operations: [list, get, create]
            """,
        },
    )
    contract = build_contract(load_project(tmp_path))
    links = contract["paths"]["/teams"]["post"]["responses"]["201"]["links"]
    bodies = {name: link["requestBody"] for name, link in links.items() if "requestBody" in link}
    assert bodies == {
        "CreateMatchAsAwayTeam": {"away_team_id": "$response.body#/id"},
        "CreateMatchAsHomeTeam": {"home_team_id": "$response.body#/id"},
    }
