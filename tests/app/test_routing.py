"""OperationRoute answers exactly what FastAPI's own handler answers, without its per-request work.

Two apps declare the same endpoint (the request, one service dependency that opens and
closes a resource, an id in the path), one with FastAPI's ``APIRoute`` and one with
``OperationRoute``; every answer must be the same, and the dependency must see the
same outcome (closed after success, given the error on failure).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations,
# and the aliases they use are local to _app.
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.core.errors import NOT_ALLOWED, Problem, install_error_handlers
from app.core.routing import OperationRoute
from app.core.types import INT64_MAX
from generated.event.router import build_router

RowId = Annotated[int, Path(ge=1, le=INT64_MAX)]


def _app(route_class: type[APIRoute], outcomes: list[str]) -> FastAPI:
    async def get_service(request: Request) -> AsyncIterator[str]:
        del request
        try:
            yield "service"
        except Problem:
            outcomes.append("rolled back")
            raise
        outcomes.append("committed")

    Service = Annotated[str, Depends(get_service, scope="function")]
    router = APIRouter(prefix="/things", route_class=route_class)

    @router.get("/{thing_id}/parts/{part_id}")
    async def get_part(request: Request, service: Service, thing_id: RowId,
                       part_id: RowId) -> Response:  # fmt: skip
        if thing_id == 404:
            raise Problem(404, f"No thing has the id {thing_id}.")
        body = f"{request.method} {service} {thing_id}/{part_id}"
        return Response(body, media_type="text/plain")

    @router.get("/{thing_id}/search")
    async def search(thing_id: RowId, q: str) -> dict[str, Any]:  # no service: FastAPI's
        return {"thing": thing_id, "q": q}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.router = router
    return app


PATHS = [
    "/things/1/parts/2",
    "/things/404/parts/1",  # the endpoint raises
    "/things/0/parts/1",
    "/things/abc/parts/x",  # two bad ids: both named
    "/things/9223372036854775808/parts/1",
    "/things/-1/parts/1",
    "/things/1.5/parts/1",
    "/things/%201/parts/1",
    "/things/1/search?q=hi",
    "/things/1/search",
    "/things/x/search?q=hi",
]


@pytest.mark.parametrize("path", PATHS)
def test_answers_are_fastapis(path: str) -> None:
    expected_outcomes: list[str] = []
    outcomes: list[str] = []
    with TestClient(_app(APIRoute, expected_outcomes)) as fastapi_client:
        expected = fastapi_client.get(path)
    app = _app(OperationRoute, outcomes)
    handlers = {route.name: route.get_route_handler() for route in app.state.router.routes
                if isinstance(route, OperationRoute)}  # fmt: skip
    assert _ours(handlers["get_part"])
    assert not _ours(handlers["search"])  # a query parameter: FastAPI's handler
    with TestClient(app) as client:
        answered = client.get(path)
    assert answered.status_code == expected.status_code
    assert answered.headers["content-type"] == expected.headers["content-type"]
    assert answered.content == expected.content
    assert outcomes == expected_outcomes


def test_the_dependency_closes_before_the_answer_and_sees_errors() -> None:
    outcomes: list[str] = []
    with TestClient(_app(OperationRoute, outcomes)) as client:
        assert client.get("/things/1/parts/2").text == "GET service 1/2"
        assert client.get("/things/404/parts/2").status_code == 404
    assert outcomes == ["committed", "rolled back"]


def test_generated_operations_take_the_precompiled_handler() -> None:
    router = build_router()
    routes = [route for route in router.routes if isinstance(route, APIRoute)]
    assert routes
    assert all(isinstance(route, OperationRoute) for route in routes)
    handlers = [(route.name, route.get_route_handler()) for route in routes]
    # Every operation but the hidden 405 route of /bulk (no service) is handled by
    # OperationRoute's own handler.
    assert {name for name, handler in handlers if not _ours(handler)} == {NOT_ALLOWED}
    assert len([name for name, handler in handlers if _ours(handler)]) == 11


def _ours(handler: Any) -> bool:
    return str(handler.__qualname__).startswith("OperationRoute.")


def test_path_ids_of_one_type_share_their_validator() -> None:
    from pydantic import ValidationError
    from pydantic.fields import FieldInfo

    from app.core.routing import _validator

    def field(annotation: Any) -> FieldInfo:
        return FieldInfo.from_annotation(annotation)

    first, second = _validator(field(RowId)), _validator(field(RowId))
    small = _validator(field(Annotated[int, Path(ge=1, le=9)]))
    assert first is second
    assert small is not first
    assert first.validate_python("12") == 12
    with pytest.raises(ValidationError):
        small.validate_python("12")
    with pytest.raises(ValidationError):
        first.validate_python("0")
