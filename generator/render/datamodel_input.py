"""What datamodel-code-generator is given: the contract's schemas, renamed by module.

A schema ``EventCreate`` becomes ``event.EventCreate``, and every reference to it says so
too, which makes the generator write one module per resource (and one for the shared
models). References are found and renamed in the schemas' JSON text, in C.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import orjson

from generator.cache import fingerprint
from generator.datamodel_options import DATAMODEL_OPTIONS
from generator.ir import Project
from generator.naming import SHARED_MODULE
from generator.refs import map_subschemas

__all__ = [
    "EXPANDED_SUFFIX",
    "Renamed",
    "datamodel_input",
    "nullable_models",
    "owners",
    "ref_names",
    "renamed_input",
]

# The module of a resource's expanded schema: ``event_expanded`` -> generated/event/expanded.py.
EXPANDED_SUFFIX = "_expanded"


# A "$ref" whose value is a string, in orjson's compact JSON (a string holding these
# characters would have its quotes escaped, so that only keys match).
_REF = re.compile(rb'"\$ref":("(?:[^"\\]|\\.)*")')


def ref_names(text: bytes) -> list[str]:
    """The names of the schemas a schema's JSON text refers to."""
    return [_string(match[1]).rsplit("/", 1)[-1] for match in _REF.finditer(text)]


def _string(literal: bytes) -> str:
    """A JSON string literal's value (most have no escape to decode)."""
    if b"\\" in literal:
        value: str = orjson.loads(literal)
        return value
    return literal[1:-1].decode()


def _bare_null(text: bytes) -> bool:
    """Whether ``null`` stands in JSON ``text`` other than as the string "null" (so maybe
    for NaN or an infinity, which JSON writes so too)."""
    return text.count(b"null") != text.count(b'"null"')


def datamodel_input(
    contract: dict[str, Any], project: Project
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document and keyword options that datamodel-code-generator's ``generate`` gets."""
    document, options, _ = renamed_input(contract, project)
    return copy.deepcopy(document), options


@dataclass(frozen=True)
class Renamed:
    """A schema renamed for datamodel-code-generator, shared by every run of a process
    that meets the same schema again: never to be changed."""

    value: Any
    refs: tuple[str, ...]  # the (renamed) names it refers to, from its JSON text
    digest: str  # of that text


# By a schema's JSON text, what it became (valid while its references' owners are the same).
_RENAMED: dict[bytes, Renamed] = {}
_RENAMED_LIMIT = 50_000


def renamed_input(
    contract: dict[str, Any], project: Project
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Renamed]]:
    """:func:`datamodel_input`, whose schemas are shared with earlier calls (not to be
    changed), with each one's :class:`Renamed`."""
    owner = owners(project)
    schemas = contract["components"]["schemas"]
    renamed = {f"{owner[name]}.{name}": _renamed_memo(s, owner) for name, s in schemas.items()
               if name in owner}  # fmt: skip
    document = {
        "openapi": contract["openapi"],
        "info": contract["info"],
        "paths": {},
        "components": {"schemas": {name: r.value for name, r in renamed.items()}},
    }
    # What clients send derives from InputModel, which refuses NUL in every string.
    inputs: dict[str, str | list[str]] = {
        f"{r.module}.{r.name}{suffix}": "app.core.domain.schema.InputModel"
        for r in project.resources
        for suffix in ("Create", "Update")
    }
    inputs.update(
        (f"{r.module}.{name}", "app.core.domain.schema.InputModel")
        for r in project.resources
        for action in r.actions
        for name in (action.request_class, action.query_class)
        if name is not None
    )
    return document, {**DATAMODEL_OPTIONS, "base_class_map": inputs}, renamed


