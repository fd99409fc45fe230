"""Specs of a stock-keeping project whose warehouses are soft-deleted, with a relation of
every ``on_delete`` to them, for the tests of soft delete as delete for every purpose.

    Warehouse (soft)  ── Sku (soft, set_null)
                      ── Zone (soft, cascade) ── Slot (soft, cascade)
                      ── Bin (cascade) ── Crate (restrict)
                      ── Contract (soft, restrict)
                      ── Carrier (many-to-many, with link operations)
"""

from __future__ import annotations

SPECS = {
    "warehouse": """\
resource: Warehouse
fields:
  code: {type: string, minLength: 1, maxLength: 20, x-unique: true}
  region: {type: string, enum: [amer, emea, apac]}
  name: {type: string, minLength: 1, maxLength: 50}
required: [code, region, name]
unique: [[region, name]]
relations:
  skus: {has_many: Sku}
  zones: {has_many: Zone}
  carriers: {many_to_many: Carrier}
soft_delete: true
""",
    "sku": """\
resource: Sku
fields:
  code: {type: string, minLength: 1, maxLength: 20}
required: [code]
relations:
  warehouse: {belongs_to: Warehouse, nullable: true, on_delete: set_null}
soft_delete: true
bulk_create: {max_items: 10}
""",
    "zone": """\
resource: Zone
fields:
  name: {type: string, minLength: 1, maxLength: 20}
required: [name]
relations:
  warehouse: {belongs_to: Warehouse, on_delete: cascade}
  slots: {has_many: Slot}
soft_delete: true
""",
    "slot": """\
resource: Slot
fields:
  label: {type: string, minLength: 1, maxLength: 20}
required: [label]
relations:
  zone: {belongs_to: Zone, on_delete: cascade}
soft_delete: true
""",
    "bin": """\
resource: Bin
fields:
  label: {type: string, minLength: 1, maxLength: 20}
required: [label]
relations:
  warehouse: {belongs_to: Warehouse, on_delete: cascade}
""",
    "crate": """\
resource: Crate
fields:
  label: {type: string, minLength: 1, maxLength: 20}
required: [label]
relations:
  bin: {belongs_to: Bin, on_delete: restrict}
""",
    "contract": """\
resource: Contract
fields:
  reference: {type: string, minLength: 1, maxLength: 20}
required: [reference]
relations:
  warehouse: {belongs_to: Warehouse, on_delete: restrict}
soft_delete: true
""",
    "carrier": """\
resource: Carrier
fields:
  name: {type: string, minLength: 1, maxLength: 20}
required: [name]
relations:
  warehouses: {many_to_many: Warehouse}
""",
}
