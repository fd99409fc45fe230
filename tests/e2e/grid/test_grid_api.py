"""Every field kind in every position answers as the contract says, on every database.

Through the served grid app (see conftest.py): create with each field absent, null and
set; replace (PUT); merge patch with each field absent, null and set; bulk create; get,
list and expand. Every 2xx body validates against the contract's response schema; a
field left out answers its default or null; null on a field that is not nullable is a
422 problem naming it, and changes nothing; a value set comes back exactly. No answer
is a 5xx. Each test collects every mismatch before failing, so one run tells them all.
"""

from __future__ import annotations

import pytest

from tests.e2e.grid.conftest import Grid
from tests.e2e.grid.helpers import (
    MERGE_PATCH,
    POSITIONS,
    Checker,
    absent_value,
    field_names,
    kinds_of,
    merge_patch,
    path_of,
)
from tests.support.grid import BELONGS_TO, PARENT, Position

_IDS = [p.name for p in POSITIONS]


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_create_with_each_field_absent_null_and_set(grid: Grid, position: Position) -> None:
    check = Checker(grid)
    path = path_of(position.resource)
    full = check.body(position, full=True)
    created = check.create(position, full, "create set")
    check.fields(position, created, full, "after create set")
    check.expect(check.get(position, created["id"]) == created, "get differs from create")

    minimal = check.body(position, full=False)
    bare = check.create(position, minimal, "create absent")
    absent = {k.name: absent_value(position, k) for k in kinds_of(position)}
    if position.name in BELONGS_TO and not position.required:
        absent["parent_id"] = None
    check.fields(position, bare, {**absent, **minimal}, "after create absent")

    for name, nullable in field_names(position):
        before = check.count(position)
        answer = check.call("POST", path, {**full, name: None})
        if nullable:
            check.answered(answer, 201, position, f"create {name}=null")
            if answer.status_code == 201:
                check.fields(position, answer.json(), {name: None}, "after create null")
        else:
            check.refused(answer, f"/{name}", f"create {position.name}.{name}=null")
            check.expect(check.count(position) == before, f"create {name}=null stored a row")
        if position.required:
            left_out = {k: v for k, v in full.items() if k != name}
            check.refused(check.call("POST", path, left_out), f"/{name}", f"create without {name}")
    assert check.problems == []


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_replace_with_each_field_absent_null_and_set(grid: Grid, position: Position) -> None:
    check = Checker(grid)
    full = check.body(position, full=True)
    row = check.create(position, full, "create")
    item = f"{path_of(position.resource)}/{row['id']}"

    other = check.body(position, full=True, values="other")
    replaced = check.call("PUT", item, other)
    check.answered(replaced, 200, position, "replace set")
    check.valid_as(replaced.json(), f"{position.resource}Read", "replace set")
    check.fields(position, replaced.json(), other, "after replace set")

    minimal = check.body(position, full=False, values="other")
    replaced = check.call("PUT", item, minimal)
    check.answered(replaced, 200, position, "replace absent")
    absent = {k.name: absent_value(position, k) for k in kinds_of(position)}
    if position.name in BELONGS_TO and not position.required:
        absent["parent_id"] = None
    check.fields(position, replaced.json(), {**absent, **minimal}, "after replace absent")

    for name, nullable in field_names(position):
        before = check.get(position, row["id"])
        answer = check.call("PUT", item, {**other, name: None})
        if nullable:
            check.answered(answer, 200, position, f"replace {name}=null")
            check.fields(position, answer.json(), {name: None}, "after replace null")
        else:
            check.refused(answer, f"/{name}", f"replace {position.name}.{name}=null")
            check.expect(check.get(position, row["id"]) == before, f"replace {name}=null wrote")
    assert check.problems == []


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_merge_patch_with_each_field_absent_null_and_set(grid: Grid, position: Position) -> None:
    check = Checker(grid)
    full = check.body(position, full=True)
    row = check.create(position, full, "create")
    item = f"{path_of(position.resource)}/{row['id']}"

    unchanged = check.call("PATCH", item, {}, headers=MERGE_PATCH)
    check.answered(unchanged, 200, position, "patch absent")
    check.fields(position, unchanged.json(), full, "after an empty patch")

    for kind in kinds_of(position):
        before = check.get(position, row["id"])
        answer = check.call("PATCH", item, {kind.name: kind.other}, headers=MERGE_PATCH)
        check.answered(answer, 200, position, f"patch {kind.name} set")
        expected = {**before, kind.name: merge_patch(before[kind.name], kind.other)}
        fields = {k: v for k, v in expected.items() if k not in ("version", "updated_at")}
        check.fields(position, answer.json(), fields, f"after patch {kind.name} set")

    for name, nullable in field_names(position):
        before = check.get(position, row["id"])
        answer = check.call("PATCH", item, {name: None}, headers=MERGE_PATCH)
        if nullable:
            check.answered(answer, 200, position, f"patch {name}=null")
            check.fields(position, answer.json(), {name: None}, "after patch null")
        else:
            check.refused(answer, f"/{name}", f"patch {position.name}.{name}=null")
            check.expect(check.get(position, row["id"]) == before, f"patch {name}=null wrote")
    assert check.problems == []


