"""Stage 1b, read the inputs: tell the files of specs/ apart and read OpenAPI documents.

What a file is, its content says: one with an ``openapi:`` key is an OpenAPI document
(3.0 or 3.1); one with ``resource:`` is a resource spec; one that only others refer to
through ``$ref`` is a fragment, which stands for nothing by itself. Any other file is
read as a resource spec, so that its errors say what a spec needs.

Every ``components.schemas`` entry of an OpenAPI document with an ``x-resource`` object
becomes a resource spec whose lines point into the document: the schema's
``properties`` are the fields, its ``required`` and ``description`` its own, and
``x-resource`` holds the other keys (``operations``, ``relations``, ``list``, ``actions``,
...), the ``$ref``s of the actions' schemas read as a field's are. Every
other schema is a shared model (see :mod:`generator.shared`). Paths and the rest of
a document are not read: the contract's operations come from the resources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.build_actions import action_class_names
from generator.errors import SpecError
from generator.ir import SharedModel
from generator.load import KeyPath, SourceDoc, format_key
from generator.naming import SHARED_MODULE, snake_case
from generator.normalize import upgrade_schema
from generator.refs import Files, RefError, Target, has_refs, walk_refs
from generator.shared import SharedSchemas
from generator.spec_fields import field_spec

__all__ = ["Inputs", "SchemaSpec", "read_inputs"]

_VERSION = re.compile(r"^3\.[01](\.\d+)?$")
_SCHEMAS = ("components", "schemas")
# Keys of a resource schema besides its fields; x- extensions are left alone too.
_RESOURCE_KEYS = frozenset(
    ("type", "title", "description", "properties", "required", "additionalProperties",
     "example", "examples", "externalDocs", "xml", "x-resource")
)  # fmt: skip
# The schema itself says these; x-resource must not say them again.
_OWN_KEYS = {"fields": "properties", "required": "required", "description": "description"}
# Properties an OpenAPI document often shows that the server manages for every resource.
_SERVER_MANAGED = frozenset(("id", "created_at", "updated_at"))


@dataclass(frozen=True)
class Inputs:
    """The resource specs to validate, the shared models, and the errors met reading them."""

    specs: list[SourceDoc]
    shared: tuple[SharedModel, ...]
    errors: list[SpecError]


@dataclass(frozen=True)
class SchemaSpec(SourceDoc):
    """A resource spec read out of an OpenAPI schema: its errors name the schema's keys.

    ``fields.price`` is ``<at>.properties.price`` in the document, ``required`` and
    ``description`` are the schema's own, and every other key is under ``x-resource``.
    """

    at: KeyPath = ()
    renamed: bool = False  # x-resource says `resource:`; else the schema's name is used

    def original(self, key_path: KeyPath) -> KeyPath:
        head, rest = key_path[:1], key_path[1:]
        if head == ("fields",):
            return (*self.at, "properties", *rest)
        if head in (("required",), ("description",)):
            return (*self.at, *key_path)
        if not key_path or (head == ("resource",) and not self.renamed):
            return self.at
        return (*self.at, "x-resource", *key_path)

    def line_of(self, key_path: KeyPath) -> int:
        return super().line_of(self.original(key_path))

    def error(self, key_path: KeyPath, message: str) -> SpecError:
        original = self.original(key_path)
        return SpecError(self.path, super().line_of(original), format_key(original), message)


@dataclass(frozen=True)
class _Resource:
    name: str  # the components.schemas key
    at: Target  # where the schema with x-resource is (maybe through a $ref)
    openapi30: bool


def read_inputs(docs: Sequence[SourceDoc], unreadable: Sequence[SpecError] = ()) -> Inputs:
    """Resource specs from every resource spec file and OpenAPI document, and shared models."""
    files = Files(docs, {error.file for error in unreadable})
    errors: list[SpecError] = []
    documents = {doc.path: _version(doc, errors) for doc in docs if _has(doc, "openapi")}
    fragments = _fragments(files, docs, errors)
    plain: list[SourceDoc] = []
    for doc in docs:
        if doc.path in documents or (doc.path in fragments and not _has(doc, "resource")):
            continue
        if _has(doc, "swagger") and not _has(doc, "resource"):
            message = "a Swagger 2.0 document: convert it to OpenAPI 3 (specbase reads 3.0 and 3.1)"
            errors.append(doc.error(("swagger",), message))
            continue
        plain.append(doc)
    resources: dict[Target, _Resource] = {}
    aliases: list[tuple[str, Target, bool]] = []
    for path, openapi30 in sorted(documents.items()):
        if openapi30 is not None:
            _components(files, files.doc(path), openapi30, resources, aliases, errors)
    shared = SharedSchemas(files, {target: res.name for target, res in resources.items()})
    for name, target, openapi30 in aliases:
        _add_shared(shared, name, target, openapi30)
    specs = [_resolved(doc, shared) for doc in plain]
    for target, res in resources.items():  # in the documents' order, as the rest
        spec = _resource_spec(files, shared, res, errors) if target == res.at else None
        if spec is not None:
            specs.append(spec)
    models = shared.finish()
    names = [name for doc in specs if isinstance(name := _resource_name(doc), str)]
    errors += shared.errors
    taken = set().union(*(action_class_names(_resource_name(doc), _actions(doc)) for doc in specs
                          if isinstance(_resource_name(doc), str)))  # fmt: skip
    errors += shared.clash_errors(names, taken)
    if models:
        errors += _module_clashes(specs)
    return Inputs(specs, models, errors)


def _has(doc: SourceDoc, key: str) -> bool:
    return isinstance(doc.data, dict) and key in doc.data


def _version(doc: SourceDoc, errors: list[SpecError]) -> bool | None:
    """Whether the document is OpenAPI 3.0 (False: 3.1); None when it is neither."""
    version = str(doc.data["openapi"])
    if _VERSION.match(version):
        return version.startswith("3.0")
    message = f"OpenAPI {version} is not read: specbase reads OpenAPI 3.0 and 3.1 documents"
    errors.append(doc.error(("openapi",), message))
    return None


def _fragments(files: Files, docs: Sequence[SourceDoc], errors: list[SpecError]) -> set[str]:
    """Every file a ``$ref`` names, from a document, a spec or another fragment."""
    seen: set[str] = set()
    todo = [doc for doc in docs if _has(doc, "openapi") or _has(doc, "resource")]
    while todo:
        doc = todo.pop()
        if not has_refs(doc.data):
            continue
        for at, ref in walk_refs(doc.data):
            try:
                path = files.file_of(doc.path, at, ref)
            except RefError as exc:
                errors.extend([exc.error] if exc.error else [])
                continue
            if path not in seen:
                seen.add(path)
                todo.append(files.doc(path))
            try:
                files.resolve(doc.path, at, ref)  # a broken one is reported even if never used
            except RefError as exc:
                errors.extend([exc.error] if exc.error else [])
    return seen


def _components(
    files: Files,
    doc: SourceDoc,
    openapi30: bool,
    resources: dict[Target, _Resource],
    aliases: list[tuple[str, Target, bool]],
    errors: list[SpecError],
) -> None:
    """Sort the document's component schemas into resources and shared models."""
    components = doc.data.get("components", {})
    schemas = components.get("schemas", {}) if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        errors.append(doc.error(_SCHEMAS, "components.schemas is a mapping of names to schemas"))
        return
    for name in schemas:
        entry = Target(doc.path, (*_SCHEMAS, name))
        try:
            content = files.follow(entry)
        except RefError as exc:
            errors.extend([exc.error] if exc.error else [])
            continue
        node = files.node(content)
        if isinstance(node, dict) and "x-resource" in node:
            resource = _Resource(name, content, openapi30)
            resources.setdefault(content, resource)
            resources.setdefault(entry, resource)
        else:
            aliases.append((name, entry, openapi30))


