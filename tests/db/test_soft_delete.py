"""Soft delete is delete for every purpose but ``?include_deleted=true``, on every dialect.

A served copy of the project with the stock-keeping specs of tests/db/soft_delete_specs.py
(a soft-deletable Warehouse and a relation of every ``on_delete`` to it), one per dialect,
its database emptied before each test. Deleting a warehouse applies each relation's
``on_delete`` to the rows that refer to it, all or nothing; a deleted warehouse is no
parent for a new or moved row, is not found through nested routes or ``expand``, and
gives its unique values back.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from specbase.cli.main import main as specbase
from tests.api.helpers import MERGE_PATCH, assert_problem
from tests.db.conftest import KitchenServers
from tests.db.soft_delete_specs import SPECS
from tests.support.databases import ServerDatabase, server_url
from tests.support.project import copy_project

MISSING = 999_999


@pytest.fixture(scope="module")
def stock_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project copy with the stock-keeping specs added and generated."""
    root = copy_project(tmp_path_factory.mktemp("stock"))
    for name, spec in SPECS.items():
        (root / "specs" / f"{name}.yaml").write_text(spec, encoding="utf-8")
    assert specbase(["--root", str(root), "generate"]) == 0
    return root


@pytest.fixture(scope="module")
def stock_servers(
    stock_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KitchenServers]:
    servers = KitchenServers(stock_project, tmp_path_factory.mktemp("stock-served"))
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def stock(dialect: str, stock_servers: KitchenServers) -> httpx2.Client:
    """A client of the stock-keeping copy served on ``dialect``, on an empty database."""
    return stock_servers.client(dialect)


