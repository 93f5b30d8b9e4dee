"""Typed errors, never INTERNAL, and nothing written for each class of bad callable input that
the fuzz suite (test_callable_fuzz.py) found; one focused test per defect."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from google.cloud import firestore

from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID

from ..helpers import FUNCTIONS, call_function, make_admin

RESERVED_IDS = ["__turn__", "__conv__"]
# (label, body, Content-Type): what the SDK could not parse (INTERNAL) or should not accept.
MALFORMED_BODIES: tuple[tuple[str, bytes, str], ...] = (
    ("empty", b"", "application/json"),
    ("not JSON", b"hello", "application/json"),
    ("truncated", b'{"data": {"prompt": "hi"', "application/json"),
    ("invalid UTF-8", b'{"data": "\xff\xfe"}', "application/json"),
    ("top-level array", b'[{"data": 1}]', "application/json"),
    ("top-level string", b'"metadata"', "application/json"),
    ("top-level number", b"12", "application/json"),
    ("top-level null", b"null", "application/json"),
    ("no data", b'{"prompt": "hi"}', "application/json"),
    ("extra key", b'{"data": {}, "x": 1}', "application/json"),
    ("100,000-deep", b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json"),
    ("unpaired surrogate", b'{"data": {"prompt": "\\ud800"}}', "application/json"),
    ("NaN", b'{"data": {"limit": NaN}}', "application/json"),
    ("Infinity", b'{"data": [-Infinity]}', "application/json"),
    ("form", b"data=1", "application/x-www-form-urlencoded"),
    ("no content type", b'{"data": {}}', ""),
)
NOT_IDS = ["a/b", ".", ".."]


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code != 500, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def consenting(new_user: Callable[..., SignedInUser]) -> SignedInUser:
    user = new_user()
    consent = call_function("setConsent", {"analytics": True}, id_token=user.id_token)
    assert consent.status_code == 200, consent.text
    return user


@pytest.mark.parametrize(
    ("body", "content_type"),
    [pytest.param(body, kind, id=label) for label, body, kind in MALFORMED_BODIES if kind],
)
def test_a_malformed_body_is_invalid_argument(
    new_user: Callable[..., SignedInUser], body: bytes, content_type: str
) -> None:
    """The SDK answered INTERNAL for bodies it could not parse; our boundary answers 400."""
    user = new_user()

    response = requests.post(
        f"{FUNCTIONS}/{PROJECT_ID}/us-central1/sendMessage",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {user.id_token}"},
        timeout=60,
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("field", ["turnId", "conversationId"])
@pytest.mark.parametrize("value", RESERVED_IDS + NOT_IDS)
def test_send_message_refuses_an_id_firestore_refuses_and_writes_nothing(
    db: firestore.Client, new_user: Callable[..., SignedInUser], field: str, value: str
) -> None:
    user = new_user()

    response = call_function("sendMessage", {"prompt": "hi", field: value}, id_token=user.id_token)

    assert error_of(response)["status"] == "INVALID_ARGUMENT"
    assert list(db.collection(paths.conversations(user.uid)).list_documents()) == []


# label -> (prompt, accepted); the same table as tests/rules/test_ids_and_lengths.py.
PROMPTS = {
    "4000-ascii": ("x" * 4000, True),
    "4001-ascii": ("x" * 4001, False),
    "2000-emoji": ("😀" * 2000, True),
    "2001-emoji": ("😀" * 2001, False),
    "4000-emoji": ("😀" * 4000, False),
    "4000-cjk": ("你" * 4000, True),
    "2600-combining": ("\u0301" * 2600, True),
}


@pytest.mark.parametrize("label", PROMPTS)
def test_send_message_counts_prompts_as_the_rules_do(
    db: firestore.Client, new_user: Callable[..., SignedInUser], label: str
) -> None:
    prompt, accepted = PROMPTS[label]
    user = new_user()

    response = call_function("sendMessage", {"prompt": prompt}, id_token=user.id_token)

    if accepted:
        assert response.status_code == 200, response.text
        return
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert re.search(
        r"The message is [\d,]+ characters? too long; the limit is 4,000 \(an emoji counts as 2\)"
        r"\. Shorten it and send it again\.$",
        error["message"],
    ), error["message"]
    assert list(db.collection(paths.conversations(user.uid)).list_documents()) == []


def test_track_events_validates_the_whole_batch_before_writing(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """A bad event anywhere is rejected on its own: the others are stored whatever its place."""
    user = consenting(new_user)
    now = utc_now().isoformat()

    def event(event_id: str, client_time: str = now) -> dict[str, Any]:
        return {
            "eventId": event_id,
            "type": "app_open",
            "sessionId": "s",
            "clientTime": client_time,
        }

    events = [
        event("evt-batch-1"),
        event("evt-batch-2"),
        event("evt-batch-3", "0001-01-01T00:00:00+05:00"),
        event("evt-batch-4", "9999-12-31T23:59:59-05:00"),
        event("__evt-batch__"),
        event("evt-batch-6"),
    ]

    response = call_function("trackEvents", {"events": events}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert [r["status"] for r in result["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert "clientTime" in result["results"][2]["error"]
    assert "reserved" in result["results"][4]["error"]
    stored = sorted(d.id for d in db.collection(paths.ANALYTICS_EVENTS).list_documents())
    assert stored == ["evt-batch-1", "evt-batch-2", "evt-batch-6"]


@pytest.mark.parametrize("alert_id", RESERVED_IDS + NOT_IDS)
def test_acknowledge_alert_refuses_ids_firestore_refuses(
    new_user: Callable[..., SignedInUser], alert_id: str
) -> None:
    admin = make_admin(new_user("root@example.com"))

    response = call_function("acknowledgeAlert", {"alertId": alert_id}, id_token=admin.id_token)

    assert error_of(response)["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("name", ["setUserActive", "setUserRole"])
@pytest.mark.parametrize(
    "uid", ["", "u" * 1_000_000, "__turn__", "a/b"], ids=["empty", "1MB", "reserved", "slash"]
)
def test_admin_callables_refuse_a_uid_that_cannot_be_one(
    db: firestore.Client, new_user: Callable[..., SignedInUser], name: str, uid: str
) -> None:
    admin = make_admin(new_user("root@example.com"))

    response = call_function(
        name, {"uid": uid, "active": False, "role": "admin"}, id_token=admin.id_token
    )

    assert error_of(response)["status"] == "INVALID_ARGUMENT"
    assert list(db.collection(paths.AUDIT_LOGS).list_documents()) == []


@pytest.mark.parametrize(
    ("first", "last"),
    [("9999-12-30", "9999-12-31"), ("9999-12-31", "9999-12-31"), (None, None)],
)
def test_analytics_summary_refuses_far_future_days(
    new_user: Callable[..., SignedInUser], first: str | None, last: str | None
) -> None:
    """9999-12-31 has no next day (it was INTERNAL); no day after tomorrow has data."""
    admin = make_admin(new_user("root@example.com"))
    today = utc_now().date()
    start = first or (today + timedelta(days=2)).isoformat()
    end = last or (today + timedelta(days=3)).isoformat()

    response = call_function(
        "getAnalyticsSummary", {"from": start, "to": end}, id_token=admin.id_token
    )

    assert error_of(response)["status"] == "INVALID_ARGUMENT"