def _add_shared(shared: SharedSchemas, name: str, entry: Target, openapi30: bool) -> None:
    """A component that is a bare alias (``Money: {$ref: ...}``) names the schema it leads to."""
    content = shared.files.follow(entry)
    target = entry if content in shared else content
    shared.add(name, target, openapi30=openapi30, origin=entry)


def _resolved(doc: SourceDoc, shared: SharedSchemas) -> SourceDoc:
    """A resource spec file whose fields (or actions) ``$ref`` shared schemas, with those
    resolved."""
    fields = doc.data.get("fields") if isinstance(doc.data, dict) else None
    actions = doc.data.get("actions") if isinstance(doc.data, dict) else None
    if has_refs(actions):
        actions = _action_schemas(shared, doc.path, ("actions",), actions, openapi30=False)
        doc = SourceDoc(doc.path, {**doc.data, "actions": actions}, doc.lines)
    if not isinstance(fields, dict) or not has_refs(fields):
        return doc
    resolved = {
        name: field_spec(shared, doc.path, ("fields", name), schema, openapi30=False)
        if has_refs(schema)
        else schema
        for name, schema in fields.items()
    }
    return SourceDoc(doc.path, {**doc.data, "fields": resolved}, doc.lines)


def _action_schemas(
    shared: SharedSchemas, path: str, at: KeyPath, actions: Any, *, openapi30: bool
) -> Any:
    """Actions whose request, response and query schemas refer into the contract: each
    ``$ref`` names a shared model (or is copied in place), as a field's does; an OpenAPI
    3.0 schema is said in 3.1. ``at``: where ``actions`` is in the file."""
    if not isinstance(actions, dict):
        return actions
    out: dict[str, Any] = {}
    for name, action in actions.items():
        if not isinstance(action, dict):
            out[name] = action
            continue
        action = dict(action)
        keys: list[tuple[KeyPath, Any]] = [
            ((key,), action.get(key)) for key in ("request", "response")
        ]
        query = action.get("query")
        if isinstance(query, dict):
            action["query"] = dict(query)
            keys += [(("query", key), value) for key, value in query.items()]
        for key, schema in keys:
            if not isinstance(schema, dict):
                continue
            here = (*at, name, *key)
            rewritten = shared.rewrite(
                path, here, schema, openapi30=openapi30, inlining=frozenset()
            )
            rewritten = upgrade_schema(rewritten) if openapi30 else rewritten
            if len(key) == 1:
                action[key[0]] = rewritten
            else:
                action["query"][key[1]] = rewritten
        out[name] = action
    return out


