"""What ai_service does with an analytics event: score the user's activity for anomalies and
refresh their recommendations. Once per event, whatever Pub/Sub redelivers."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared import paths
from shared.events import AnalyticsRecorded
from shared.models.analytics import EventType
from shared.models.flags import FeatureFlags
from shared.models.recommendations import RecommendationSource
from shared.models.security import AlertSeverity, AuditAction, AuditLogEntry, SecurityAlert

if TYPE_CHECKING:  # the ML stack loads only where the models are on
    from ..ml.anomaly import AnomalyDetector, AnomalyScore
    from ..ml.recsys import Recommender

log = logging.getLogger(__name__)

# Score a user's day when it reaches these counts (then every 100): cheap, and early enough to
# catch a burst while it happens.
SCORE_AT = frozenset({10, 20, 40, 80})
SCORE_EVERY = 100
MAX_EVENTS_SCORED = 1000
PROFILE_DAYS = 7
RECENT_INTERESTS = 5
LIKED_ITEMS_KEPT = 200


class AnalyticsOutcome(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"


def should_score(day_count: int) -> bool:
    return day_count in SCORE_AT or (day_count > 0 and day_count % SCORE_EVERY == 0)


class AnalyticsProcessor:
    """Built once per process with the loaded models (either may be absent)."""

    def __init__(
        self,
        *,
        db: firestore.Client,
        detector: AnomalyDetector | None,
        recommender: Recommender | None,
        clock: Callable[[], datetime],
        flags: Callable[[], FeatureFlags] = FeatureFlags,
    ) -> None:
        self._db = db
        self._flags = flags
        self._detector = detector
        self._recommender = recommender
        self._clock = clock

    def run(self, *, message: AnalyticsRecorded) -> AnalyticsOutcome:
        marker = self._db.document(paths.processed_event(f"ai-analytics-{message.event_id}"))
        now = self._clock()
        try:
            marker.create({"createTime": now, "expireAt": now + timedelta(days=7)})
        except gexc.AlreadyExists:
            return AnalyticsOutcome.DUPLICATE
        flags = self._flags()
        try:
            if (
                flags.recommendations_enabled
                and self._recommender is not None
                and message.event_type
                in (
                    EventType.RECOMMENDATION_CLICK,
                    EventType.SEARCH,
                )
            ):
                self._refresh_recommendations(message, now)
            if (
                flags.analytics_enabled
                and self._detector is not None
                and should_score(message.day_count)
            ):
                self._score(message, now)
        except Exception:
            marker.delete()  # let the redelivery try again
            raise
        return AnalyticsOutcome.DONE

    # -- recommendations ------------------------------------------------------------------

    def _refresh_recommendations(self, message: AnalyticsRecorded, now: datetime) -> None:
        assert self._recommender is not None
        profile = self._db.document(paths.user(message.uid)).get().to_dict() or {}
        if not (profile.get("consent") or {}).get("personalization"):
            return
        ref = self._db.document(paths.recommendations(message.uid))
        current = ref.get().to_dict() or {}
        liked: list[int] = list(current.get("likedItems", []))
        interests: list[str] = list(current.get("interests", []))
        if message.event_type == EventType.RECOMMENDATION_CLICK:
            item = str(message.data.get("itemId", ""))
            if item.isdigit() and int(item) not in liked:
                liked = [*liked, int(item)][-LIKED_ITEMS_KEPT:]
        else:
            query = " ".join(str(message.data.get("query", "")).split())[:100]
            if query:
                interests = [*[i for i in interests if i != query], query][-RECENT_INTERESTS:]
        result = self._recommender.recommend(
            liked_items=liked, interests=interests, exclude=liked, k=10
        )
        ref.set(
            {
                "items": [
                    {
                        "itemId": str(item.item_id),
                        "title": item.title,
                        "authors": item.authors,
                        "score": round(item.score, 4),
                        "source": _source(result.strategy).value,
                    }
                    for item in result.items
                ],
                "likedItems": liked,
                "interests": interests,
                "modelVersion": result.model_version,
                "updatedAt": now,
                "interactionsSeen": int(current.get("interactionsSeen", 0)) + 1,
            }
        )

    # -- anomalies ------------------------------------------------------------------------

    def _score(self, message: AnalyticsRecorded, now: datetime) -> None:
        assert self._detector is not None
        day = now.date()
        start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
        events = [
            doc.to_dict() or {}
            for doc in self._db.collection(paths.ANALYTICS_EVENTS)
            .where(filter=firestore.FieldFilter("uid", "==", message.uid))
            .where(filter=firestore.FieldFilter("createTime", ">=", start))
            .limit(MAX_EVENTS_SCORED)
            .stream()
        ]
        score = self._detector.score_users(
            [
                {
                    "user_id": message.uid,
                    "events": [_event_features(e) for e in events],
                    "profile": self._profile(message.uid, day=start),
                }
            ]
        )[0]
        log.info(
            "anomaly score", extra={"uid": message.uid, "score": score.score, "events": len(events)}
        )
        if score.alert:
            self._raise_alert(message.uid, score, window=start.date().isoformat(), now=now)

    def _profile(self, uid: str, *, day: datetime) -> dict[str, Any]:
        """The user's typical activity over the previous days, from their daily stats."""
        totals: list[int] = []
        hours = [0.0] * 24
        for back in range(1, PROFILE_DAYS + 1):
            stats = (
                self._db.document(
                    paths.daily_stats(uid, (day - timedelta(days=back)).date().isoformat())
                )
                .get()
                .to_dict()
            )
            if not stats:
                continue
            totals.append(int(stats.get("events", 0)))
            for hour, count in (stats.get("byHour") or {}).items():
                hours[int(hour) % 24] += float(count)
        if not totals:
            return {}
        return {"typical_daily_events": sum(totals) / len(totals), "typical_hours": hours}

    def _raise_alert(self, uid: str, score: AnomalyScore, *, window: str, now: datetime) -> None:
        """One alert per user and day: a later, higher score updates it; the audit entry is once."""
        alert_id = hashlib.sha256(f"{uid}:{window}".encode()).hexdigest()[:24]
        alert = SecurityAlert(
            uid=uid,
            kind="activity_anomaly",
            severity=AlertSeverity.HIGH if score.score >= 0.9999 else AlertSeverity.MEDIUM,
            score=score.score,
            reason=_reason(score),
            create_time=now,
            window=window,
        )
        ref = self._db.document(f"{paths.SECURITY_ALERTS}/{alert_id}")
        try:
            ref.create(alert.to_document())
        except gexc.AlreadyExists:
            ref.update({"score": max(score.score, (ref.get().to_dict() or {}).get("score", 0))})
            return
        entry = AuditLogEntry(
            action=AuditAction.ANOMALY_ALERT,
            target_uid=uid,
            create_time=now,
            details={"alertId": alert_id, "score": score.score, "window": window},
        )
        self._db.document(f"{paths.AUDIT_LOGS}/anomaly-{alert_id}").set(entry.to_document())


def _event_features(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": event.get("type", ""),
        "client_time": event.get("clientTime") or event.get("createTime"),
        "success": event.get("type") != EventType.ERROR.value,
    }


def _reason(score: AnomalyScore) -> str:
    top = sorted(score.features.items(), key=lambda kv: abs(kv[1]), reverse=True)[:3]
    return "Unusual activity: " + ", ".join(f"{name}={value:.2f}" for name, value in top)


def _source(strategy: str) -> RecommendationSource:
    """The stored `source` of an item: the shared enum's name for the recommender's strategy
    (its HTTP API says "similar_items", the document and the PWA "similar")."""
    return RecommendationSource("similar" if strategy == "similar_items" else strategy)
