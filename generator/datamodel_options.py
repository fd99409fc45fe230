"""The options every datamodel-code-generator run is given (``generate(..., **options)``).

A module of its own, importing nothing: ``specbase generate`` starts its worker process
with them before it imports anything else (see :mod:`generator.datamodel_worker`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DATAMODEL_OPTIONS"]

DATAMODEL_OPTIONS: dict[str, Any] = {
    "input_file_type": "openapi",
    "output_model_type": "pydantic_v2.BaseModel",
    "target_python_version": "3.11",
    "base_class": "app.core.domain.schema.SchemaModel",
    "output_datetime_class": "AwareDatetime",
    "field_constraints": True,
    "use_annotated": True,
    "use_standard_collections": True,
    "use_union_operator": True,
    "use_double_quotes": True,
    "strict_nullable": True,
    "use_missing_sentinel": True,
    "target_pydantic_version": "2.14",
    "collapse_root_models": True,
    "use_field_description": True,
    "use_schema_description": True,
    "disable_timestamp": True,
    "formatters": [],
    "enum_field_as_literal": "none",
    "deserialize_default_values": ["enum"],
    # A uri or an email is kept as the client wrote it and the contract's pattern checks
    # its shape: pydantic's AnyUrl rewrites a uri and drops maxLength, and its EmailStr
    # both refuses valid addresses (a@b, x@y.test) and admits invalid ones (non-ASCII).
    "type_mappings": ["string+uri=string", "string+email=string"],
}
