"""Rules for analytics_events/{eventId}: own, consented, schema-checked creates only."""

from __future__ import annotations

import pytest

from .client import Emulator, Outcome, assert_allowed, assert_denied, request_time_like
from .factories import ALICE, BOB, T0, Actor, Expect, actor, check, event, profile

pytestmark = pytest.mark.emulators

EVENT_ID = "evt_0001-abcd"
EVENT = f"analytics_events/{EVENT_ID}"


@pytest.fixture(autouse=True)
def _profiles(db: Emulator) -> None:
    db.seed(f"users/{ALICE}", profile(ALICE, analytics=True))
    db.seed(f"users/{BOB}", profile(BOB, analytics=True))


def send(db: Emulator, body: dict[str, object], event_id: str = EVENT_ID) -> Outcome:
    """Alice creates an event with createTime = request.time."""
    return db.as_user(ALICE).create(
        f"analytics_events/{event_id}", body, server_time_fields=["createTime"]
    )


# ----------------------------------------------------------------- valid events

VALID: dict[str, tuple[str, dict[str, object]]] = {
    "app_open": ("app_open", {}),
    "page_view": ("page_view", {"path": "/chat"}),
    "page_view-256": ("page_view", {"path": "/" + "p" * 255}),
    "feature_used": ("feature_used", {"feature": "voice_input"}),
    "feature_used-64": ("feature_used", {"feature": "f" * 64}),
    "search": ("search", {"query": "lisbon weekend"}),
    "search-256": ("search", {"query": "q" * 256}),
    "recommendation_click": ("recommendation_click", {"itemId": "rec_42"}),
    "recommendation_click-64": ("recommendation_click", {"itemId": "i" * 64}),
    "error": ("error", {"code": "net/timeout", "message": "Request timed out"}),
    "error-caps": ("error", {"code": "c" * 64, "message": "m" * 512}),
}


@pytest.mark.parametrize(("event_type", "data"), list(VALID.values()), ids=list(VALID))
def test_owner_creates_valid_event(db: Emulator, event_type: str, data: dict[str, object]) -> None:
    """Each event type accepts exactly its data keys within the size caps."""
    body = event(ALICE, event_type, data)
    assert_allowed(send(db, body))
    stored = db.read(EVENT)
    assert stored is not None
    assert request_time_like(stored.pop("createTime"))
    assert stored == body


@pytest.mark.parametrize(
    ("event_id", "expected"),
    [
        pytest.param("a" * 8, "allow", id="8-chars"),
        pytest.param("A_b-" * 16, "allow", id="64-chars"),
        pytest.param("a" * 7, "deny", id="7-chars"),
        pytest.param("a" * 65, "deny", id="65-chars"),
        pytest.param("evt.0001abcd", "deny", id="dot"),
    ],
)
def test_event_id_format(db: Emulator, event_id: str, expected: Expect) -> None:
    """eventId must match ^[A-Za-z0-9_-]{8,64}$."""
    check(send(db, event(), event_id), expected)


# --------------------------------------------------------------- invalid events

INVALID_DATA: dict[str, tuple[str, dict[str, object]]] = {
    "unknown-type": ("purchase", {"sku": "x"}),
    "type-not-string": ("7", {}),
    "app_open-with-key": ("app_open", {"path": "/"}),
    "page_view-extra-key": ("page_view", {"path": "/", "referrer": "https://x.example"}),
    "page_view-missing-key": ("page_view", {}),
    "page_view-257": ("page_view", {"path": "/" + "p" * 256}),
    "page_view-not-string": ("page_view", {"path": 404}),
    "feature_used-65": ("feature_used", {"feature": "f" * 65}),
    "search-257": ("search", {"query": "q" * 257}),
    "search-wrong-key": ("search", {"q": "lisbon"}),
    "recommendation_click-65": ("recommendation_click", {"itemId": "i" * 65}),
    "error-missing-message": ("error", {"code": "E1"}),
    "error-code-65": ("error", {"code": "c" * 65, "message": "m"}),
    "error-message-513": ("error", {"code": "E1", "message": "m" * 513}),
}


@pytest.mark.parametrize(
    ("event_type", "data"), list(INVALID_DATA.values()), ids=list(INVALID_DATA)
)
def test_event_schema_enforced(db: Emulator, event_type: str, data: dict[str, object]) -> None:
    """Unknown types, extra/missing data keys, wrong types and oversize strings fail."""
    assert_denied(send(db, event(ALICE, event_type, data)))
    assert db.read(EVENT) is None


def test_data_must_be_a_map(db: Emulator) -> None:
    """data is a map even for app_open."""
    body = event()
    body["data"] = "/home"
    assert_denied(send(db, body))


