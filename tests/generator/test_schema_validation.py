"""The generated Pydantic schemas enforce the contract strictly.

The `every_type` golden case's rendered `schemas.py` is executed in a fresh module (it only
imports pydantic, the standard library and `app.core.domain.schema`), then request bodies are
validated the way the app does: from JSON bytes, with ``strict=True``.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tests.generator.support import GOLDEN, render

_MODULE = "tests_generator_every_type_schemas"
# The module the schemas import their enumerations from.
_ENUMS = "generated.sample.enums"
_BASE = {"title": "Hello", "count": 1, "starts_at": "2024-05-01T10:00:00+02:00", "owner_id": 1}
_NULLABLE = ("nickname", "mood")
_NOT_NULLABLE = (
    "title", "body", "kind", "count", "score", "ratio", "active", "born_on", "starts_at",
    "token", "email", "homepage", "labels", "extra", "address", "owner_id",
)  # fmt: skip


def _j(value: Any) -> str:
    return json.dumps(value)


# (field, a JSON value): accepted in a create body
_VALID = [
    ("title", _j("ab")), ("title", _j("x" * 20)),
    ("body", _j("free text " * 1000)),
    ("kind", _j("large")),
    ("count", _j(-(2**63))), ("count", _j(2**63 - 1)), ("count", "0"),
    ("score", "0"), ("score", "10"),
    ("ratio", "0"), ("ratio", "0.5"), ("ratio", "1"),
    ("active", "false"),
    ("born_on", _j("2024-02-29")),
    ("starts_at", _j("2024-05-01T10:00:00Z")),
    ("token", _j("12345678-1234-5678-1234-567812345678")),
    ("email", _j("someone@example.com")),
    ("homepage", _j("https://example.com/a?b=c")), ("homepage", _j("urn:isbn:0451450523")),
    ("labels", "[]"), ("labels", _j(["a", "x" * 10, "c"])),
    ("extra", _j({"a": [1, {"b": None}]})),
    ("nickname", "null"), ("nickname", _j("Bob")),
    ("mood", "null"), ("mood", _j("happy")),
    ("owner_id", _j(2**63 - 1)),
]  # fmt: skip

# (field, a JSON value): refused in a create body
_INVALID = [
    ("title", _j("a")), ("title", _j("x" * 21)), ("title", _j("<b>")), ("title", "5"),
    ("title", "null"), ("title", _j("a\0b")),
    ("body", _j("a\0b")), ("body", "null"), ("body", "1"),
    ("kind", _j("medium")), ("kind", "null"), ("kind", "1"),
    ("count", _j(2**63)), ("count", _j(-(2**63) - 1)), ("count", "true"), ("count", _j("1")),
    ("count", "1.5"), ("count", "null"),
    ("score", "-1"), ("score", "11"), ("score", "true"),
    ("ratio", "1.5"), ("ratio", "-0.1"), ("ratio", _j("0.5")), ("ratio", "true"),
    ("ratio", "1e309"),
    ("active", _j("true")), ("active", "1"), ("active", "null"),
    ("born_on", _j("2024-13-01")), ("born_on", _j("2023-02-29")), ("born_on", "20240101"),
    ("starts_at", _j("2024-05-01T10:00:00")), ("starts_at", "1714550400"),
    ("starts_at", _j("yesterday")),
    ("token", _j("nope")), ("token", "5"),
    ("email", _j("nope")), ("email", _j("some\0one@example.com")),
    ("homepage", _j("not a uri")), ("homepage", _j("https://x.org/a b")),
    ("homepage", _j("https://x.org/\0")),
    ("labels", _j(["a", "b", "c", "d"])), ("labels", _j(["x" * 11])), ("labels", "[1]"),
    ("labels", _j(["a\0"])), ("labels", _j("a")),
    ("extra", "[]"), ("extra", _j("x")),
    ("nickname", _j("x" * 31)), ("nickname", _j("a\0")),
    ("mood", _j("angry")),
    ("owner_id", "0"), ("owner_id", _j(2**63)), ("owner_id", "true"),
]  # fmt: skip


@pytest.fixture(scope="module")
def schemas() -> Iterator[types.ModuleType]:
    """The rendered schemas.py of Sample as a module (pydantic resolves generics by module),
    with the enums.py it imports its enumerations from."""
    files = render(GOLDEN / "every_type").files
    loaded = []
    try:
        for name, path in ((_ENUMS, "generated/sample/enums.py"),
                           (_MODULE, "generated/sample/schemas.py")):  # fmt: skip
            module = types.ModuleType(name)
            sys.modules[name] = module
            loaded.append(name)
            exec(compile(files[path], path, "exec"), module.__dict__)
        yield module
    finally:
        for name in loaded:
            del sys.modules[name]


def test_schemas_module_imports_only_pydantic_stdlib_and_app_core() -> None:
    code = render(GOLDEN / "every_type").files["generated/sample/schemas.py"]
    imported = {
        node.module
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Import)] == []
    allowed = {
        "__future__",
        "datetime",
        "typing",
        "uuid",
        "pydantic",
        "app.core.domain.schema",
        _ENUMS,
    }
    assert imported <= allowed
    enums = render(GOLDEN / "every_type").files["generated/sample/enums.py"]
    assert {
        node.module for node in ast.walk(ast.parse(enums)) if isinstance(node, ast.ImportFrom)
    } == {"enum"}


def _model(schemas: types.ModuleType, name: str) -> type[BaseModel]:
    model = getattr(schemas, name)
    assert isinstance(model, type)
    assert issubclass(model, BaseModel)
    return model


def _body(field: str, value: str, base: dict[str, Any] = _BASE) -> str:
    rest = {k: v for k, v in base.items() if k != field}
    return json.dumps(rest)[:-1] + f', "{field}": {value}}}'


def test_minimal_create_takes_defaults_and_leaves_the_rest_out(schemas: types.ModuleType) -> None:
    create = _model(schemas, "SampleCreate")
    dumped = create.model_validate_json(json.dumps(_BASE), strict=True).model_dump(mode="json")
    assert dumped == {
        "title": "Hello",
        "count": 1,
        "starts_at": "2024-05-01T10:00:00+02:00",
        "owner_id": 1,
        "kind": "small",
        "active": True,
    }


@pytest.mark.parametrize(("field", "value"), _VALID)
def test_create_accepts(schemas: types.ModuleType, field: str, value: str) -> None:
    body = _body(field, value)
    model = _model(schemas, "SampleCreate").model_validate_json(body, strict=True)
    assert model.model_dump(mode="json")[field] == json.loads(value)


@pytest.mark.parametrize(("field", "value"), _INVALID)
def test_create_refuses(schemas: types.ModuleType, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _model(schemas, "SampleCreate").model_validate_json(_body(field, value), strict=True)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


@pytest.mark.parametrize("field", ["title", "count", "starts_at", "owner_id"])
def test_create_requires(schemas: types.ModuleType, field: str) -> None:
    body = json.dumps({k: v for k, v in _BASE.items() if k != field})
    with pytest.raises(ValidationError) as caught:
        _model(schemas, "SampleCreate").model_validate_json(body, strict=True)
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("missing", (field,))]


def test_unknown_field_is_refused(schemas: types.ModuleType) -> None:
    for name in ("SampleCreate", "SampleUpdate"):
        with pytest.raises(ValidationError) as caught:
            _model(schemas, name).model_validate_json(_body("colour", '"red"'), strict=True)
        assert [e["type"] for e in caught.value.errors()] == ["extra_forbidden"]


def test_empty_update_changes_nothing(schemas: types.ModuleType) -> None:
    patch = _model(schemas, "SampleUpdate").model_validate_json("{}", strict=True)
    assert patch.model_dump() == {}  # no defaults: absent means unchanged


def test_update_keeps_only_what_was_sent(schemas: types.ModuleType) -> None:
    body = '{"title": "New", "nickname": null, "score": 3}'
    patch = _model(schemas, "SampleUpdate").model_validate_json(body, strict=True)
    assert patch.model_dump() == {"title": "New", "nickname": None, "score": 3}


@pytest.mark.parametrize("field", _NOT_NULLABLE)
def test_update_refuses_null_for_a_non_nullable_field(
    schemas: types.ModuleType, field: str
) -> None:
    with pytest.raises(ValidationError):
        _model(schemas, "SampleUpdate").model_validate_json(f'{{"{field}": null}}', strict=True)


@pytest.mark.parametrize("field", _NULLABLE)
def test_update_accepts_null_for_a_nullable_field(schemas: types.ModuleType, field: str) -> None:
    patch = _model(schemas, "SampleUpdate").model_validate_json(f'{{"{field}": null}}', strict=True)
    assert patch.model_dump() == {field: None}


@pytest.mark.parametrize(("field", "value"), [v for v in _INVALID if v[1] != "null"])
def test_update_refuses_what_create_refuses(
    schemas: types.ModuleType, field: str, value: str
) -> None:
    with pytest.raises(ValidationError):
        _model(schemas, "SampleUpdate").model_validate_json(f'{{"{field}": {value}}}', strict=True)


def test_read_answers_server_fields(schemas: types.ModuleType) -> None:
    read = _model(schemas, "SampleRead")
    empty = ("body", "score", "ratio", "born_on", "token", "email", "homepage", "labels", "extra",
             "address")  # fmt: skip
    row: dict[str, Any] = dict.fromkeys((*_NULLABLE, *empty))
    row |= {**_BASE, "kind": "small", "active": True, "id": 7, "created_at": "2024-01-01T00:00:00Z"}
    with pytest.raises(ValidationError) as caught:
        read.model_validate_json(json.dumps(row), strict=True)
    assert [e["loc"] for e in caught.value.errors()] == [("updated_at",), ("version",)]
    row |= {"updated_at": "2024-01-01T00:00:00Z", "version": 0}
    with pytest.raises(ValidationError) as caught:
        read.model_validate_json(json.dumps(row), strict=True)
    assert [e["loc"] for e in caught.value.errors()] == [("version",)]  # versions start at 1
    row["version"] = 3
    answered = read.model_validate_json(json.dumps(row), strict=True).model_dump()
    assert (answered["id"], answered["version"]) == (7, 3)
