"""Analytics on the emulators: idempotent aggregation, refusals, batches, admin views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import firestore

from auraos_functions.repositories import analytics as repository
from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function, make_admin, wait_for


def consenting_user(new_user: Callable[..., SignedInUser], **kwargs: str) -> SignedInUser:
    user = new_user(**kwargs)
    assert (
        call_function(
            "setConsent", {"analytics": True, "personalization": True}, id_token=user.id_token
        ).status_code
        == 200
    )
    return user


def write_event(
    user: SignedInUser,
    event_id: str,
    event_type: str = "page_view",
    data: dict[str, Any] | None = None,
    uid: str | None = None,
) -> None:
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(paths.analytics_event(event_id)).create(
        {
            "uid": uid or user.uid,
            "type": event_type,
            "data": {"path": "/chat"} if data is None else data,
            "sessionId": "session-1",
            "clientTime": datetime(2026, 11, 26, 9, tzinfo=UTC),
            "createTime": firestore.SERVER_TIMESTAMP,
        }
    )


def global_count(db: firestore.Client, day: str) -> tuple[int, int]:
    summary = repository.summarise_days(
        db=db, first=datetime.fromisoformat(day).date(), last=datetime.fromisoformat(day).date()
    )[0]
    return summary.events, summary.active_users


def test_an_event_counts_once_even_when_delivered_three_times(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    write_event(user, "evt-once-0001")
    day = utc_now().date().isoformat()
    stats_path = paths.daily_stats(user.uid, day)
    wait_for(lambda: db.document(stats_path).get().exists, what="the analytics trigger")

    # Two more deliveries of the same event, as Pub/Sub/Eventarc may redeliver.
    again = [
        repository.record_event(db=db, event_id="evt-once-0001", now=utc_now()).status
        for _ in range(2)
    ]

    assert again == ["duplicate", "duplicate"]
    stats = db.document(stats_path).get().to_dict() or {}
    assert stats["events"] == 1
    assert stats["byType"] == {"page_view": 1}
    assert stats["sessions"] == ["session-1"]
    assert global_count(db, day) == (1, 1)
    event = db.document(paths.analytics_event("evt-once-0001")).get().to_dict() or {}
    assert event["expireAt"] > event["createTime"]


def test_a_second_event_the_same_day_counts_the_user_once(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    write_event(user, "evt-first-001")
    write_event(user, "evt-second-01", "search", {"query": "books"})
    day = utc_now().date().isoformat()
    wait_for(
        lambda: (
            (db.document(paths.daily_stats(user.uid, day)).get().to_dict() or {}).get("events") == 2
        ),
        what="both events aggregated",
    )

    assert global_count(db, day) == (2, 1)


@pytest.mark.parametrize(
    ("event_type", "data", "other_uid"),
    [
        ("page_view", {"path": "/x"}, True),
        ("purchase", {"amount": 1}, False),
        ("search", {"query": "q" * 257}, False),
        ("page_view", {"path": "/x", "extra": 1}, False),
    ],
    ids=["other-uid", "unknown-type", "oversize", "extra-key"],
)
def test_the_rules_refuse_bad_events(
    new_user: Callable[..., SignedInUser], event_type: str, data: dict[str, Any], other_uid: bool
) -> None:
    user = consenting_user(new_user)
    with pytest.raises(gexc.PermissionDenied):
        write_event(
            user, "evt-refused-1", event_type, data, uid="someone-else" if other_uid else None
        )


def test_the_rules_refuse_events_without_consent(new_user: Callable[..., SignedInUser]) -> None:
    user = new_user()
    with pytest.raises(gexc.PermissionDenied):
        write_event(user, "evt-noconsent")


def test_track_events_reports_each_event_and_aggregates_the_accepted(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    now = utc_now().isoformat()
    batch = [
        {
            "eventId": "evt-batch-0001",
            "type": "app_open",
            "data": {},
            "sessionId": "s",
            "clientTime": now,
        },
        {
            "eventId": "evt-batch-0002",
            "type": "search",
            "data": {"query": "q" * 300},
            "sessionId": "s",
            "clientTime": now,
        },
        {
            "eventId": "evt-batch-0001",
            "type": "app_open",
            "data": {},
            "sessionId": "s",
            "clientTime": now,
        },
    ]

    response = call_function("trackEvents", {"events": batch}, id_token=user.id_token)
    too_many = call_function("trackEvents", {"events": batch * 34}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["accepted"] == 1
    assert [r["status"] for r in result["results"]] == ["accepted", "rejected", "duplicate"]
    assert "data.query" in result["results"][1]["error"]
    assert too_many.json()["error"]["status"] == "INVALID_ARGUMENT"
    day = utc_now().date().isoformat()
    wait_for(
        lambda: db.document(paths.daily_stats(user.uid, day)).get().exists,
        what="the batch's event to be aggregated",
    )


def test_track_events_without_consent_is_refused_with_a_reason(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = new_user()
    response = call_function(
        "trackEvents",
        {"events": [{"type": "app_open", "sessionId": "s", "clientTime": utc_now().isoformat()}]},
        id_token=user.id_token,
    )
    error = response.json()["error"]
    assert error["status"] == "FAILED_PRECONDITION"
    assert "consent" in error["message"]


def test_admin_summary_and_alert_acknowledgement(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    admin = make_admin(consenting_user(new_user, email="root@example.com"))
    user = consenting_user(new_user)
    write_event(user, "evt-summary-1")
    write_event(admin, "evt-summary-2", "feature_used", {"feature": "voice"})
    day = utc_now().date().isoformat()
    wait_for(lambda: global_count(db, day) == (2, 2), what="both users counted")
    db.document(f"{paths.SECURITY_ALERTS}/a1").set(
        {
            "uid": user.uid,
            "kind": "burst",
            "severity": "high",
            "score": 0.97,
            "reason": "r",
            "createTime": utc_now(),
            "window": day,
            "acknowledged": False,
        }
    )

    summary = call_function(
        "getAnalyticsSummary", {"from": day, "to": day}, id_token=admin.id_token
    )
    refused = call_function("getAnalyticsSummary", {"from": day, "to": day}, id_token=user.id_token)
    alerts = call_function("listSecurityAlerts", {"acknowledged": False}, id_token=admin.id_token)
    ack = call_function("acknowledgeAlert", {"alertId": "a1"}, id_token=admin.id_token)

    assert summary.json()["result"] == {
        "days": [
            {
                "day": day,
                "activeUsers": 2,
                "events": 2,
                "byType": {"page_view": 1, "feature_used": 1},
            }
        ]
    }
    assert refused.json()["error"]["status"] == "PERMISSION_DENIED"
    assert [a["id"] for a in alerts.json()["result"]["alerts"]] == ["a1"]
    assert ack.json()["result"] == {"alertId": "a1", "acknowledged": True}
    stored = db.document(f"{paths.SECURITY_ALERTS}/a1").get().to_dict() or {}
    assert stored["acknowledgedBy"] == admin.uid


def test_recommendations_respect_personalisation_consent(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    refused = call_function("getRecommendations", {}, id_token=user.id_token)
    call_function("setConsent", {"personalization": True}, id_token=user.id_token)
    db.document(paths.recommendations(user.uid)).set(
        {
            "items": [{"itemId": "b1", "title": "Dune", "score": 0.9, "source": "popular"}],
            "updatedAt": utc_now(),
            "modelVersion": "v1",
        }
    )

    allowed = call_function("getRecommendations", {}, id_token=user.id_token)

    assert refused.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert allowed.json()["result"]["items"][0]["title"] == "Dune"


def test_a_full_batch_from_one_user_is_counted_exactly(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """Thirty events of one user: thirty concurrent triggers update one day's stats."""
    user = consenting_user(new_user)
    now = utc_now()
    batch = [
        {
            "eventId": f"evt-burst-{i:04d}",
            "type": "page_view",
            "data": {"path": f"/page/{i}"},
            "sessionId": "burst",
            "clientTime": now.isoformat(),
        }
        for i in range(30)
    ]

    response = call_function("trackEvents", {"events": batch}, id_token=user.id_token)

    assert response.json()["result"]["accepted"] == 30, response.text
    stats_ref = db.document(paths.daily_stats(user.uid, now.date().isoformat()))
    stats = wait_for(
        lambda: (stats_ref.get().to_dict() or {}).get("events") == 30 and stats_ref.get(),
        timeout_s=120,
        what="all thirty events to be aggregated",
    ).to_dict()
    assert stats["byType"] == {"page_view": 30}
    assert stats["sessions"] == ["burst"]
