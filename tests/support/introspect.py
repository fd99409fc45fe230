"""What a generated project's Pydantic models and tables say of each field, as JSON.

``describe(root)`` runs this module in a subprocess whose import path starts at
``root`` (so that ``generated`` is that project's, not this repository's), imports
every ``generated/<resource>/{schemas,expanded}.py`` and ``models.py`` there, and
answers, for every model class, each field's name on the wire, whether it is
required and whether it admits null, and for every table whether each column holds
NULL.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

__all__ = ["describe"]

REPOSITORY = Path(__file__).resolve().parents[2]


def describe(root: Path) -> dict[str, Any]:
    """``{"models": {"<module>.<Class>": {...}}, "tables": {table: {column: nullable}}}``
    of the project at ``root`` (a folder holding ``generated/``)."""
    path = os.pathsep.join([str(root), str(REPOSITORY)])
    done = subprocess.run(
        [sys.executable, __file__, str(root)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    described: dict[str, Any] = json.loads(done.stdout)
    return described


def _admits_none(annotation: Any) -> bool:
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(annotation).validate_python(None, strict=True)
    except ValidationError:
        return False
    return True


def _models_of(annotation: Any) -> list[str]:
    """The model classes an annotation holds (``list[Line] | None`` holds ``Line``)."""
    from pydantic import BaseModel, RootModel

    found: list[str] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not issubclass(annotation, RootModel):
            found.append(f"{annotation.__module__}.{annotation.__qualname__}")
        return found
    for argument in getattr(annotation, "__args__", ()):
        found.extend(_models_of(argument))
    return found


def _model_fields(module: types.ModuleType) -> dict[str, Any]:
    from pydantic import BaseModel, RootModel

    out: dict[str, Any] = {}
    for value in vars(module).values():
        if not (isinstance(value, type) and issubclass(value, BaseModel)):
            continue
        if value.__module__ != module.__name__ or issubclass(value, RootModel):
            continue
        value.model_rebuild(force=True)
        out[f"{module.__name__}.{value.__qualname__}"] = {
            field.alias or name: {
                "required": field.is_required(),
                "nullable": _admits_none(field.annotation),
                "models": _models_of(field.annotation),
            }
            for name, field in value.model_fields.items()
        }
    return out


def main(root: Path) -> None:
    generated = root / "generated"
    models: dict[str, Any] = {}
    for folder in sorted(p for p in generated.iterdir() if p.is_dir()):
        for stem in ("schemas", "expanded", "models"):
            if (folder / f"{stem}.py").is_file():
                module = importlib.import_module(f"generated.{folder.name}.{stem}")
                if stem != "models":
                    models.update(_model_fields(module))
    from app.core.data.database import Base

    tables = {
        name: {column.name: bool(column.nullable) for column in table.columns}
        for name, table in Base.metadata.tables.items()
    }
    json.dump({"models": models, "tables": tables}, sys.stdout)


if __name__ == "__main__":
    main(Path(sys.argv[1]))


def model_disagreements(contract: dict[str, Any], described: dict[str, Any]) -> list[str]:
    """Where the Pydantic models and the contract's schemas disagree: a property one has
    and the other not, one requires and the other not, or one admits null and the other
    not; nested object schemas (inline, or items of an array) are compared too."""
    from jsonschema import Draft202012Validator

    components = contract["components"]
    models: dict[str, Any] = described["models"]
    found: list[str] = []

    def admits_null(schema: dict[str, Any]) -> bool:
        return Draft202012Validator({**schema, "components": components}).is_valid(None)

    def compare(where: str, schema: dict[str, Any], model: str) -> None:
        fields = models[model]
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        if set(props) != set(fields):
            found.append(f"{where}: properties {sorted(props)} but model fields {sorted(fields)}")
        for name in sorted(set(props) & set(fields)):
            prop, field = props[name], fields[name]
            if (name in required) != field["required"]:
                found.append(f"{where}.{name}: required {name in required} in the contract, "
                             f"{field['required']} in {model}")  # fmt: skip
            if admits_null(prop) != field["nullable"]:
                found.append(f"{where}.{name}: null admitted {admits_null(prop)} in the "
                             f"contract, {field['nullable']} in {model}")  # fmt: skip
            nested = _inline_object(prop)
            if nested is not None and len(field["models"]) == 1:
                compare(f"{where}.{name}", nested, field["models"][0])
            elif nested is not None:
                found.append(f"{where}.{name}: an object in the contract, {field['models']} "
                             f"in {model}")  # fmt: skip

    for name, schema in components["schemas"].items():
        if "properties" not in schema:
            continue
        candidates = [k for k in models if k.rsplit(".", 1)[-1] == name]
        shared = [k for k in candidates if k.startswith("generated.shared.")]
        if shared or len(candidates) == 1:
            compare(name, schema, (shared or candidates)[0])
        elif name.endswith(_RESOURCE_SCHEMAS):
            found.append(f"{name}: {len(candidates)} models of that name, not one")
    return found


# The schemas of a resource, each made into a model of its own name.
_RESOURCE_SCHEMAS = ("Create", "Update", "Read", "Expanded", "Page")


def _inline_object(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema (with properties) a property holds inline, itself or as the items
    of an array, nullable or not; None for a scalar, a free-form object or a $ref."""
    for part in schema.get("anyOf", []):
        if part.get("type") != "null":
            return _inline_object(part)
    if "properties" in schema and "$ref" not in schema:
        return schema
    items = schema.get("items")
    if isinstance(items, dict):
        return _inline_object(items)
    return None
