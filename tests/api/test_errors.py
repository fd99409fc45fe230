"""Every refused request answers a problem+json and leaves the database unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    CONTRACT,
    EVENTS,
    IMAGES,
    INT64_MAX,
    MERGE_PATCH,
    RESOURCES,
    Resource,
    assert_param_error,
    assert_problem,
    create_event,
    each_case,
    event_body,
    other_app_client,
    snapshot,
    unchanged,
)

resources = pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
JSON = {"content-type": "application/json"}


def _send(client: TestClient, method: str, url: str, **kwargs: Any) -> Any:
    if method == "PATCH" and "headers" not in kwargs and "json" in kwargs:
        kwargs["headers"] = {"content-type": MERGE_PATCH}
    return client.request(method, url, **kwargs)


# -- 404 ----------------------------------------------------------------------------------------


@resources
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_missing_id_is_404(client: TestClient, resource: Resource, method: str) -> None:
    row = resource.create(client)
    body = resource.make_body(client) if method in ("PUT", "PATCH") else None
    missing = row["id"] + 1000
    with unchanged(client):
        response = _send(client, method, resource.url(missing), json=body)
    problem = assert_problem(response, 404)
    assert str(missing) in problem.get("detail", ""), problem


# -- path ids -----------------------------------------------------------------------------------

BAD_IDS = ["abc", "0", "-1", "1.5", "true", str(INT64_MAX + 1), "9" * 40]


@resources
def test_invalid_path_id_is_422(client: TestClient, resource: Resource) -> None:
    resource.create(client)
    body = resource.make_body(client)
    baseline = snapshot(client)
    cases = [(method, bad_id) for method in ("GET", "PUT", "PATCH", "DELETE") for bad_id in BAD_IDS]
    for (method, bad_id), check in each_case(cases):
        with check, unchanged(client, baseline):
            sent = body if method in ("PUT", "PATCH") else None
            response = _send(client, method, resource.url(bad_id), json=sent)
            assert_param_error(response, resource.id_param)


# -- request bodies -----------------------------------------------------------------------------

BodyCase = tuple[Resource, str, Callable[[dict[str, Any]], dict[str, Any]], str, bool]


def _set(**values: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, **values}


def _drop(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {k: v for k, v in body.items() if k != name}


# (resource, case id, how to spoil a valid body, the pointer the 422 names, also for PATCH)
BODY_CASES: list[BodyCase] = [
    (EVENTS, "unknown-field", _set(venue="x"), "/venue", True),
    (EVENTS, "server-field-id", _set(id=1), "/id", True),
    (EVENTS, "missing-name", _drop("name"), "/name", False),
    (EVENTS, "missing-starts_at", _drop("starts_at"), "/starts_at", False),
    (EVENTS, "true-as-capacity", _set(capacity=True), "/capacity", True),
    (EVENTS, "string-as-capacity", _set(capacity="5"), "/capacity", True),
    (EVENTS, "float-as-capacity", _set(capacity=5.5), "/capacity", True),
    (EVENTS, "integer-as-date-time", _set(starts_at=1767225600), "/starts_at", True),
    (EVENTS, "naive-date-time", _set(starts_at="2026-01-01T10:00:00"), "/starts_at", True),
    (EVENTS, "not-a-date-time", _set(starts_at="next tuesday"), "/starts_at", True),
    (
        EVENTS,
        "date-time-overflows-utc",
        _set(starts_at="9999-12-31T23:00:00-05:00"),
        "/starts_at",
        True,
    ),
    (
        EVENTS,
        "date-time-underflows-utc",
        _set(starts_at="0001-01-01T00:00:00+05:00"),
        "/starts_at",
        True,
    ),
    (EVENTS, "integer-as-name", _set(name=5), "/name", True),
    (EVENTS, "empty-name", _set(name=""), "/name", True),
    (EVENTS, "name-past-maxLength", _set(name="n" * 201), "/name", True),
    (EVENTS, "location-past-maxLength", _set(location="l" * 101), "/location", True),
    (EVENTS, "tag-past-maxLength", _set(tags=["t" * 31]), "/tags/0", True),
    (EVENTS, "too-many-tags", _set(tags=[f"t{i}" for i in range(21)]), "/tags", True),
    (EVENTS, "string-as-tags", _set(tags="music"), "/tags", True),
    (EVENTS, "nul-in-name", _set(name="a\x00b"), "/name", True),
    (EVENTS, "nul-in-location", _set(location="\x00"), "/location", True),
    (EVENTS, "nul-in-tag", _set(tags=["ok", "b\x00d"]), "/tags/1", True),
    (EVENTS, "status-not-in-enum", _set(status="archived"), "/status", True),
    (EVENTS, "capacity-past-maximum", _set(capacity=100_001), "/capacity", True),
    (EVENTS, "capacity-below-minimum", _set(capacity=-1), "/capacity", True),
    (EVENTS, "capacity-past-int64", _set(capacity=2**64), "/capacity", True),
    (EVENTS, "contact-not-an-email", _set(contact="nobody"), "/contact", True),
    (IMAGES, "unknown-field", _set(size=1), "/size", True),
    (IMAGES, "missing-url", _drop("url"), "/url", False),
    (IMAGES, "missing-event_id", _drop("event_id"), "/event_id", False),
    (IMAGES, "true-as-width", _set(width=True), "/width", True),
    (IMAGES, "string-as-event_id", _set(event_id="1"), "/event_id", True),
    (IMAGES, "url-past-maxLength", _set(url="https://x.example/" + "p" * 2040), "/url", True),
    (IMAGES, "not-a-url", _set(url="not a url"), "/url", True),
    (IMAGES, "nul-in-url", _set(url="https://x.example/\x00"), "/url", True),
    (IMAGES, "caption-past-maxLength", _set(caption="c" * 501), "/caption", True),
    (IMAGES, "nul-in-caption", _set(caption="\x00"), "/caption", True),
    (IMAGES, "content_type-not-in-enum", _set(content_type="image/bmp"), "/content_type", True),
    (IMAGES, "width-past-maximum", _set(width=100_001), "/width", True),
    (IMAGES, "height-below-minimum", _set(height=0), "/height", True),
    (IMAGES, "event_id-past-int64", _set(event_id=INT64_MAX + 1), "/event_id", True),
    (IMAGES, "event_id-zero", _set(event_id=0), "/event_id", True),
]


def _body_cases() -> Iterator[Any]:
    for resource, case, spoil, pointer, for_patch in BODY_CASES:
        operations = ("create", "replace", "update") if for_patch else ("create", "replace")
        yield pytest.param(resource, operations, spoil, pointer, id=f"{resource.name}-{case}")


@pytest.mark.parametrize(("resource", "operations", "spoil", "pointer"), list(_body_cases()))
def test_invalid_body_is_422_naming_the_field(
    client: TestClient,
    resource: Resource,
    operations: tuple[str, ...],
    spoil: Callable[[dict[str, Any]], dict[str, Any]],
    pointer: str,
) -> None:
    row = resource.create(client)
    valid = resource.make_body(client)
    baseline = snapshot(client)
    for operation, check in each_case(operations):
        with check:
            if operation == "create":
                method, url, body = "POST", resource.path, spoil(valid)
            elif operation == "replace":
                method, url, body = "PUT", resource.url(row["id"]), spoil(valid)
            else:  # a patch of the spoiled fields alone
                method, url, body = "PATCH", resource.url(row["id"]), _spoiled(valid, spoil)
            with unchanged(client, baseline):
                response = _send(client, method, url, json=body)
            problem = assert_problem(response, 422, pointers=(pointer,))
            assert problem.get("instance", url) == url
            for text in _strings(_spoiled(valid, spoil)):
                echoed = json.dumps(text)[1:-1]
                assert len(text) < 3 or echoed not in response.text, f"{echoed!r} echoed back"


def _spoiled(
    valid: dict[str, Any], spoil: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The fields ``spoil`` added or changed."""
    return {k: v for k, v in spoil(valid).items() if k not in valid or v != valid[k]}