def _renamed_memo(schema: Any, owner: dict[str, str]) -> Renamed:
    try:
        text = orjson.dumps(schema, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return _described(_open_objects(nullable_models(_rewrite_refs(schema, owner))))
    known = _RENAMED.get(text)
    if known is not None and all(
        owner.get(name.rsplit(".", 1)[-1]) == name.rsplit(".", 1)[0] for name in known.refs
    ):
        return known
    renamed = _renamed(schema, owner, text)
    if _NULLABLE_OBJECT.search(text):
        renamed = nullable_models(renamed)
    if _may_leave_open(text):
        # A field's object says nothing of other properties when the spec did not: open,
        # as the contract's JSON Schema means (the schemas themselves say `false`).
        renamed = _open_objects(renamed)
    made = _described(renamed)
    if len(_RENAMED) >= _RENAMED_LIMIT:
        _RENAMED.clear()
    _RENAMED[text] = made
    return made


def _described(value: Any) -> Renamed:
    text = orjson.dumps(value)
    return Renamed(value, tuple(ref_names(text)), fingerprint(text.decode()))


def owners(project: Project) -> dict[str, str]:
    owner: dict[str, str] = {model.name: SHARED_MODULE for model in project.shared}
    for resource in project.resources:
        for suffix in ("Create", "Update", "Read", "Page"):
            owner[f"{resource.name}{suffix}"] = resource.module
        if resource.relations:
            # In a module of their own: they refer to other resources' schemas, which
            # may refer back to this one's.
            owner[f"{resource.name}Expanded"] = f"{resource.module}{EXPANDED_SUFFIX}"
            owner[f"{resource.name}Page"] = f"{resource.module}{EXPANDED_SUFFIX}"
        for field in resource.fields:
            if field.enum_class:
                owner[field.enum_class] = resource.module
        for action in resource.actions:
            for name in (action.request_class, action.query_class):
                if name is not None:
                    owner[name] = resource.module
            if action.response is not None and action.response_class:
                owner[action.response_class] = resource.module
    return owner


def _renamed(schema: Any, owner: dict[str, str], text: bytes | None = None) -> Any:
    """A copy of ``schema`` whose references name their schema's module too, rewritten in
    its JSON text (C all the way), or, when JSON would not give ``schema`` back exactly
    (a NaN, a date), walked in Python. ``text``: its JSON, when already written."""
    if text is None:
        try:
            text = orjson.dumps(schema, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except orjson.JSONEncodeError:
            return _rewrite_refs(schema, owner)

    def rename(match: re.Match[bytes]) -> bytes:
        name = _string(match[1]).rsplit("/", 1)[-1]
        return b'"$ref":' + orjson.dumps(f"#/components/schemas/{owner[name]}.{name}")

    if _bare_null(text) and orjson.loads(text) != schema:
        return _rewrite_refs(schema, owner)
    return orjson.loads(_REF.sub(rename, text))


def _rewrite_refs(node: Any, owner: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                name = value.rsplit("/", 1)[-1]
                out[key] = f"#/components/schemas/{owner[name]}.{name}"
            else:
                out[key] = _rewrite_refs(value, owner)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, owner) for item in node]
    return node


# A nullable object in a schema's JSON text, as the contract writes it: the schemas
# without one (most) are not walked.
_NULLABLE_OBJECT = re.compile(rb'"type":\["object","null"\]|"type":\["null","object"\]')
# What stays beside ``anyOf`` when a nullable object is split: it describes the field.
_ANNOTATIONS = frozenset(("description", "title", "default", "deprecated", "readOnly",
                          "writeOnly", "examples"))  # fmt: skip


def nullable_models(schema: Any) -> Any:
    """Nullable objects with properties (``type: [object, "null"]``), at any depth, said as
    ``anyOf: [{type: object, ...}, {type: "null"}]``, which means the same.

    datamodel-code-generator makes one model of the object that both a field's create
    schema (an object) and its read schema (an object or null) hold, and then forgets
    that the read one admits null: ``address: Address`` where the contract says
    ``Address | None``. Of ``anyOf`` it keeps both parts. The contract is left as it is.
    """
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, lambda _at, sub: nullable_models(sub))
    types = out.get("type")
    if not (isinstance(types, list) and {"object", "null"} <= set(types) and "properties" in out):
        return out
    rest = [t for t in types if t != "null"]
    inner = {k: v for k, v in out.items() if k not in _ANNOTATIONS}
    inner["type"] = rest[0] if len(rest) == 1 else rest
    outer = {k: v for k, v in out.items() if k in _ANNOTATIONS}
    return {**outer, "anyOf": [inner, {"type": "null"}]}


def _may_leave_open(text: bytes) -> bool:
    """Whether a schema's JSON text may hold an object that says nothing of other
    properties: more objects than ``additionalProperties`` (most schemas have one object,
    which says ``false``, and are not walked)."""
    objects = max(text.count(b'"object"'), text.count(b'"properties"'))
    return objects > text.count(b'"additionalProperties"')


def _open_objects(schema: Any) -> Any:
    """Object schemas that say nothing of other properties, saying that they admit them.

    That is JSON Schema's default, but the models' base class refuses what is not declared.
    """
    if not isinstance(schema, dict):
        return schema
    out = map_subschemas(schema, lambda _at, sub: _open_objects(sub))
    if _is_object(out) and "additionalProperties" not in out:
        out["additionalProperties"] = True
    return out


def _is_object(schema: dict[str, Any]) -> bool:
    declared = schema.get("type")
    if declared is None:
        return "properties" in schema and "$ref" not in schema
    return declared == "object" or (isinstance(declared, list) and "object" in declared)