def _resource_spec(
    files: Files, shared: SharedSchemas, res: _Resource, errors: list[SpecError]
) -> SourceDoc | None:
    """The resource spec an ``x-resource`` schema says, its lines those of the schema."""
    doc, at = files.doc(res.at.path), res.at.pointer
    node: dict[str, Any] = files.node(res.at)
    found = list(_shape_errors(doc, at, node, res.name))
    if found:
        errors.extend(found)
        return None
    extra: dict[str, Any] = node["x-resource"]
    properties: dict[str, Any] = node["properties"]
    fields: dict[str, Any] = {}
    managed: dict[str, Any] = {}
    for name, prop in properties.items():
        if name in _SERVER_MANAGED and isinstance(prop, dict) and prop.get("readOnly") is True:
            managed[name] = prop  # the server writes these for every resource
            continue
        where = (*at, "properties", name)
        fields[name] = field_spec(shared, doc.path, where, prop, openapi30=res.openapi30,
                                  openapi=True)  # fmt: skip
    data: dict[str, Any] = {"resource": extra.get("resource", res.name)}
    if "description" in node:
        data["description"] = node["description"]
    data["fields"] = fields
    if "required" in node:
        required = node["required"]
        if _strings(required):
            required = [field for field in required if field not in managed]
        data["required"] = required
    data.update((key, value) for key, value in extra.items() if key != "resource")
    if "actions" in data:
        data["actions"] = _action_schemas(shared, doc.path, (*at, "x-resource", "actions"),
                                          data["actions"], openapi30=res.openapi30)  # fmt: skip
    if managed.get("id", {}).get("format") == "uuid":
        data.setdefault("id", "uuid")
    return SchemaSpec(doc.path, data, doc.lines, at=at, renamed="resource" in extra)


def _shape_errors(doc: SourceDoc, at: KeyPath, node: dict[str, Any], name: str) -> list[SpecError]:
    """An x-resource schema must be an object schema with properties; x-resource a mapping."""
    errors: list[SpecError] = []
    extra = node["x-resource"]
    if not isinstance(extra, dict):
        message = "x-resource holds the resource's other keys (operations, relations, list, "
        message += "unique, id, plural, resource): write `x-resource: {}` for the defaults"
        errors.append(doc.error((*at, "x-resource"), message))
    else:
        for key, instead in _OWN_KEYS.items():
            if key in extra:
                message = f"x-resource takes no {key!r}: the schema's own `{instead}` says it"
                errors.append(doc.error((*at, "x-resource", key), message))
    declared = node.get("type", "object")
    if declared != "object" or not isinstance(node.get("properties"), dict):
        message = f"{name} has x-resource but is not an object schema: a resource is "
        message += "`type: object` with its fields under `properties`"
        errors.append(doc.error((*at, "type") if declared != "object" else at, message))
    for key in node:
        if key not in _RESOURCE_KEYS and not key.startswith("x-"):
            message = f"`{key}` is not read on a resource schema: list every field under "
            message += "`properties` (composition and constraints of the whole are not supported)"
            errors.append(doc.error((*at, key), message))
    return errors


def _module_clashes(specs: list[SourceDoc]) -> list[SpecError]:
    """A resource whose generated package would be the shared models' one."""
    return [
        doc.error(("resource",), f"the resource {name} would share generated/{SHARED_MODULE}/ "
                  "with the shared models of the OpenAPI documents; rename it")
        for doc in specs
        if isinstance(name := _resource_name(doc), str) and snake_case(name) == SHARED_MODULE
    ]  # fmt: skip


def _resource_name(doc: SourceDoc) -> Any:
    return doc.data.get("resource") if isinstance(doc.data, dict) else None


def _actions(doc: SourceDoc) -> Any:
    return doc.data.get("actions") if isinstance(doc.data, dict) else None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