def _create(client: httpx2.Client, path: str, **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


def _warehouse(client: httpx2.Client, code: str, **body: Any) -> dict[str, Any]:
    return _create(client, "/warehouses", **{"code": code, "region": "emea", "name": code, **body})


def _get(client: httpx2.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    row: dict[str, Any] = response.json()
    return row


def _every(client: httpx2.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a list, deleted ones too, by id."""
    page = _get(client, path, include_deleted="true", limit=100, sort="id", **params)
    assert page["next_cursor"] is None
    return list(page["items"])


def _delete(client: httpx2.Client, path: str) -> None:
    response = client.delete(path)
    assert response.status_code == 204, response.text


def _snapshot(client: httpx2.Client) -> dict[str, Any]:
    """Every row of every table the tests write, deleted ones included."""
    paths = ("/warehouses", "/skus", "/zones", "/slots", "/contracts")
    rows: dict[str, Any] = {path: _every(client, path) for path in paths}
    for path in ("/bins", "/crates", "/carriers"):
        rows[path] = _get(client, path, limit=100)["items"]
    for carrier in rows["/carriers"]:
        linked = f"/carriers/{carrier['id']}/warehouses"
        rows[linked] = _every(client, linked)
    return rows


# -- on_delete when the parent is soft-deleted ---------------------------------------------------


def test_set_null_clears_the_key_of_every_row_that_referred(stock: httpx2.Client) -> None:
    gone = _warehouse(stock, "GONE")["id"]
    kept = _warehouse(stock, "KEPT")["id"]
    skus = [_create(stock, "/skus", code=f"S{i}", warehouse_id=gone) for i in range(3)]
    elsewhere = _create(stock, "/skus", code="E", warehouse_id=kept)
    _delete(stock, f"/skus/{skus[2]['id']}")  # a deleted sku's key is cleared too

    _delete(stock, f"/warehouses/{gone}")

    for sku in skus[:2]:
        got = _get(stock, f"/skus/{sku['id']}", expand="warehouse")
        assert (got["warehouse_id"], got["warehouse"]) == (None, None)
        assert got["version"] == sku["version"] + 1, "the change must change the entity tag"
        assert got["updated_at"] > sku["updated_at"]
    deleted = next(r for r in _every(stock, "/skus") if r["id"] == skus[2]["id"])
    assert deleted["warehouse_id"] is None
    assert _get(stock, f"/skus/{elsewhere['id']}") == elsewhere
    listed = _get(stock, "/skus", expand="warehouse", limit=100)["items"]
    assert {(r["id"], r["warehouse_id"]) for r in listed} == {
        (skus[0]["id"], None),
        (skus[1]["id"], None),
        (elsewhere["id"], kept),
    }


def test_cascade_soft_deletes_what_can_be_and_deletes_the_rest(stock: httpx2.Client) -> None:
    gone = _warehouse(stock, "GONE")["id"]
    kept = _warehouse(stock, "KEPT")["id"]
    zones = [_create(stock, "/zones", name=f"Z{i}", warehouse_id=gone) for i in range(2)]
    slots = [_create(stock, "/slots", label=f"L{i}", zone_id=zones[i % 2]["id"]) for i in range(4)]
    bins = [_create(stock, "/bins", label=f"B{i}", warehouse_id=gone) for i in range(2)]
    earlier = _create(stock, "/zones", name="Earlier", warehouse_id=gone)
    _delete(stock, f"/zones/{earlier['id']}")
    earlier_deleted = next(r for r in _every(stock, "/zones") if r["id"] == earlier["id"])
    other_zone = _create(stock, "/zones", name="Other", warehouse_id=kept)
    other_slot = _create(stock, "/slots", label="Other", zone_id=other_zone["id"])
    other_bin = _create(stock, "/bins", label="Other", warehouse_id=kept)
    carrier = _create(stock, "/carriers", name="Post")["id"]
    for warehouse in (gone, kept):
        linked = stock.put(f"/warehouses/{warehouse}/carriers/{carrier}")
        assert linked.status_code == 204, linked.text

    _delete(stock, f"/warehouses/{gone}")

    # Zones, and their slots in turn, are soft-deleted: gone from reads, kept with deleted_at.
    for row in [*zones, *slots]:
        path = "/zones" if "name" in row else "/slots"
        assert_problem(stock.get(f"{path}/{row['id']}"), 404)
        stored = next(r for r in _every(stock, path) if r["id"] == row["id"])
        assert stored["deleted_at"] is not None
        assert stored["version"] == row["version"] + 1
    assert next(r for r in _every(stock, "/zones") if r["id"] == earlier["id"]) == earlier_deleted
    # Bins cannot be soft-deleted: they are deleted for good, as are the warehouse's links.
    for row in bins:
        assert_problem(stock.get(f"/bins/{row['id']}"), 404)
    assert [r["id"] for r in _every(stock, f"/carriers/{carrier}/warehouses")] == [kept]
    # Rows of another warehouse are untouched.
    assert _get(stock, f"/zones/{other_zone['id']}") == other_zone
    assert _get(stock, f"/slots/{other_slot['id']}") == other_slot
    assert _get(stock, f"/bins/{other_bin['id']}") == other_bin


def test_restrict_refuses_while_live_rows_refer(stock: httpx2.Client) -> None:
    warehouse = _warehouse(stock, "BUSY")["id"]
    _create(stock, "/skus", code="S", warehouse_id=warehouse)
    _create(stock, "/zones", name="Z", warehouse_id=warehouse)
    contract = _create(stock, "/contracts", reference="C1", warehouse_id=warehouse)
    before = _snapshot(stock)

    assert_problem(stock.delete(f"/warehouses/{warehouse}"), 409)

    assert _snapshot(stock) == before, "a refused delete changed rows"
    # A soft-deleted contract no longer refers to anything.
    _delete(stock, f"/contracts/{contract['id']}")
    _delete(stock, f"/warehouses/{warehouse}")
    assert_problem(stock.get(f"/warehouses/{warehouse}"), 404)


def test_a_delete_the_database_refuses_further_down_changes_nothing(stock: httpx2.Client) -> None:
    warehouse = _warehouse(stock, "DEEP")["id"]
    _create(stock, "/skus", code="S", warehouse_id=warehouse)
    zone = _create(stock, "/zones", name="Z", warehouse_id=warehouse)
    _create(stock, "/slots", label="L", zone_id=zone["id"])
    held = _create(stock, "/bins", label="B", warehouse_id=warehouse)
    crate = _create(stock, "/crates", label="C", bin_id=held["id"])  # restricts deleting the bin
    before = _snapshot(stock)

    assert_problem(stock.delete(f"/warehouses/{warehouse}"), 409)

    assert _snapshot(stock) == before, "a refused delete changed rows"
    _delete(stock, f"/crates/{crate['id']}")
    _delete(stock, f"/warehouses/{warehouse}")
    assert_problem(stock.get(f"/bins/{held['id']}"), 404)


# -- a deleted row is no parent ------------------------------------------------------------------


def _as_missing(deleted: httpx2.Response, missing: httpx2.Response, pointer: str) -> None:
    """Both refused alike: 422 naming ``pointer``, the same words but for the id."""
    deleted_body = assert_problem(deleted, 422, pointers=(pointer,))
    missing_body = assert_problem(missing, 422, pointers=(pointer,))
    assert deleted_body["errors"] == missing_body["errors"]
    assert deleted_body["title"] == missing_body["title"]


def test_a_deleted_warehouse_takes_no_new_or_moved_row(stock: httpx2.Client) -> None:
    deleted = _warehouse(stock, "GONE")["id"]
    live = _warehouse(stock, "LIVE")["id"]
    sku = _create(stock, "/skus", code="S", warehouse_id=live)
    zone = _create(stock, "/zones", name="Z", warehouse_id=live)
    _delete(stock, f"/warehouses/{deleted}")
    before = _snapshot(stock)

    def both(method: str, path: str, body: Any, pointer: str, **headers: str) -> None:
        answers = [
            stock.request(method, path, json=_with(body, parent), headers=headers)
            for parent in (deleted, MISSING)
        ]
        _as_missing(answers[0], answers[1], pointer)
        assert str(deleted) in answers[0].json()["detail"]

    both("POST", "/skus", {"code": "N", "warehouse_id": 0}, "/warehouse_id")
    both("POST", "/zones", {"name": "N", "warehouse_id": 0}, "/warehouse_id")
    both("PUT", f"/skus/{sku['id']}", {"code": "S", "warehouse_id": 0}, "/warehouse_id")
    both("PUT", f"/zones/{zone['id']}", {"name": "Z", "warehouse_id": 0}, "/warehouse_id")
    both("PATCH", f"/skus/{sku['id']}", {"warehouse_id": 0}, "/warehouse_id",
         **{"content-type": MERGE_PATCH})  # fmt: skip
    both("PATCH", f"/zones/{zone['id']}", {"warehouse_id": 0}, "/warehouse_id",
         **{"content-type": MERGE_PATCH})  # fmt: skip
    bulk = [{"code": "B0", "warehouse_id": live}, {"code": "B1", "warehouse_id": 0}]
    both("POST", "/skus/bulk", bulk, "/1/warehouse_id")
    # Links name the other row in the path: a deleted one is not found, as a missing one.
    carrier = _create(stock, "/carriers", name="Post")["id"]
    for path in (f"/warehouses/{{}}/carriers/{carrier}", f"/carriers/{carrier}/warehouses/{{}}"):
        for parent in (deleted, MISSING):
            assert_problem(stock.put(path.format(parent)), 404)
    assert _snapshot(stock) == {**before, "/carriers": [_get(stock, f"/carriers/{carrier}")],
                                f"/carriers/{carrier}/warehouses": []}  # fmt: skip
    # A change that keeps a live parent, or names none, is fine.
    patched = stock.patch(f"/skus/{sku['id']}", json={"code": "S2", "warehouse_id": None},
                          headers={"content-type": MERGE_PATCH})  # fmt: skip
    assert patched.status_code == 200, patched.text
    replaced = stock.put(f"/zones/{zone['id']}", json={"name": "Z2", "warehouse_id": live})
    assert replaced.status_code == 200, replaced.text


def _with(body: Any, parent: int) -> Any:
    """``body`` with each ``warehouse_id`` of 0 made ``parent``."""
    if isinstance(body, list):
        return [_with(item, parent) for item in body]
    return {k: parent if (k, v) == ("warehouse_id", 0) else v for k, v in body.items()}


# -- nested routes and expand --------------------------------------------------------------------


def test_a_deleted_warehouse_is_not_found_through_its_relations(stock: httpx2.Client) -> None:
    deleted = _warehouse(stock, "GONE")["id"]
    live = _warehouse(stock, "LIVE")["id"]
    zones = [_create(stock, "/zones", name=f"Z{i}", warehouse_id=live) for i in range(3)]
    skus = [_create(stock, "/skus", code=f"S{i}", warehouse_id=live) for i in range(2)]
    _delete(stock, f"/zones/{zones[1]['id']}")
    _delete(stock, f"/skus/{skus[0]['id']}")
    _create(stock, "/zones", name="Z", warehouse_id=deleted)
    _delete(stock, f"/warehouses/{deleted}")

    for nested in ("skus", "zones", "carriers"):
        for parent in (deleted, MISSING):
            assert_problem(stock.get(f"/warehouses/{parent}/{nested}"), 404)
    got = _get(stock, f"/warehouses/{live}", expand="skus,zones")
    assert [z["id"] for z in got["zones"]] == [zones[0]["id"], zones[2]["id"]]
    assert [s["id"] for s in got["skus"]] == [skus[1]["id"]]
    listed = _get(stock, "/warehouses", expand="zones")["items"]
    assert [(w["id"], [z["id"] for z in w["zones"]]) for w in listed] == [
        (live, [zones[0]["id"], zones[2]["id"]])
    ]
    # The zones the delete cascaded to name their warehouse, which is not found.
    cascaded = [
        z for z in _every(stock, "/zones", expand="warehouse") if z["warehouse_id"] == deleted
    ]
    assert [(z["deleted_at"] is not None, z["warehouse"]) for z in cascaded] == [(True, None)]


# -- unique among live rows ----------------------------------------------------------------------


def test_a_deleted_warehouse_gives_its_unique_values_back(stock: httpx2.Client) -> None:
    first = _warehouse(stock, "W1", name="North", region="amer")
    _delete(stock, f"/warehouses/{first['id']}")

    second = _warehouse(stock, "W1", name="North", region="amer")

    taken = stock.post("/warehouses", json={"code": "W1", "region": "emea", "name": "Other"})
    assert_problem(taken, 409, pointers=("/code",))
    both = stock.post("/warehouses", json={"code": "W2", "region": "amer", "name": "North"})
    assert_problem(both, 409, pointers=("/region", "/name"))
    moved = stock.patch(f"/warehouses/{_warehouse(stock, 'W3')['id']}", json={"code": "W1"},
                        headers={"content-type": MERGE_PATCH})  # fmt: skip
    assert_problem(moved, 409, pointers=("/code",))
    # Deleted rows never collide with each other either.
    _delete(stock, f"/warehouses/{second['id']}")
    third = _warehouse(stock, "W1", name="North", region="amer")
    codes = [(w["code"], w["deleted_at"] is None) for w in _every(stock, "/warehouses")]
    assert codes == [("W1", False), ("W1", False), ("W3", True), ("W1", True)]
    assert _get(stock, f"/warehouses/{third['id']}") == third


# -- migrations carry the unique indexes ---------------------------------------------------------

# How each database shows a unique index of live rows: partial where it can be, else
# ending with the generated ``live`` column.
_UNIQUE_INDEXES = {
    "sqlite": "SELECT sql FROM sqlite_master WHERE name = :name",
    "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = :name",
    "mysql": "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index), MIN(non_unique) "
    "FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = :name",
}
_EXPECTED_INDEXES = {
    "sqlite": {
        "uq_warehouses_code": "CREATE UNIQUE INDEX uq_warehouses_code ON warehouses "
        "(code, live) WHERE deleted_at IS NULL",
        "uq_warehouses_region_name": "CREATE UNIQUE INDEX uq_warehouses_region_name ON "
        "warehouses (region, name, live) WHERE deleted_at IS NULL",
    },
    "postgresql": {
        "uq_warehouses_code": "CREATE UNIQUE INDEX uq_warehouses_code ON public.warehouses "
        "USING btree (code, live) WHERE (deleted_at IS NULL)",
        "uq_warehouses_region_name": "CREATE UNIQUE INDEX uq_warehouses_region_name ON "
        "public.warehouses USING btree (region, name, live) WHERE (deleted_at IS NULL)",
    },
    "mysql": {
        "uq_warehouses_code": "code,live 0",
        "uq_warehouses_region_name": "region,name,live 0",
    },
}


def test_autogenerated_migrations_carry_the_unique_indexes_of_live_rows(
    dialect: str, stock_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(stock_project, root, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    with _migration_database(dialect, tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "DEV", "PYTHONPATH": str(root),
               "SECRETS_DIR": str(tmp_path / "no-secrets")}  # fmt: skip

        def db(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "specbase", "--root", str(root), "db", *args],
                cwd=root, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"db {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
            assert "warn" not in done.stderr.lower(), done.stderr
            return done.stdout + done.stderr

        db("revision", "-m", "stock")
        db("upgrade")

        found = {name: _index(url, dialect, name) for name in _EXPECTED_INDEXES[dialect]}
        assert found == _EXPECTED_INDEXES[dialect]
        # A second autogenerate finds nothing to do.
        assert "the migrations cover the models" in db("check")


def _index(url: str, dialect: str, name: str) -> str:
    async def read() -> str:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                row = (
                    await connection.execute(text(_UNIQUE_INDEXES[dialect]), {"name": name})
                ).one()
        finally:
            await engine.dispose()
        return " ".join(str(value) for value in row)

    return asyncio.run(read())


@contextmanager
def _migration_database(dialect: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of ``dialect`` for one test, dropped after it."""
    if dialect == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
        return
    server = server_url(dialect)
    assert server is not None  # the dialect fixture skipped the test otherwise
    database = ServerDatabase(server, prefix="specbase_migrated")
    database.create()
    try:
        yield database.url_string
    finally:
        database.drop()


def test_include_deleted_lists_what_went_with_a_deleted_warehouse(stock: httpx2.Client) -> None:
    deleted = _warehouse(stock, "GONE")["id"]
    zones = [_create(stock, "/zones", name=f"Z{i}", warehouse_id=deleted) for i in range(2)]
    _create(stock, "/skus", code="S", warehouse_id=deleted)
    _delete(stock, f"/warehouses/{deleted}")

    nested = _every(stock, f"/warehouses/{deleted}/zones")

    assert [z["id"] for z in nested] == [z["id"] for z in zones]
    assert all(z["deleted_at"] is not None for z in nested)
    assert _every(stock, f"/warehouses/{deleted}/skus") == []  # their key was cleared
    missing = stock.get(f"/warehouses/{MISSING}/zones", params={"include_deleted": "true"})
    assert_problem(missing, 404)
    assert_problem(stock.get(f"/warehouses/{deleted}/zones"), 404)
    # Carriers are not soft-deleted: the parameter is not offered for them.
    answer = stock.get(f"/warehouses/{deleted}/carriers", params={"include_deleted": "true"})
    assert_problem(answer, 422)
