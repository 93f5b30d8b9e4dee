"""What ai_service keeps of analytics: its once-per-event markers (`processed_events`), the
user's events and daily stats it scores, their recommendations, security alerts and the audit
entry of each alert."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import ValidationError

from shared import paths
from shared.models.analytics import DailyStats
from shared.models.base import Document
from shared.models.recommendations import Recommendations, RecommendationSignals
from shared.models.records import ProcessedEvent
from shared.models.security import AuditLogEntry, SecurityAlert

log = logging.getLogger(__name__)

MARKER_TTL = timedelta(days=7)


def _marker_path(event_id: str) -> str:
    return paths.processed_event(f"ai-analytics-{event_id}")


class ScoredEvent(Document):
    """What anomaly scoring reads of an `analytics_events` document: its type and times (the
    whole `AnalyticsEvent` is not needed, and an event its trigger marked invalid is still one
    the user sent)."""

    type: str = ""
    client_time: datetime | None = None
    create_time: datetime | None = None


class AnalyticsStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    # --- once per event -----------------------------------------------------------------
    def mark_processed(self, *, event_id: str, now: datetime) -> bool:
        """Create this event's marker; False when it exists (the event was handled already)."""
        marker = ProcessedEvent(create_time=now, expire_at=now + MARKER_TTL)
        try:
            self._db.document(_marker_path(event_id)).create(marker.to_document())
        except gexc.AlreadyExists:
            return False
        return True

    def unmark_processed(self, *, event_id: str) -> None:
        """Drop the marker so that a redelivery does the work again."""
        self._db.document(_marker_path(event_id)).delete()

    # --- recommendations ------------------------------------------------------------------
    def recommendation_signals(self, *, uid: str) -> RecommendationSignals:
        """What the last refresh kept of the user (one read); nothing yet for a first one."""
        snapshot = self._db.document(paths.recommendations(uid)).get()
        return RecommendationSignals.from_document(snapshot.to_dict() or {})

    def put_recommendations(
        self, *, uid: str, recommendations: Recommendations, signals: RecommendationSignals
    ) -> None:
        """Replace the user's recommendations and the signals they came from (a set: the document
        is the latest refresh)."""
        document = {**signals.to_document(), **recommendations.to_document()}
        self._db.document(paths.recommendations(uid)).set(document)

    # --- anomalies --------------------------------------------------------------------------
    def events_since(self, *, uid: str, start: datetime, limit: int) -> list[ScoredEvent]:
        """The user's events created at or after `start` (at most `limit`)."""
        query = (
            self._db.collection(paths.ANALYTICS_EVENTS)
            .where(filter=firestore.FieldFilter("uid", "==", uid))
            .where(filter=firestore.FieldFilter("createTime", ">=", start))
            .limit(limit)
        )
        return [ScoredEvent.from_document(doc.to_dict() or {}) for doc in query.stream()]

    def daily_stats(self, *, uid: str, day: str) -> DailyStats | None:
        """The user's stats of one day (`yyyy-mm-dd`, one read); None when there are none."""
        data = self._db.document(paths.daily_stats(uid, day)).get().to_dict()
        if not data:
            return None
        try:
            return DailyStats.from_document(data)
        except ValidationError:
            log.warning("daily stats do not validate; left out", extra={"uid": uid, "day": day})
            return None

    def create_alert(self, *, alert_id: str, alert: SecurityAlert) -> bool:
        """Create the alert; False when one with this id exists."""
        try:
            self._db.document(f"{paths.SECURITY_ALERTS}/{alert_id}").create(alert.to_document())
        except gexc.AlreadyExists:
            return False
        return True

    def alert_score(self, *, alert_id: str) -> float:
        """The stored alert's score (one read); 0 when it has none."""
        data = self._db.document(f"{paths.SECURITY_ALERTS}/{alert_id}").get().to_dict() or {}
        score = data.get("score", 0)
        return float(score) if isinstance(score, int | float) else 0.0

    def set_alert_score(self, *, alert_id: str, score: float) -> None:
        self._db.document(f"{paths.SECURITY_ALERTS}/{alert_id}").update({"score": score})

    def append_audit(self, *, entry_id: str, entry: AuditLogEntry) -> None:
        """Write one audit entry under a deterministic id (a repeat writes the same entry)."""
        self._db.document(f"{paths.AUDIT_LOGS}/{entry_id}").set(entry.to_document())
