"""The bad-input catalogue: every kind of input that broke the APIs in DESIGN.md's
reliability study, each answered with the right 4xx problem and an unchanged database.

One test per kind of input. Each asserts the status, the problem+json body (``type``,
``title``, ``status``, ``detail`` and, for invalid values, the ``errors`` pointers), that
no SQL text leaks, and that the stored rows are the same before and after. Some of these
are also covered, more broadly, in ``test_errors.py`` and ``test_constraints.py``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from fastapi.testclient import TestClient

from app.core.domain.errors import MAX_LISTED_ERRORS
from tests.api.helpers import (
    INT64_MAX,
    MERGE_PATCH,
    assert_no_sql,
    assert_problem,
    create_event,
    create_image,
    event_body,
    image_body,
    other_app_client,
    unchanged,
)

JSON = {"content-type": "application/json"}
PATCH = {"content-type": MERGE_PATCH}
INVALID_VALUES = "The request has invalid values; see errors."
INVALID_PARAMETERS = "The request has invalid parameters; see errors."
NOT_AN_OBJECT = "The body must be a JSON object."
EXTRA = "Extra inputs are not permitted"
INT32_OVERFLOW = 2**31  # 2147483648
INT64_OVERFLOW = 2**63  # 9223372036854775808
INT64_UNDERFLOW = -(2**63) - 1  # -9223372036854775809
THOUSANDS_OF_DIGITS = "1" + "0" * 5000


def _json(body: Any) -> bytes:
    """``body`` as JSON bytes; unlike orjson, the standard library writes any integer."""
    return json.dumps(body, separators=(",", ":")).encode()


def unparsable(reason: str) -> re.Pattern[str]:
    """The 400 detail of a body the JSON parser refused, for ``reason``."""
    return re.compile(rf"The body could not be parsed as JSON: .*{re.escape(reason)}.*\.")


def assert_refused(
    response: httpx2.Response,
    status: int,
    detail: str | re.Pattern[str],
    *,
    title: str | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A problem of ``status`` with exactly this detail and, when given, exactly these
    ``errors`` (pointer -> detail); no SQL in it."""
    problem = assert_problem(response, status, pointers=tuple(errors or ()))
    assert problem["type"] == "about:blank", problem
    assert problem["title"] == (title or HTTPStatus(status).phrase), problem
    if isinstance(detail, re.Pattern):
        assert detail.fullmatch(problem.get("detail", "")), problem
    else:
        assert problem.get("detail") == detail, problem
    if errors is None:
        assert "errors" not in problem, problem
    else:
        assert {e["pointer"]: e["detail"] for e in problem["errors"]} == errors, problem
    assert_no_sql(problem)
    return problem


