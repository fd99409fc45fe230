"""custom/ packages that do not fit the generated resources stop start-up with the reason."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.core.operations.discovery import ExtensionError, discover
from app.main import create_app
from generated.registry import RESOURCES
from tests.api.helpers import FIXTURES, create_event, other_app_client


def _start(settings: Settings, fixture: str) -> None:
    create_app(settings, custom_package=f"{FIXTURES}.{fixture}")


def test_a_folder_named_after_no_resource_stops_startup(settings: Settings) -> None:
    with pytest.raises(ExtensionError) as raised:
        _start(settings, "unknown_resource")
    message = str(raised.value)
    assert f"{FIXTURES}.unknown_resource.ticket" in message
    assert "'ticket'" in message
    for known in ("event", "image", "performer", "venue"):
        assert known in message, "the message should list the resources that exist"


def test_a_hook_of_no_operation_stops_startup(settings: Settings) -> None:
    with pytest.raises(ExtensionError) as raised:
        _start(settings, "unknown_hook")
    message = str(raised.value)
    assert f"{FIXTURES}.unknown_hook.image.service.ArchivingImageService" in message
    assert "before_archive" in message
    assert "before_create" in message, "the message should list the hooks that exist"


def test_two_custom_services_for_one_resource_stop_startup(settings: Settings) -> None:
    with pytest.raises(ExtensionError) as raised:
        _start(settings, "two_services")
    message = str(raised.value)
    assert "Image" in message
    assert f"{FIXTURES}.two_services.image.service.ImageService" in message
    assert f"{FIXTURES}.two_services.image.audit.AuditedImageService" in message


def test_two_custom_repositories_for_one_resource_stop_startup(settings: Settings) -> None:
    with pytest.raises(ExtensionError) as raised:
        _start(settings, "two_repositories")
    message = str(raised.value)
    assert "Event" in message
    assert f"{FIXTURES}.two_repositories.event.repository.EventRepository" in message
    assert f"{FIXTURES}.two_repositories.event.repository.ArchiveEventRepository" in message


def test_a_hook_of_an_operation_the_resource_lacks_stops_discovery() -> None:
    """Every example resource has all six operations, so the spec is trimmed here."""
    bindings = [
        dataclasses.replace(b, operations=b.operations - {"delete"}) if b.name == "Event" else b
        for b in RESOURCES
    ]
    with pytest.raises(ExtensionError) as raised:
        discover(f"{FIXTURES}.missing_operation", bindings)
    message = str(raised.value)
    assert f"{FIXTURES}.missing_operation.event.service.EventService.before_delete" in message
    assert "'delete'" in message
    assert "specs/event.yaml" in message


def test_the_same_service_is_accepted_when_the_operation_exists() -> None:
    found = discover(f"{FIXTURES}.missing_operation", RESOURCES)
    event = next(b for b in RESOURCES if b.name == "Event")
    service = found.service_for(event)
    assert service.__module__ == f"{FIXTURES}.missing_operation.event.service"
    assert issubclass(service, event.service)


def test_a_custom_route_on_a_generated_operation_stops_startup(settings: Settings) -> None:
    """A custom GET /events/{event_id} would answer instead of get_event while the served
    contract still shows get_event: the contract and the app would disagree silently."""
    with pytest.raises(ExtensionError, match=re.escape("/events/{event_id}")):
        _start(settings, "shadowing_route")


def test_a_custom_route_on_the_runtimes_own_stops_startup(settings: Settings) -> None:
    with pytest.raises(ExtensionError, match=re.escape("GET /health")):
        _start(settings, "shadowing_health")


def test_the_shipped_custom_package_is_accepted(tmp_path: Path) -> None:
    with other_app_client(tmp_path, custom_package="custom") as client:
        event = create_event(client, location="Paris")
        assert client.get("/events/by-location/Paris").json() == [event]


def test_without_custom_code_the_example_names_each_action_to_write(settings: Settings) -> None:
    """specs/event.yaml declares publish and stats: the generated stubs never serve them."""
    with pytest.raises(ExtensionError) as raised:
        create_app(settings, custom_package=None)
    message = str(raised.value)
    assert message.splitlines() == [
        "specs/event.yaml: action publish has no implementation; write async def publish(self, "
        "event_id: int, body: EventPublishRequest) -> EventRead in a subclass of "
        "EventServiceBase in custom/event/service.py",
        "specs/event.yaml: action stats has no implementation; write async def stats(self, "
        "query: EventStatsQuery) -> EventStatsResponse in a subclass of EventServiceBase in "
        "custom/event/service.py",
    ]


def test_a_rejected_startup_leaves_a_good_app_startable(settings: Settings) -> None:
    with pytest.raises(ExtensionError):
        _start(settings, "unknown_resource")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/events").status_code == 200


def test_a_custom_service_that_overrides_update_without_any_extra_keyword_is_served(
    tmp_path: Path,
) -> None:
    """The request boundary decides when a write commits: an override takes the base's
    own signature (no keyword of the endpoint's to pass on) and start-up accepts it."""
    with other_app_client(tmp_path, custom_package=f"{FIXTURES}.narrow_update") as client:
        row = create_event(client, name="Narrow")
        response = client.patch(
            f"/events/{row['id']}",
            json={"capacity": 9},
            headers={"content-type": "application/merge-patch+json", "if-match": '"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.json()["capacity"] == 9
        assert client.get(f"/events/{row['id']}").json() == response.json()
