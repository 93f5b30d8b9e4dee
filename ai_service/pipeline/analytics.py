"""What ai_service does with an analytics event: score the user's activity for anomalies and
refresh their recommendations. Once per event, whatever Pub/Sub redelivers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from google.cloud import firestore

from shared.events import AnalyticsRecorded
from shared.models.analytics import EventType
from shared.models.flags import FeatureFlags
from shared.models.recommendations import (
    Recommendations,
    RecommendationSignals,
    RecommendedItem,
)
from shared.models.security import AuditAction, AuditLogEntry, SecurityAlert

from .. import domain
from ..domain import should_score
from ..stores.analytics import AnalyticsStore, ScoredEvent
from ..stores.users import UserStore

if TYPE_CHECKING:  # the ML stack loads only where the models are on
    from ..ml.anomaly import AnomalyDetector, AnomalyScore
    from ..ml.recsys import Recommender

log = logging.getLogger(__name__)

MAX_EVENTS_SCORED = 1000
PROFILE_DAYS = 7
RECOMMENDATIONS_KEPT = 10

__all__ = ["AnalyticsOutcome", "AnalyticsProcessor", "should_score"]


class AnalyticsOutcome(StrEnum):
    DONE = "done"
    DUPLICATE = "duplicate"


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
        self._store = AnalyticsStore(db)
        self._users = UserStore(db)
        self._flags = flags
        self._detector = detector
        self._recommender = recommender
        self._clock = clock

    def run(self, *, message: AnalyticsRecorded) -> AnalyticsOutcome:
        now = self._clock()
        if not self._store.mark_processed(event_id=message.event_id, now=now):
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
            self._store.unmark_processed(event_id=message.event_id)  # let the redelivery retry
            raise
        return AnalyticsOutcome.DONE

    # -- recommendations ------------------------------------------------------------------

    def _refresh_recommendations(self, message: AnalyticsRecorded, now: datetime) -> None:
        assert self._recommender is not None
        if not domain.may_personalise(self._users.consent(uid=message.uid)):
            return
        signals = self._store.recommendation_signals(uid=message.uid)
        liked, interests = signals.liked_items, signals.interests
        if message.event_type == EventType.RECOMMENDATION_CLICK:
            liked = domain.with_click(liked, str(message.data.get("itemId", "")))
        else:
            interests = domain.with_search(interests, str(message.data.get("query", "")))
        result = self._recommender.recommend(
            liked_items=liked, interests=interests, exclude=liked, k=RECOMMENDATIONS_KEPT
        )
        source = domain.recommendation_source(result.strategy)
        seen = signals.interactions_seen + 1
        self._store.put_recommendations(
            uid=message.uid,
            recommendations=Recommendations(
                items=tuple(
                    RecommendedItem(
                        item_id=str(item.item_id),
                        title=item.title,
                        authors=item.authors,
                        score=round(item.score, 4),
                        source=source,
                    )
                    for item in result.items
                ),
                model_version=result.model_version,
                updated_at=now,
                interactions_seen=seen,
            ),
            signals=RecommendationSignals(
                liked_items=liked, interests=interests, interactions_seen=seen
            ),
        )

    # -- anomalies ------------------------------------------------------------------------

    def _score(self, message: AnalyticsRecorded, now: datetime) -> None:
        assert self._detector is not None
        day = now.date()
        start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
        events = self._store.events_since(uid=message.uid, start=start, limit=MAX_EVENTS_SCORED)
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
            stats = self._store.daily_stats(
                uid=uid, day=(day - timedelta(days=back)).date().isoformat()
            )
            if stats is None:
                continue
            totals.append(stats.events)
            for hour, count in stats.by_hour.items():
                hours[int(hour) % 24] += float(count)
        if not totals:
            return {}
        return {"typical_daily_events": sum(totals) / len(totals), "typical_hours": hours}

    def _raise_alert(self, uid: str, score: AnomalyScore, *, window: str, now: datetime) -> None:
        """One alert per user and day: a later, higher score updates it; the audit entry is once."""
        alert_id = domain.alert_id(uid, window)
        alert = SecurityAlert(
            uid=uid,
            kind="activity_anomaly",
            severity=domain.alert_severity(score.score),
            score=score.score,
            reason=domain.anomaly_reason(score.features),
            create_time=now,
            window=window,
        )
        if not self._store.create_alert(alert_id=alert_id, alert=alert):
            stored = self._store.alert_score(alert_id=alert_id)
            self._store.set_alert_score(alert_id=alert_id, score=max(score.score, stored))
            return
        entry = AuditLogEntry(
            action=AuditAction.ANOMALY_ALERT,
            target_uid=uid,
            create_time=now,
            details={"alertId": alert_id, "score": score.score, "window": window},
        )
        self._store.append_audit(entry_id=f"anomaly-{alert_id}", entry=entry)


def _event_features(event: ScoredEvent) -> dict[str, Any]:
    return {
        "event_type": event.type,
        "client_time": event.client_time or event.create_time,
        "success": event.type != EventType.ERROR.value,
    }
