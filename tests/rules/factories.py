"""Shared identities and document builders matching the AuraOS data contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from .client import Emulator, FirestoreClient, Outcome, assert_allowed, assert_denied

ALICE = "alice"
BOB = "bob"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
LONG_AGO = T0 - timedelta(days=30)

Actor = Literal["owner", "other", "admin", "anonymous"]
Expect = Literal["allow", "deny"]


def actor(db: Emulator, who: Actor) -> FirestoreClient:
    """Client for a role relative to Alice's data: owner = Alice, other = Bob."""
    if who == "owner":
        return db.as_user(ALICE)
    if who == "other":
        return db.as_user(BOB)
    if who == "admin":
        return db.as_admin()
    return db.as_anonymous()


def check(outcome: Outcome, expected: Expect) -> None:
    """Assert the exact outcome: 200 for allow, 403 PERMISSION_DENIED for deny."""
    if expected == "allow":
        assert_allowed(outcome)
    else:
        assert_denied(outcome)


def profile(uid: str = ALICE, *, analytics: bool = True) -> dict[str, object]:
    """A users/{uid} document as written by the sign-in trigger."""
    return {
        "email": f"{uid}@example.com",
        "displayName": uid.title(),
        "avatarUrl": None,
        "createdAt": LONG_AGO,
        "updatedAt": LONG_AGO,
        "lastLoginAt": T0,
        "isActive": True,
        "role": "user",
        "consent": {"analytics": analytics, "personalization": False, "updatedAt": LONG_AGO},
    }


def conversation() -> dict[str, object]:
    """A conversation document including server-managed fields."""
    return {
        "title": "Trip ideas",
        "createdAt": LONG_AGO,
        "updatedAt": T0,
        "summary": "Planning a trip.",
        "turnCount": 2,
        "usage": {"inputTokens": 120, "outputTokens": 480},
        "settings": {"model": "gemini-1.5-flash"},
    }


def turn(state: str = "COMPLETED") -> dict[str, object]:
    """A chat turn after the server processed it, with status.state = ``state``."""
    return {
        "prompt": "Plan a weekend in Lisbon",
        "createTime": T0,
        "response": "Day 1: Alfama ...",
        "intent": {"name": "travel.plan", "confidence": 0.93, "ranking": []},
        "entities": [{"type": "city", "value": "Lisbon"}],
        "sentiment": {"label": "positive", "score": 0.7},
        "status": {
            "state": state,
            "attempt": 1,
            "eventId": "evt-123",
            "leaseExpiresAt": T0,
            "startTime": T0,
            "completeTime": T0,
            "error": {"code": "", "message": ""},
        },
        "usage": {
            "provider": "vertex",
            "model": "gemini-1.5-flash",
            "inputTokens": 12,
            "outputTokens": 250,
            "latencyMs": 850,
            "cost": 0.0004,
        },
        "attempts": [],
    }


def event(
    uid: str = ALICE, event_type: str = "page_view", data: dict[str, object] | None = None
) -> dict[str, object]:
    """An analytics event body without createTime (sent as a REQUEST_TIME transform)."""
    return {
        "uid": uid,
        "type": event_type,
        "data": {"path": "/home"} if data is None else data,
        "sessionId": "sess-1",
        "clientTime": T0,
    }
