"""Serving the published contract unchanged, with custom routes' operations added."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

__all__ = ["load_contract", "served_openapi"]

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def load_contract(path: Path) -> dict[str, Any]:
    contract: dict[str, Any] = yaml.load(path.read_text("utf-8"), Loader=_Loader)
    return contract


def served_openapi(
    app: FastAPI, contract: dict[str, Any], custom_routes: list[APIRoute]
) -> dict[str, Any]:
    """The contract as published, plus the operations of routes declared in ``custom/``.

    A custom operation never replaces a contract one: the contract wins.
    """
    served = copy.deepcopy(contract)
    if not custom_routes:
        return served
    extra = get_openapi(
        title=app.title, version=app.version, openapi_version="3.1.0", routes=custom_routes
    )
    for path, operations in extra.get("paths", {}).items():
        existing = served["paths"].setdefault(path, {})
        for method, operation in operations.items():
            existing.setdefault(method, _with_problem_errors(operation))
    schemas = served.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in extra.get("components", {}).get("schemas", {}).items():
        if name not in _FASTAPI_ERROR_SCHEMAS:
            schemas.setdefault(name, schema)
    return served


# FastAPI documents its own 422 body; the app answers every error as a problem instead.
_FASTAPI_ERROR_SCHEMAS = frozenset({"HTTPValidationError", "ValidationError"})
_UNPROCESSABLE = {"$ref": "#/components/responses/UnprocessableContent"}


def _with_problem_errors(operation: dict[str, Any]) -> dict[str, Any]:
    """A custom operation whose 422 is documented as the problem+json the app answers."""
    responses: dict[str, Any] = operation.get("responses", {})
    if "422" in responses:
        responses["422"] = dict(_UNPROCESSABLE)
    return operation