def _strings(body: dict[str, Any]) -> Iterator[str]:
    for value in body.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (item for item in value if isinstance(item, str))


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null"])
def test_a_body_that_is_not_an_object_is_422(client: TestClient, body: bytes) -> None:
    with unchanged(client):
        response = client.post("/events", content=body, headers=JSON)
    assert_problem(response, 422)


def test_a_number_past_float_range_is_422_not_500(client: TestClient) -> None:
    for raw in (b'{"name":"x","starts_at":"2026-01-01T10:00:00Z","capacity":1e309}',
                b'{"name":"x","starts_at":"2026-01-01T10:00:00Z","other":1e309}'):  # fmt: skip
        with unchanged(client):
            response = client.post("/events", content=raw, headers=JSON)
        assert_problem(response, 422)


# -- malformed JSON: 400 ------------------------------------------------------------------------

MALFORMED = [b"{", b"", b'{"name": "x",}', b"{'name': 'x'}", b'{"name": "x"} trailing', b"\xff\xfe"]


@resources
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_malformed_json_is_400(client: TestClient, resource: Resource, method: str) -> None:
    row = resource.create(client)
    url = resource.path if method == "POST" else resource.url(row["id"])
    baseline = snapshot(client)
    for raw, check in each_case(MALFORMED):
        with check:
            with unchanged(client, baseline):
                response = client.request(method, url, content=raw, headers=JSON)
            assert_problem(response, 400)