@pytest.mark.parametrize("position", [p for p in POSITIONS if p.name in BELONGS_TO],
                         ids=[p.name for p in POSITIONS if p.name in BELONGS_TO])  # fmt: skip
def test_the_belongs_to_key_is_replaced_patched_and_checked(grid: Grid, position: Position) -> None:
    """A key set to another parent by PUT and PATCH; a parent that does not exist is a
    422 naming the key, and changes nothing."""
    check = Checker(grid)
    row = check.create(position, check.body(position, full=True), "create")
    item = f"{path_of(position.resource)}/{row['id']}"
    other = check.create(Position("parent", PARENT, True, False, False), {"name": "other"}, "")
    missing = "00000000-0000-4000-8000-00000000dead"
    patched = check.call("PATCH", item, {"parent_id": other["id"]}, headers=MERGE_PATCH)
    check.answered(patched, 200, position, "patch parent_id")
    check.fields(position, patched.json(), {"parent_id": other["id"]}, "after patch parent_id")
    body = {**check.body(position, full=True), "parent_id": row["parent_id"]}
    replaced = check.call("PUT", item, body)
    check.answered(replaced, 200, position, "replace parent_id")
    check.fields(position, replaced.json(), {"parent_id": row["parent_id"]}, "after replace")
    before = check.get(position, row["id"])
    for method, sent in (
        ("PATCH", {"parent_id": missing}),
        ("PUT", {**body, "parent_id": missing}),
    ):
        answer = check.call(method, item, sent, headers=MERGE_PATCH if method == "PATCH" else {})
        check.refused(answer, "/parent_id", f"{method} a missing parent")
        check.expect(check.get(position, row["id"]) == before, f"{method} a missing parent wrote")
    assert check.problems == []


@pytest.mark.parametrize("position", POSITIONS, ids=_IDS)
def test_bulk_create_all_or_none(grid: Grid, position: Position) -> None:
    check = Checker(grid)
    bulk = f"{path_of(position.resource)}/bulk"
    full, minimal = check.body(position, full=True), check.body(position, full=False)
    answer = check.call("POST", bulk, [minimal, full])
    assert answer.status_code == 201, answer.text
    items = answer.json()["items"]
    for index, item in enumerate(items):
        check.valid_as(item, f"{position.resource}Read", f"bulk item {index}")
    absent = {k.name: absent_value(position, k) for k in kinds_of(position)}
    check.fields(position, items[0], {**absent, **minimal}, "bulk absent")
    check.fields(position, items[1], full, "bulk set")
    check.expect(check.get(position, items[1]["id"]) == items[1], "get differs from bulk")
    for name, nullable in field_names(position):
        if nullable:
            continue
        before = check.count(position)
        refused = check.call("POST", bulk, [full, {**full, name: None}])
        check.refused(refused, f"/1/{name}", f"bulk {position.name}.{name}=null")
        check.expect(check.count(position) == before, f"bulk {name}=null stored rows")
    assert check.problems == []


def test_get_list_and_expand_answer_the_contracts_schemas(grid: Grid) -> None:
    check = Checker(grid)
    parent_id = check.parent()
    parent = check.get(Position("parent", PARENT, True, False, False), parent_id)
    for position in POSITIONS:
        path = path_of(position.resource)
        rows = [
            check.create(position, check.body(position, full=True), "create"),
            check.create(position, check.body(position, full=False), "create"),
        ]
        shown = f"{position.resource}Expanded" if position.name in BELONGS_TO else None
        for row in rows:
            one = {"expand": "parent"} if shown else {}
            got = check.call("GET", f"{path}/{row['id']}", params=one)
            check.expect(got.status_code == 200, f"get {position.name}: {got.text}")
            check.valid_as(got.json(), shown or f"{position.resource}Read", f"get {path}")
            if shown:
                expected = parent if row["parent_id"] is not None else None
                check.expect(got.json().get("parent") == expected, f"{path} expand: {got.text}")
        params: dict[str, str | int] = {"limit": 100}
        if shown:
            params["expand"] = "parent"
        page = check.call("GET", path, params=params)
        check.expect(page.status_code == 200, f"list {path}: {page.text}")
        check.valid_as(page.json(), f"{position.resource}Page", f"list {path}")
        listed = {item["id"]: item for item in page.json()["items"]}
        for row in rows:
            item = {k: v for k, v in listed.get(row["id"], {}).items() if k != "parent"}
            check.expect(item == row, f"list {path}: {row['id']} answers {item!r}")
    relations = ",".join(f"{name}_rows" for name in BELONGS_TO)
    expanded = check.call("GET", f"{path_of(PARENT)}/{parent_id}", params={"expand": relations})
    check.valid_as(expanded.json(), f"{PARENT}Expanded", "get parent expanded")
    for name in BELONGS_TO:
        children = expanded.json().get(f"{name}_rows", [])
        check.expect(children != [], f"parent ?expand={name}_rows lists nothing")
        check.expect(all(c["parent_id"] == parent_id for c in children), f"{name}_rows: {children}")
    page = check.call("GET", path_of(PARENT), params={"expand": relations, "limit": 100})
    check.valid_as(page.json(), f"{PARENT}Page", "list parents expanded")
    assert check.problems == []
