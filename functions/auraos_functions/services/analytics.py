"""Analytics: batch ingestion, idempotent aggregation, admin summaries, alerts, recommendations."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime
from typing import Annotated, Any, Literal

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import Field, StringConstraints, ValidationError, model_validator

from shared import paths
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import AnalyticsRecorded, Envelope, Topic
from shared.models.analytics import EVENT_ID_PATTERN, EventType, validate_event_data
from shared.models.base import Frozen

from ..publisher import publish
from ..repositories import analytics as repository
from .requests import parse_request

log = logging.getLogger(__name__)
MAX_BATCH = 100
MAX_SUMMARY_DAYS = 92


class IncomingEvent(Frozen):
    """One event as a client sends it to `trackEvents` (validated per type, like the rules)."""

    event_id: Annotated[str, StringConstraints(pattern=EVENT_ID_PATTERN)] | None = None
    type: EventType
    data: dict[str, Any] = Field(default_factory=dict)
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    client_time: datetime

    @model_validator(mode="after")
    def _data_matches_type(self) -> IncomingEvent:
        validate_event_data(self.type, self.data)
        return self


def record_and_forward(*, db: firestore.Client, event_id: str, now: datetime) -> str:
    """Aggregate one stored event exactly once and forward it to ai_service for scoring."""
    outcome = repository.record_event(db=db, event_id=event_id, now=now)
    if outcome.event is not None:
        event = outcome.event
        publish(
            topic=Topic.ANALYTICS_RECORDED,
            envelope=Envelope(
                idempotency_key=f"analytics:{event_id}",
                data=AnalyticsRecorded(
                    uid=event.uid,
                    event_id=event_id,
                    event_type=event.type.value,
                    data=event.data,
                    client_time=event.client_time,
                    day_count=outcome.day_count,
                ),
            ),
        )
    log.info("analytics event", extra={"eventId": event_id, "outcome": outcome.status})
    return outcome.status


def _has_consent(
    db: firestore.Client, uid: str, kind: Literal["analytics", "personalization"]
) -> bool:
    profile = db.document(paths.user(uid)).get().to_dict() or {}
    return bool((profile.get("consent") or {}).get(kind))


def track_events(*, db: firestore.Client, uid: str, data: Any) -> dict[str, Any]:
    """Store a batch of the caller's events; one result per event, in order.

    An event already stored under its id is reported `duplicate` (a client retry), not counted
    again; an invalid one is `rejected` with the reason and does not stop the others.
    """
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list) or not events:
        raise InvalidInput("Send {events: [...]} with 1 to 100 events.")
    if len(events) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} events per call; got {len(events)}.")
    if not _has_consent(db, uid, "analytics"):
        raise Conflict("Analytics consent is off: no events are recorded.")
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(events):
        try:
            event = IncomingEvent.model_validate(raw if isinstance(raw, dict) else {})
        except ValidationError as error:
            reason = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}"
                for e in error.errors()
            )
            results.append({"index": index, "status": "rejected", "error": reason})
            continue
        event_id = event.event_id or secrets.token_hex(12)
        document = {
            "uid": uid,
            "type": event.type.value,
            "data": event.data,
            "sessionId": event.session_id,
            "clientTime": event.client_time,
            "createTime": firestore.SERVER_TIMESTAMP,
        }
        try:
            db.document(paths.analytics_event(event_id)).create(document)
            status = "accepted"
        except gexc.AlreadyExists:
            status = "duplicate"
        results.append({"index": index, "eventId": event_id, "status": status})
    accepted = sum(r["status"] == "accepted" for r in results)
    return {"accepted": accepted, "results": results}


class SummaryRequest(Frozen):
    from_day: date = Field(alias="from")
    to_day: date = Field(alias="to")

    @model_validator(mode="after")
    def _range(self) -> SummaryRequest:
        if self.to_day < self.from_day:
            raise ValueError("'to' is before 'from'")
        if (self.to_day - self.from_day).days >= MAX_SUMMARY_DAYS:
            raise ValueError(f"at most {MAX_SUMMARY_DAYS} days per summary")
        return self


def analytics_summary(*, db: firestore.Client, data: Any) -> dict[str, Any]:
    """Daily active users and events by type per day over a date range (admins)."""
    request = parse_request(SummaryRequest, data)
    days = repository.summarise_days(db=db, first=request.from_day, last=request.to_day)
    return {
        "days": [
            {"day": d.day, "activeUsers": d.active_users, "events": d.events, "byType": d.by_type}
            for d in days
        ]
    }


class AlertListRequest(Frozen):
    acknowledged: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)


def list_alerts(*, db: firestore.Client, data: Any) -> dict[str, Any]:
    request = parse_request(AlertListRequest, data)
    query: Any = db.collection(paths.SECURITY_ALERTS)
    if request.acknowledged is not None:
        query = query.where(
            filter=firestore.FieldFilter("acknowledged", "==", request.acknowledged)
        )
    query = query.order_by("createTime", direction=firestore.Query.DESCENDING).limit(request.limit)
    alerts = []
    for doc in query.stream():
        alert = {"id": doc.id, **(doc.to_dict() or {})}
        alerts.append(
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in alert.items()}
        )
    return {"alerts": alerts}


class AcknowledgeRequest(Frozen):
    alert_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def acknowledge_alert(
    *, db: firestore.Client, admin_uid: str, data: Any, now: datetime
) -> dict[str, Any]:
    request = parse_request(AcknowledgeRequest, data)
    ref = db.document(f"{paths.SECURITY_ALERTS}/{request.alert_id}")
    try:
        ref.update({"acknowledged": True, "acknowledgedBy": admin_uid, "acknowledgedAt": now})
    except gexc.NotFound:
        raise NotFound(f"No alert {request.alert_id}.") from None
    return {"alertId": request.alert_id, "acknowledged": True}


def get_recommendations(*, db: firestore.Client, uid: str) -> dict[str, Any]:
    """The caller's recommendations, when they allowed personalisation."""
    if not _has_consent(db, uid, "personalization"):
        raise Conflict("Personalisation is off: turn it on to get recommendations.")
    stored = db.document(paths.recommendations(uid)).get().to_dict()
    if stored is None:
        return {"items": [], "updatedAt": None}
    return {
        "items": stored.get("items", []),
        "modelVersion": stored.get("modelVersion"),
        "updatedAt": stored["updatedAt"].isoformat() if stored.get("updatedAt") else None,
    }
