"""Whether the running app serves the published contract unchanged (`specbase check`)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__all__ = ["served_differences"]


def served_differences(root: Path, contract: dict[str, Any]) -> list[str] | None:
    """Each contract operation or schema the app serves differently; None if not checkable.

    Only the project whose ``generated`` package is the one Python imports can be
    built and asked (``--root`` elsewhere is checked for generated files only).
    """
    generated = importlib.import_module("generated")
    if Path(generated.__file__ or "").resolve().parent.parent != root.resolve():
        return None
    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(database_url="sqlite+aiosqlite://"))  # never started: no I/O
    served = app.openapi()
    differences = []
    for path, operations in contract["paths"].items():
        for method, operation in operations.items():
            if served.get("paths", {}).get(path, {}).get(method) != operation:
                differences.append(f"{method.upper()} {path}: not served as published")
    served_schemas = served.get("components", {}).get("schemas", {})
    for name, schema in contract["components"]["schemas"].items():
        if served_schemas.get(name) != schema:
            differences.append(f"components.schemas.{name}: not served as published")
    return differences