BAD_ENVELOPE: dict[str, tuple[str, object]] = {
    "sessionId-129": ("sessionId", "s" * 129),
    "sessionId-not-string": ("sessionId", 12),
    "clientTime-string": ("clientTime", "2025-01-01T12:00:00Z"),
    "extra-ip": ("ip", "203.0.113.9"),
    "extra-response": ("response", "x"),
}


def test_session_id_at_cap_allowed(db: Emulator) -> None:
    """sessionId up to 128 characters is accepted."""
    body = {**event(), "sessionId": "s" * 128}
    assert_allowed(send(db, body))


@pytest.mark.parametrize(("key", "value"), list(BAD_ENVELOPE.values()), ids=list(BAD_ENVELOPE))
def test_event_envelope_enforced(db: Emulator, key: str, value: object) -> None:
    """Envelope keys are exactly uid, type, data, sessionId, clientTime, createTime."""
    assert_denied(send(db, {**event(), key: value}))


@pytest.mark.parametrize("key", ["uid", "type", "data", "sessionId", "clientTime"])
def test_event_envelope_keys_required(db: Emulator, key: str) -> None:
    """Dropping any required key is rejected."""
    body = event()
    del body[key]
    assert_denied(send(db, body))


@pytest.mark.parametrize("create_time", ["missing", "client-clock"])
def test_event_requires_server_create_time(db: Emulator, create_time: str) -> None:
    """createTime must equal request.time."""
    body = event()
    if create_time == "client-clock":
        body["createTime"] = T0
    assert_denied(db.as_user(ALICE).create(EVENT, body))


# ------------------------------------------------------------- identity / consent


def test_cannot_log_events_for_another_user(db: Emulator) -> None:
    """uid must be the caller's own uid."""
    assert_denied(send(db, event(BOB)))


def test_admin_cannot_log_events_for_a_user(db: Emulator) -> None:
    """Admins get no write power over other users' analytics."""
    outcome = db.as_admin().create(EVENT, event(ALICE), server_time_fields=["createTime"])
    assert_denied(outcome)


def test_anonymous_cannot_log_events(db: Emulator) -> None:
    """Signed-out clients send nothing."""
    outcome = db.as_anonymous().create(EVENT, event(ALICE), server_time_fields=["createTime"])
    assert_denied(outcome)


@pytest.mark.parametrize("state", ["consent-false", "no-consent-field", "no-profile"])
def test_analytics_consent_required(db: Emulator, state: str) -> None:
    """Events need users/{uid}.consent.analytics == true."""
    if state == "consent-false":
        db.seed(f"users/{ALICE}", profile(ALICE, analytics=False))
    elif state == "no-consent-field":
        stored = profile(ALICE)
        del stored["consent"]
        db.seed(f"users/{ALICE}", stored)
    else:
        db.remove(f"users/{ALICE}")
    assert_denied(send(db, event()))
    assert db.read(EVENT) is None


def test_personalization_consent_alone_is_not_enough(db: Emulator) -> None:
    """Only the analytics flag authorises analytics events."""
    stored = profile(ALICE, analytics=False)
    stored["consent"] = {"analytics": False, "personalization": True, "updatedAt": T0}
    db.seed(f"users/{ALICE}", stored)
    assert_denied(send(db, event()))


# ------------------------------------------------------------- read/update/delete


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "deny"), ("other", "deny"), ("anonymous", "deny"), ("admin", "allow")],
)
def test_get_event(db: Emulator, who: Actor, expected: Expect) -> None:
    """Events are write-only for users; only admins read them."""
    db.seed(EVENT, {**event(), "createTime": T0})
    check(actor(db, who).get(EVENT), expected)


@pytest.mark.parametrize(("who", "expected"), [("owner", "deny"), ("admin", "allow")])
def test_list_events(db: Emulator, who: Actor, expected: Expect) -> None:
    """Only admins may query analytics_events."""
    db.seed(EVENT, {**event(), "createTime": T0})
    check(actor(db, who).query("analytics_events"), expected)


@pytest.mark.parametrize("who", ["owner", "admin"])
@pytest.mark.parametrize("op", ["update", "delete"])
def test_events_are_immutable(db: Emulator, who: Actor, op: str) -> None:
    """No client updates or deletes an event, admins included."""
    db.seed(EVENT, {**event(), "createTime": T0})
    client = actor(db, who)
    outcome = client.update(EVENT, {"type": "app_open"}) if op == "update" else client.delete(EVENT)
    assert_denied(outcome)
    assert db.read(EVENT) == {**event(), "createTime": T0}
