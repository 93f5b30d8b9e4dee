"""Analytics through Pub/Sub to ai_service's models: anomaly alerts and recommendations."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser

from ..helpers import call_function, wait_for
from .test_chat_flow import write_turn_and_watch

USERS = 50
EVENTS_PER_USER = 40
NORMAL_TYPES: tuple[tuple[str, dict[str, str]], ...] = (
    ("page_view", {"path": "/chat"}),
    ("feature_used", {"feature": "voice"}),
    ("search", {"query": "fantasy books"}),
    ("app_open", {}),
)


def _seed_users(db: firestore.Client, count: int) -> list[str]:
    uids = [f"burst-{i:03d}" for i in range(count)]
    now = utc_now()
    batch = db.batch()
    for uid in uids:
        batch.set(
            db.document(paths.user(uid)),
            {
                "createdAt": now,
                "updatedAt": now,
                "isActive": True,
                "role": "user",
                "consent": {"analytics": True, "personalization": False},
            },
        )
    batch.commit()
    return uids


def _event(uid: str, kind: str, data: dict[str, str], at: datetime) -> dict[str, Any]:
    return {
        "uid": uid,
        "type": kind,
        "data": data,
        "sessionId": f"s-{uid}",
        "clientTime": at,
        "createTime": firestore.SERVER_TIMESTAMP,
    }


def test_a_burst_alerts_on_the_one_anomalous_user_only(db: firestore.Client) -> None:
    rng = random.Random(7)
    uids = _seed_users(db, USERS)
    anomalous = uids[17]
    daytime = datetime.combine(utc_now().date(), datetime.min.time(), UTC) + timedelta(hours=9)
    night = daytime - timedelta(hours=6)  # 03:00
    writes: list[tuple[str, dict[str, Any]]] = []
    for uid in uids:
        for i in range(EVENTS_PER_USER):
            if uid == anomalous:  # a scripted attack: failures, in 4 minutes, at 3 a.m.
                event = _event(
                    uid,
                    "error",
                    {"code": "auth/failed", "message": "bad password"},
                    night + timedelta(seconds=rng.randint(0, 240)),
                )
            else:  # an ordinary day: mixed actions spread over ten hours
                kind, data = NORMAL_TYPES[rng.randrange(len(NORMAL_TYPES))]
                event = _event(uid, kind, data, daytime + timedelta(minutes=rng.randint(0, 600)))
            writes.append((paths.analytics_event(f"evt-{uid}-{i:04d}"), event))
    rng.shuffle(writes)  # interleaved, as many clients would send them
    for start in range(0, len(writes), 400):
        batch = db.batch()
        for path, event in writes[start : start + 400]:
            batch.create(db.document(path), event)
        batch.commit()
    day = utc_now().date().isoformat()

    def all_counted() -> bool:
        shards = db.collection(f"{paths.COUNTERS}/events-{day}/{paths.SHARDS}").stream()
        return sum(int((s.to_dict() or {}).get("count", 0)) for s in shards) == len(writes)

    wait_for(all_counted, timeout_s=900, interval_s=2, what="every event to be aggregated")
    # ai_service scores each user when their day reaches 10, 20 and 40 events.
    alerts = wait_for(
        lambda: [a.to_dict() or {} for a in db.collection(paths.SECURITY_ALERTS).stream()],
        timeout_s=300,
        what="the anomaly alert",
    )

    def markers() -> int:  # the functions' and ai_service's, one each per event
        return len(list(db.collection(paths.PROCESSED_EVENTS).select([]).stream()))

    wait_for(
        lambda: markers() >= 2 * len(writes),
        timeout_s=600,
        interval_s=2,
        what="ai_service to have seen every event",
    )

    alerts = [a.to_dict() or {} for a in db.collection(paths.SECURITY_ALERTS).stream()]
    assert [a["uid"] for a in alerts] == [anomalous]
    assert alerts[0]["kind"] == "activity_anomaly"
    assert alerts[0]["acknowledged"] is False
    audit = [a.to_dict() or {} for a in db.collection(paths.AUDIT_LOGS).stream()]
    assert [(a["action"], a["targetUid"]) for a in audit] == [("anomaly_alert", anomalous)]


def test_recommendations_follow_the_users_interactions(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    call_function(
        "setConsent", {"analytics": True, "personalization": True}, id_token=user.id_token
    )
    now = utc_now().isoformat()

    def track(*events: dict[str, Any]) -> None:
        response = call_function("trackEvents", {"events": list(events)}, id_token=user.id_token)
        assert response.json()["result"]["accepted"] == len(events), response.text

    def recommendations() -> dict[str, Any]:
        return db.document(paths.recommendations(user.uid)).get().to_dict() or {}

    track(
        {
            "type": "search",
            "data": {"query": "epic fantasy with dragons"},
            "sessionId": "s",
            "clientTime": now,
        }
    )
    first = wait_for(lambda: recommendations().get("items"), what="first recommendations")
    first_ids = [item["itemId"] for item in first]
    track(
        {
            "type": "recommendation_click",
            "data": {"itemId": first_ids[0]},
            "sessionId": "s",
            "clientTime": now,
        }
    )
    second = wait_for(
        lambda: recommendations().get("interactionsSeen") == 2 and recommendations()["items"],
        what="recommendations after a click",
    )

    assert len(first) == 10
    assert first[0]["source"] == "interests"
    assert second[0]["source"] == "similar"  # the shared enum's name, as the PWA reads it
    assert [item["itemId"] for item in second] != first_ids
    assert first_ids[0] not in [item["itemId"] for item in second]
    served = call_function("getRecommendations", {}, id_token=user.id_token).json()["result"]
    assert [item["itemId"] for item in served["items"]] == [item["itemId"] for item in second]
    # Asked in the chat, the assistant reads out these items rather than inventing titles.
    reply = write_turn_and_watch(user, "c1", "recs", "Can you recommend me some books?").final
    assert reply["usage"]["provider"] == "skills"
    assert reply["response"].startswith("From your recommendations: " + second[0]["title"])
