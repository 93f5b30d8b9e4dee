"""Pushes through the real firebase_admin.messaging, aimed at the fake FCM server (no emulators
needed): the message it builds, the token it goes to, what FCM's answers become."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import firebase_admin
import pytest
from firebase_admin import messaging

from auraos_functions import clients, push
from auraos_functions.config import ConfigurationError, settings
from shared.models.assistant import Notification, NotificationKind
from tests.fakes.fcm_server import FakeFCMServer

NOTIFICATION = Notification(
    kind=NotificationKind.REMINDER,
    title="Reminder",
    body="water the plants",
    created_at=datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
    ref="users/u1/reminders/r1",
)


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GCLOUD_PROJECT", "demo-unit")
    monkeypatch.delenv("AURAOS_FCM_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.fixture
def fcm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFCMServer]:
    with FakeFCMServer() as server:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
        monkeypatch.setenv("AURAOS_FCM_EMULATOR_HOST", server.host)
        settings.cache_clear()
        yield server


def _app() -> firebase_admin.App:
    app = clients.messaging_app()
    assert app is not None
    return app


def _message(token: str) -> messaging.Message:
    return push.notification_message(
        token=token, notification_id="reminder-r1", notification=NOTIFICATION
    )


def test_the_message_is_a_web_push_notification_with_the_notifications_data() -> None:
    encoded = messaging._MessagingService.encode_message(_message("tok-1"))

    assert encoded == {
        "token": "tok-1",
        "notification": {"title": "Reminder", "body": "water the plants"},
        "data": {
            "kind": "reminder",
            "notificationId": "reminder-r1",
            "ref": "users/u1/reminders/r1",
        },
        "webpush": {"headers": {"Urgency": "high", "TTL": "86400"}},
    }


def test_each_token_gets_its_message_through_the_sdk(fcm: FakeFCMServer) -> None:
    outcomes = push.send_each(app=_app(), messages=[_message("tok-1"), _message("tok-2")])

    assert [o.token for o in outcomes] == ["tok-1", "tok-2"]
    assert all(
        o.message_id and o.message_id.startswith("projects/demo-unit/messages/") for o in outcomes
    )
    assert sorted(str(sent.token) for sent in fcm.sent) == ["tok-1", "tok-2"]
    assert {sent.project for sent in fcm.sent} == {"demo-unit"}
    assert fcm.sent[0].message["notification"] == {"title": "Reminder", "body": "water the plants"}


def test_a_token_fcm_no_longer_knows_is_reported_unregistered(fcm: FakeFCMServer) -> None:
    fcm.unregister("tok-gone")

    outcomes = push.send_each(app=_app(), messages=[_message("tok-gone"), _message("tok-ok")])

    gone, ok = outcomes
    assert (gone.unregistered, gone.message_id) == (True, None)
    assert "UnregisteredError" in str(gone.error)
    assert (ok.unregistered, ok.message_id is not None) == (False, True)


def test_an_fcm_outage_is_an_outcome_not_an_exception(fcm: FakeFCMServer) -> None:
    fcm.fail_with(403)

    (outcome,) = push.send_each(app=_app(), messages=[_message("tok-1")])

    assert outcome.message_id is None
    assert outcome.unregistered is False
    assert len(fcm.sent) == 1


def test_nothing_to_send_sends_nothing(fcm: FakeFCMServer) -> None:
    assert push.send_each(app=_app(), messages=[]) == []
    assert fcm.sent == []


def test_under_the_emulators_without_a_local_fcm_no_push_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    settings.cache_clear()
    assert clients.messaging_app() is None


def test_a_local_fcm_is_refused_outside_the_emulators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURAOS_FCM_EMULATOR_HOST", "127.0.0.1:9999")
    with pytest.raises(ConfigurationError, match="only for the emulators"):
        settings()


@pytest.mark.parametrize("host", ["fcm.example.com:443", "http://127.0.0.1:9", "10.0.0.1:80"])
def test_a_local_fcm_must_be_on_loopback(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    monkeypatch.setenv("AURAOS_FCM_EMULATOR_HOST", host)
    with pytest.raises(ConfigurationError, match="loopback"):
        settings()


def test_the_sdk_still_keeps_the_send_url_where_clients_points_it() -> None:
    """clients._fake_fcm_app relies on these private names of firebase-admin's messaging."""
    assert messaging._MessagingService.FCM_URL.startswith("https://fcm.googleapis.com/v1/")
    app = firebase_admin.initialize_app(
        credential=clients._NoCredential(), options={"projectId": "p"}, name="unit-sdk-probe"
    )
    try:
        service = messaging._get_messaging_service(app)
        assert service._fcm_url == "https://fcm.googleapis.com/v1/projects/p/messages:send"
    finally:
        firebase_admin.delete_app(app)