# -- media types: 415 ---------------------------------------------------------------------------


WRONG_MEDIA_TYPES = [
    None,
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "json",
    "application/jsonx",
]


@resources
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_missing_or_wrong_content_type_is_415(
    client: TestClient, resource: Resource, method: str
) -> None:
    row = resource.create(client)
    url = resource.path if method == "POST" else resource.url(row["id"])
    raw = client.get(resource.url(row["id"])).content  # valid JSON; the media type is what fails
    baseline = snapshot(client)
    for content_type, check in each_case(WRONG_MEDIA_TYPES):
        with check:
            headers = {} if content_type is None else {"content-type": content_type}
            with unchanged(client, baseline):
                response = client.request(method, url, content=raw, headers=headers)
            assert_problem(response, 415)


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_merge_patch_media_type_is_only_for_patch(client: TestClient, method: str) -> None:
    row = create_event(client)
    url = "/events" if method == "POST" else f"/events/{row['id']}"
    with unchanged(client):
        response = client.request(
            method, url, json=event_body(name="Other"), headers={"content-type": MERGE_PATCH}
        )
    assert_problem(response, 415)


def test_json_with_a_charset_parameter_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/events", json=event_body(), headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text


# -- body size: 413 -----------------------------------------------------------------------------

LIMIT = 2048


def _padded_event(size: int) -> bytes:
    """A valid event body of exactly ``size`` bytes (JSON allows any run of spaces)."""
    raw = b'{"name":"Big","starts_at":"2026-01-01T10:00:00Z"}'
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


@pytest.fixture
def small_client(tmp_path: Path) -> Iterator[TestClient]:
    with other_app_client(tmp_path, max_body_bytes=LIMIT) as client:
        yield client


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit_is_413(small_client: TestClient, method: str, chunked: bool) -> None:
    row = create_event(small_client)
    url = "/events" if method == "POST" else f"/events/{row['id']}"
    raw = _padded_event(LIMIT + 1)
    content: Any = iter([raw[:1000], raw[1000:]]) if chunked else raw
    with unchanged(small_client):
        response = small_client.request(method, url, content=content, headers=JSON)
    assert_problem(response, 413)


def test_body_at_the_limit_is_accepted(small_client: TestClient) -> None:
    response = small_client.post("/events", content=_padded_event(LIMIT), headers=JSON)
    assert response.status_code == 201, response.text


# -- list parameters ----------------------------------------------------------------------------


BAD_LIMITS = ["0", "-1", "101", "abc", "1.5", "true", "", str(INT64_MAX + 1)]


@resources
def test_invalid_limit_is_422(client: TestClient, resource: Resource) -> None:
    for limit, check in each_case(BAD_LIMITS):
        with check:
            assert_param_error(client.get(resource.path, params={"limit": limit}), "limit")


@resources
def test_cursor_longer_than_its_max_length_is_422(client: TestClient, resource: Resource) -> None:
    assert_param_error(client.get(resource.path, params={"cursor": "A" * 2049}), "cursor")


@resources
def test_undeclared_query_parameter_is_422(client: TestClient, resource: Resource) -> None:
    """DESIGN.md: anything undeclared is a 422, never silently ignored."""
    resource.create(client)
    assert_param_error(client.get(resource.path, params={"colour": "red"}), "colour")


# -- methods: 405 -------------------------------------------------------------------------------


def _allowed(path: str) -> set[str]:
    return {method.upper() for method in CONTRACT["paths"][path]}


@pytest.mark.parametrize(
    ("method", "url", "template"),
    [
        ("POST", "/events/1", "/events/{event_id}"),
        ("PUT", "/events", "/events"),
        ("DELETE", "/events", "/events"),
        ("OPTIONS", "/events", "/events"),
        ("TRACE", "/events/1", "/events/{event_id}"),
        ("POST", "/images/1", "/images/{image_id}"),
        ("PATCH", "/images", "/images"),
    ],
)
def test_unsupported_method_is_405_with_allow(
    client: TestClient, method: str, url: str, template: str
) -> None:
    create_event(client)
    with unchanged(client):
        response = client.request(method, url)
    assert_problem(response, 405)
    allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",") if m.strip()}
    assert _allowed(template) <= allow, f"Allow: {response.headers.get('allow')!r}"
    assert allow - _allowed(template) <= {"HEAD", "OPTIONS"}, f"Allow: {allow}"