@pytest.fixture
def rows(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored event and an image of it, so that every refused write has rows to spoil."""
    event = create_event(client, name="Launch", location="Lyon")
    return event, create_image(client, event["id"])


def _raw_event(field: str, raw: str) -> bytes:
    """A valid event body but for ``field``, written as the raw JSON ``raw``."""
    return f'{{"name":"x","starts_at":"2026-01-01T10:00:00Z","{field}":{raw}}}'.encode()


def _writes(
    rows: tuple[dict[str, Any], dict[str, Any]], body: bytes, *, resource: str = "events"
) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
    """The same body sent to create, replace and update: (method, url, body, headers)."""
    row = rows[0] if resource == "events" else rows[1]
    yield "POST", f"/{resource}", body, JSON
    yield "PUT", f"/{resource}/{row['id']}", body, JSON
    yield "PATCH", f"/{resource}/{row['id']}", body, PATCH


# -- NUL bytes ----------------------------------------------------------------------------------

NUL_PATTERN = "String should match pattern '^[^\\u0000]*$'"


def test_nul_byte_in_a_body_field(client: TestClient, rows: Any) -> None:
    body = _json(event_body(name="a\x00b"))
    for method, url, raw, headers in _writes(rows, body):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        assert_refused(response, 422, INVALID_VALUES, errors={"/name": NUL_PATTERN})


def test_nul_byte_in_a_nested_array_item(client: TestClient, rows: Any) -> None:
    body = _json(event_body(tags=["ok", "b\x00d"]))
    for method, url, raw, headers in _writes(rows, body):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        assert_refused(response, 422, INVALID_VALUES, errors={"/tags/1": NUL_PATTERN})


@pytest.mark.usefixtures("rows")
def test_nul_byte_in_the_custom_routes_path_parameter(client: TestClient) -> None:
    with unchanged(client):
        response = client.get("/events/by-location/Ly%00on")
    assert_refused(response, 422, INVALID_PARAMETERS, errors={"path:/location": NUL_PATTERN})


# -- text that is not Unicode -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b'"\\ud800"', b'"\\udfff"', b'"a\\ud83d"', b'["ok", "\\ud800x"]'],
    ids=["lone-high", "lone-low", "high-at-the-end", "in-an-array"],
)
def test_lone_surrogate_escape_in_a_json_body(client: TestClient, rows: Any, raw: bytes) -> None:
    field = "tags" if raw.startswith(b"[") else "name"
    for method, url, body, headers in _writes(rows, _raw_event(field, raw.decode())):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        assert_refused(response, 400, unparsable("escape"), title="Malformed JSON")


@pytest.mark.parametrize(
    "raw",
    [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"],
    ids=["ff", "truncated-sequence", "encoded-surrogate", "past-u10ffff"],
)
def test_invalid_utf8_bytes_in_a_body(client: TestClient, rows: Any, raw: bytes) -> None:
    body = b'{"name":"a' + raw + b'","starts_at":"2026-01-01T10:00:00Z"}'
    for method, url, sent, headers in _writes(rows, body):
        with unchanged(client):
            response = client.request(method, url, content=sent, headers=headers)
        assert_refused(response, 400, unparsable("line 1 column"), title="Malformed JSON")


# -- integers past their range ------------------------------------------------------------------

OVERFLOWS = [INT32_OVERFLOW, INT64_OVERFLOW, INT64_UNDERFLOW]


@pytest.mark.parametrize("number", OVERFLOWS)
def test_integer_past_the_declared_range_in_a_body(
    client: TestClient, rows: Any, number: int
) -> None:
    bound = "greater than or equal to 0" if number < 0 else "less than or equal to 100000"
    for method, url, raw, headers in _writes(rows, _json(event_body(capacity=number))):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        assert_refused(
            response, 422, INVALID_VALUES, errors={"/capacity": f"Input should be {bound}"}
        )


@pytest.mark.parametrize("number", OVERFLOWS)
def test_integer_past_int64_in_a_body_reference(client: TestClient, rows: Any, number: int) -> None:
    body = _json(image_body(number))
    for method, url, raw, headers in _writes(rows, body, resource="images"):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        if number == INT32_OVERFLOW:  # a valid id, of no event
            detail, error = f"No Event matches event_id={number}.", "refers to a missing row"
        elif number < 0:
            detail, error = INVALID_VALUES, "Input should be greater than or equal to 1"
        else:
            detail, error = INVALID_VALUES, f"Input should be less than or equal to {INT64_MAX}"
        assert_refused(response, 422, detail, errors={"/event_id": error})


def test_integer_of_thousands_of_digits_in_a_body(client: TestClient, rows: Any) -> None:
    raw = _raw_event("capacity", THOUSANDS_OF_DIGITS)
    for method, url, body, headers in _writes(rows, raw):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        assert_refused(response, 400, unparsable("number out of range"), title="Malformed JSON")


# Path ids and query parameters as written in the URL; int() refuses 5,001 digits.
WRITTEN_PAST_INT64 = [
    *(pytest.param(str(number), id=str(number)) for number in OVERFLOWS),
    pytest.param(THOUSANDS_OF_DIGITS, id="5001-digits"),
]
UNPARSABLE_INTEGER = "Unable to parse input string as an integer, exceeded maximum size"


@pytest.mark.parametrize("number", WRITTEN_PAST_INT64)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_integer_past_int64_in_a_path_id(
    client: TestClient, rows: Any, method: str, number: str
) -> None:
    event, _ = rows
    for path, name, body in (
        ("events", "event_id", event_body(name="Other")),
        ("images", "image_id", image_body(event["id"])),
    ):
        sent = _json(body) if method in ("PUT", "PATCH") else None
        headers = PATCH if method == "PATCH" else JSON
        with unchanged(client):
            response = client.request(method, f"/{path}/{number}", content=sent, headers=headers)
        if number == str(INT32_OVERFLOW):  # a valid id that no row has
            resource = path[:-1].capitalize()
            assert_refused(response, 404, f"No {resource} has the id {number}.")
            continue
        if number == THOUSANDS_OF_DIGITS:
            error = UNPARSABLE_INTEGER
        elif number.startswith("-"):
            error = "Input should be greater than or equal to 1"
        else:
            error = f"Input should be less than or equal to {INT64_MAX}"
        assert_refused(response, 422, INVALID_PARAMETERS, errors={f"path:/{name}": error})


@pytest.mark.parametrize("number", WRITTEN_PAST_INT64)
@pytest.mark.parametrize("url", ["/events", "/images", "/events/by-location/Lyon"])
@pytest.mark.usefixtures("rows")
def test_integer_past_int64_in_a_query_parameter(client: TestClient, url: str, number: str) -> None:
    if number == THOUSANDS_OF_DIGITS:
        error = UNPARSABLE_INTEGER
    elif number.startswith("-"):
        error = "Input should be greater than or equal to 1"
    else:
        error = "Input should be less than or equal to 100"
    with unchanged(client):
        response = client.get(url, params={"limit": number})
    assert_refused(response, 422, INVALID_PARAMETERS, errors={"query:/limit": error})


# -- numbers JSON cannot hold -------------------------------------------------------------------

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309"]


@pytest.mark.parametrize("literal", NON_FINITE)
def test_nan_infinity_and_1e309(client: TestClient, rows: Any, literal: str) -> None:
    cases = [
        ("capacity", literal, {"/capacity": "Input should be a valid integer"}),
        ("tags", f"[{literal}]", {"/tags/0": "Input should be a valid string"}),
        ("other", literal, {"/other": EXTRA}),
    ]
    for field, raw, errors in cases:
        for method, url, body, headers in _writes(rows, _raw_event(field, raw)):
            with unchanged(client):
                response = client.request(method, url, content=body, headers=headers)
            assert_refused(response, 422, INVALID_VALUES, errors=errors)
    with unchanged(client):
        response = client.post("/events", content=literal.encode(), headers=JSON)
    assert_refused(response, 422, NOT_AN_OBJECT)


# -- strings past maxLength ---------------------------------------------------------------------


def test_strings_past_max_length(client: TestClient, rows: Any) -> None:
    event, _ = rows
    cases = [
        ("events", event_body(name="n" * 201), "/name", 200),
        ("events", event_body(location="l" * 101), "/location", 100),
        ("events", event_body(tags=["t" * 31]), "/tags/0", 30),
        ("images", image_body(event["id"], url="https://x.example/" + "p" * 2031), "/url", 2048),
        ("images", image_body(event["id"], caption="c" * 501), "/caption", 500),
    ]
    for resource, body, pointer, limit in cases:
        error = f"String should have at most {limit} characters"
        for method, url, raw, headers in _writes(rows, _json(body), resource=resource):
            with unchanged(client):
                response = client.request(method, url, content=raw, headers=headers)
            assert_refused(response, 422, INVALID_VALUES, errors={pointer: error})
    with unchanged(client):
        response = client.get("/events/by-location/" + "l" * 101)
    error = "String should have at most 100 characters"
    assert_refused(response, 422, INVALID_PARAMETERS, errors={"path:/location": error})


# -- huge and deep bodies -----------------------------------------------------------------------

DEPTH = 10_000


@pytest.mark.parametrize(
    "raw",
    [
        _raw_event("tags", "[" * DEPTH + "]" * DEPTH),
        b"[" * DEPTH + b"]" * DEPTH,
        b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    ],
    ids=["arrays-in-a-field", "arrays-at-the-top", "objects-at-the-top"],
)
def test_deeply_nested_json(client: TestClient, rows: Any, raw: bytes) -> None:
    for method, url, body, headers in _writes(rows, raw):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        assert_refused(
            response, 400, unparsable("recursion limit exceeded"), title="Malformed JSON"
        )


def test_huge_body_under_the_limit_with_many_keys(client: TestClient, rows: Any) -> None:
    """80,000 unknown keys: a 422 whose errors are capped, not a 5 MB answer."""
    keys = 80_000
    raw = _json(event_body(**dict.fromkeys((f"k{i:05}" for i in range(keys)), 0)))
    assert 800_000 < len(raw) < 1_048_576  # under the default limit
    for method, url, body, headers in _writes(rows, raw):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        detail = (
            f"The request has {keys} invalid values; errors lists the first {MAX_LISTED_ERRORS}."
        )
        problem = assert_problem(response, 422, pointers=("/k00000",))
        assert problem["detail"] == detail, problem["detail"]
        assert len(problem["errors"]) == MAX_LISTED_ERRORS
        assert {e["detail"] for e in problem["errors"]} == {EXTRA}
        assert len(response.content) < 20_000


def test_huge_array_under_the_limit(client: TestClient, rows: Any) -> None:
    raw = _json(event_body(tags=["t"] * 200_000))
    for method, url, body, headers in _writes(rows, raw):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        error = "List should have at most 20 items after validation, not 200000"
        assert_refused(response, 422, INVALID_VALUES, errors={"/tags": error})


# -- bodies over the limit: 413 -----------------------------------------------------------------

LIMIT = 2048


@pytest.fixture
def small_client(tmp_path: Path) -> Iterator[TestClient]:
    with other_app_client(tmp_path, max_body_bytes=LIMIT) as client:
        yield client


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_configured_limit(small_client: TestClient, chunked: bool) -> None:
    rows = (create_event(small_client), create_image(small_client))
    raw = _json(event_body(name="Big", location=" " * 100, tags=["t" * 30] * 100))
    assert len(raw) > LIMIT
    for method, url, body, headers in _writes(rows, raw):
        content: Any = iter([body[:1000], body[1000:]]) if chunked else body
        with unchanged(small_client):
            response = small_client.request(method, url, content=content, headers=headers)
        title = HTTPStatus(413).phrase
        assert_refused(response, 413, f"The body is larger than {LIMIT} bytes.", title=title)


# -- media types: 415 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/xml", "application/x-www-form-urlencoded", "json"],
)
def test_wrong_or_missing_content_type(
    client: TestClient, rows: Any, content_type: str | None
) -> None:
    body = _json(event_body(name="Typed"))
    for method, url, raw, _ in _writes(rows, body):
        headers = {} if content_type is None else {"content-type": content_type}
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        accepted = f"{MERGE_PATCH}, application/json" if method == "PATCH" else "application/json"
        assert_refused(response, 415, f"Send the body as {accepted}.")
        assert response.headers["accept"] == accepted


# -- malformed JSON: 400 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"{", b"", b'{"name": "x",}', b"{'name': 'x'}", b'{"name": "x"} trailing', b"{name: 1}"],
    ids=["unclosed", "empty", "trailing-comma", "single-quotes", "trailing-text", "bare-key"],
)
def test_malformed_json(client: TestClient, rows: Any, raw: bytes) -> None:
    for method, url, body, headers in _writes(rows, raw):
        with unchanged(client):
            response = client.request(method, url, content=body, headers=headers)
        assert_refused(response, 400, unparsable("line 1 column"), title="Malformed JSON")


# -- unknown fields: 422 ------------------------------------------------------------------------


def test_unknown_fields(client: TestClient, rows: Any) -> None:
    event, _ = rows
    cases = [
        ("events", event_body(venue="Hall"), {"/venue": EXTRA}),
        (
            "events",
            event_body(id=99, created_at="2026-01-01T00:00:00Z"),
            {"/id": EXTRA, "/created_at": EXTRA},
        ),
        ("images", image_body(event["id"], size=1), {"/size": EXTRA}),
    ]
    for resource, body, errors in cases:
        for method, url, raw, headers in _writes(rows, _json(body), resource=resource):
            with unchanged(client):
                response = client.request(method, url, content=raw, headers=headers)
            assert_refused(response, 422, INVALID_VALUES, errors=errors)


# -- stored data: 409 and 422 -------------------------------------------------------------------


def test_unique_violation_is_409_naming_the_fields_and_values(
    client: TestClient, rows: Any
) -> None:
    event, _ = rows
    other = create_event(client, name="Other")
    taken = {"/name": "already taken", "/starts_at": "already taken"}
    detail = 'Another row already has name="Launch", starts_at="2026-01-01T10:00:00+00:00".'
    for method, url, body in [
        ("POST", "/events", event_body(name="Launch")),
        ("PUT", f"/events/{other['id']}", event_body(name="Launch")),
        ("PATCH", f"/events/{other['id']}", {"name": "Launch"}),  # starts_at is the stored one
    ]:
        headers = PATCH if method == "PATCH" else JSON
        with unchanged(client):
            response = client.request(method, url, content=_json(body), headers=headers)
        assert_refused(response, 409, detail, errors=taken)
    assert event["name"] == "Launch"


def test_reference_to_a_missing_parent_row(client: TestClient, rows: Any) -> None:
    event, _ = rows
    missing = event["id"] + 1000
    body = _json(image_body(missing))
    for method, url, raw, headers in _writes(rows, body, resource="images"):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        errors = {"/event_id": "refers to a missing row"}
        assert_refused(response, 422, f"No Event matches event_id={missing}.", errors=errors)


# -- cursors: 400 -------------------------------------------------------------------------------


MISMATCH = (
    "The cursor was issued for another sort or other filters; "
    "repeat the sort and filters of the first page, or drop the cursor."
)


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


@pytest.mark.usefixtures("rows")
def test_tampered_cursor(client: TestClient) -> None:
    create_event(client, name="Second")
    cursor = client.get("/events", params={"limit": 1}).json()["next_cursor"]
    assert isinstance(cursor, str)
    ordering, bound, (starts_at, row_id) = orjson.loads(base64.urlsafe_b64decode(cursor + "=="))
    # The cursor as issued, re-encoded, is taken: each case below differs in one way.
    reencoded = _cursor([ordering, bound, [starts_at, row_id]])
    assert client.get("/events", params={"cursor": reencoded}).status_code == 200
    tampered = {
        "not-base64": "!!" + cursor,
        "truncated": cursor[: len(cursor) // 2],
        "flipped": cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:],
        "not-json": _cursor("x")[:-2] + "!x",
        "no-filters-part": _cursor([ordering, [starts_at, row_id]]),
        "filters-part-not-a-string": _cursor([ordering, None, [starts_at, row_id]]),
        "ordering-not-a-string": _cursor([[ordering], bound, [starts_at, row_id]]),
        "extra-part": _cursor([ordering, bound, [starts_at, row_id], 1]),
        "string-id": _cursor([ordering, bound, [starts_at, str(row_id)]]),
        "true-id": _cursor([ordering, bound, [starts_at, True]]),
        "id-past-int64": _cursor([ordering, bound, [starts_at, INT64_OVERFLOW]]),
        "integer-as-date-time": _cursor([ordering, bound, [1767225600, row_id]]),
        "date-time-past-9999-in-utc": _cursor(
            [ordering, bound, ["9999-12-31T23:00:00-05:00", row_id]]
        ),
        "nul-in-date-time": _cursor([ordering, bound, [starts_at + "\x00", row_id]]),
        "extra-key-part": _cursor([ordering, bound, [starts_at, row_id, 1]]),
        "an-object": _cursor({"ordering": ordering}),
    }
    for name, value in tampered.items():
        with unchanged(client):
            response = client.get("/events", params={"cursor": value})
        assert response.status_code == 400, name
        detail = "The cursor is not one this list answered."
        assert_refused(response, 400, detail, title="Invalid cursor")
    # Well formed, but issued for another sort or other filters (or so it claims).
    mismatched = {
        "other-ordering": ({}, _cursor(["name,id", bound, [starts_at, row_id]])),
        "other-filters": ({}, _cursor([ordering, "0" * len(bound), [starts_at, row_id]])),
        "asked-with-another-sort": ({"sort": "starts_at"}, cursor),
        "asked-with-a-filter": ({"location": "Lyon"}, cursor),
    }
    for name, (params, value) in mismatched.items():
        with unchanged(client):
            response = client.get("/events", params={**params, "cursor": value})
        assert response.status_code == 400, name
        assert_refused(response, 400, MISMATCH, title="Cursor mismatch")


# -- null and lax types -------------------------------------------------------------------------


def test_patch_null_on_a_non_nullable_field(client: TestClient, rows: Any) -> None:
    event, image = rows
    cases = [
        ("events", event, "name", "Input should be a valid string"),
        ("events", event, "starts_at", "Input should be a valid datetime"),
        ("events", event, "capacity", "Input should be a valid integer"),
        ("events", event, "status", "Input should be 'draft', 'published' or 'cancelled'"),
        ("events", event, "tags", "Input should be a valid array"),
        ("images", image, "url", "Input should be a valid string"),
        ("images", image, "width", "Input should be a valid integer"),
        ("images", image, "event_id", "Input should be a valid integer"),
    ]
    for resource, row, field, error in cases:
        with unchanged(client):
            response = client.patch(
                f"/{resource}/{row['id']}", content=_json({field: None}), headers=PATCH
            )
        assert_refused(response, 422, INVALID_VALUES, errors={f"/{field}": error})


def test_true_as_an_integer(client: TestClient, rows: Any) -> None:
    event, _ = rows
    cases = [
        ("events", event_body(capacity=True), "/capacity"),
        ("images", image_body(event["id"], width=True), "/width"),
        ("images", image_body(True), "/event_id"),
    ]
    for resource, body, pointer in cases:
        for method, url, raw, headers in _writes(rows, _json(body), resource=resource):
            with unchanged(client):
                response = client.request(method, url, content=raw, headers=headers)
            error = "Input should be a valid integer"
            assert_refused(response, 422, INVALID_VALUES, errors={pointer: error})


def test_integer_as_a_date_time(client: TestClient, rows: Any) -> None:
    body = _json(event_body(starts_at=1767225600))
    for method, url, raw, headers in _writes(rows, body):
        with unchanged(client):
            response = client.request(method, url, content=raw, headers=headers)
        error = "Input should be a valid datetime"
        assert_refused(response, 422, INVALID_VALUES, errors={"/starts_at": error})
