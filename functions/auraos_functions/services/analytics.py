"""Analytics: batch ingestion, idempotent aggregation, admin summaries, alerts, recommendations."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from google.cloud import firestore
from pydantic import AfterValidator, Field, StringConstraints, ValidationError, model_validator

from shared.errors import Conflict, NotFound, RateLimited
from shared.events import AnalyticsRecorded, Envelope, Topic
from shared.models.analytics import AnalyticsEvent, EventType, validate_event_data
from shared.models.base import Frozen, utc_now
from shared.models.callable_requests import (
    AcknowledgeRequest,
    AlertListRequest,
    SummaryRequest,
    TrackedEvent,
    TrackEventsRequest,
    TrackEventsResult,
)
from shared.models.ids import EventId
from shared.models.recommendations import Recommendations
from shared.models.security import AuditAction
from shared.models.users import ConsentPurpose

from ..config import settings
from ..publisher import publish
from ..repositories import alerts, audit, rate_limits, recommendations, users
from ..repositories import analytics as repository
from ..repositories.analytics import DaySummary

log = logging.getLogger(__name__)


# What Firestore can store (0001-01-01..9999-12-31 UTC), less a day each side for any offset.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _storable_time(value: datetime) -> datetime:
    """`value` (naive means UTC) when Firestore can store it as a timestamp."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        storable = _EARLIEST <= aware <= _LATEST
    except OverflowError:  # comparing shifts by the offset, which can leave datetime's range
        storable = False
    if not storable:
        raise ValueError("must be a time between 0001-01-02 and 9999-12-30 (UTC)")
    return value


class IncomingEvent(Frozen):
    """One event as a client sends it to `trackEvents` (validated per type, like the rules)."""

    event_id: EventId | None = None
    type: EventType
    data: dict[str, Any] = Field(default_factory=dict)
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    client_time: Annotated[datetime, AfterValidator(_storable_time)]

    @model_validator(mode="after")
    def _data_matches_type(self) -> IncomingEvent:
        validate_event_data(self.type, self.data)
        return self


def record_and_forward(*, db: firestore.Client, event_id: str, now: datetime) -> str:
    """Aggregate one stored event exactly once and forward it to ai_service for scoring.

    An event written through the rules past the user's analytics quota is dropped (deleted,
    not counted, not forwarded) and recorded: its marker, a log line and one audit entry per
    user and minute. The rules cannot count, so the trigger is where that quota holds.
    """
    outcome = repository.record_event(
        db=db, event_id=event_id, now=now, quotas=settings().analytics_quotas()
    )
    if outcome.status == "over-quota" and outcome.uid is not None:
        _record_quota_trip(db=db, uid=outcome.uid, now=now, via="rules", reason=outcome.reason)
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


def _record_quota_trip(
    *, db: firestore.Client, uid: str, now: datetime, via: str, reason: str | None
) -> None:
    """One audit entry per user and minute, however many events they push past the quota."""
    log.warning("analytics quota reached", extra={"uid": uid, "via": via, "reason": reason})
    audit.record(
        db=db,
        action=AuditAction.RATE_LIMIT_TRIPPED,
        now=now,
        key=f"{uid}:analytics:{now:%Y%m%d%H%M}",
        actor_uid=uid,
        target_uid=uid,
        details={"action": "analytics", "via": via, "reason": reason},
    )


def _parse_event(raw: Any) -> IncomingEvent | str:
    """The event, or why it is rejected."""
    try:
        return IncomingEvent.model_validate(raw if isinstance(raw, dict) else {})
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in error.errors()
        )


def track_events(
    *, db: firestore.Client, uid: str, request: TrackEventsRequest
) -> TrackEventsResult:
    """Store a batch of the caller's events; one result per event, in order.

    Per item, never stopping half-way: every event is validated (including that Firestore can
    store it) before the first write, so an invalid one is `rejected` with the reason and the
    others are stored whatever its position. An event already stored under its id is reported
    `duplicate` (a client retry), not counted again.

    Quotas, before the first write: the valid events spend that many of the caller's analytics
    tokens (per minute and per day) at once; a batch the quotas cannot cover is refused whole,
    RESOURCE_EXHAUSTED with `retryAfterSeconds` and a message that says when, and nothing is
    stored. A resent batch spends again (its duplicates included): the wait is what keeps
    a retrying client from flooding.
    """
    if not users.consent_of(db=db, uid=uid).allows(ConsentPurpose.ANALYTICS):
        raise Conflict("Analytics consent is off: no events are recorded.")
    parsed = [_parse_event(raw) for raw in request.events]
    valid = sum(not isinstance(event, str) for event in parsed)
    if valid:
        now = utc_now()
        try:
            rate_limits.spend_quotas(
                db=db,
                uid=uid,
                limits=settings().analytics_quotas(),
                cost=valid,
                now=now,
                what=repository.QUOTA_UNIT,
            )
        except RateLimited as limited:
            _record_quota_trip(db=db, uid=uid, now=now, via="trackEvents", reason=limited.message)
            raise
    results: list[TrackedEvent] = []
    for index, event in enumerate(parsed):
        if isinstance(event, str):
            results.append(TrackedEvent(index=index, status="rejected", error=event))
            continue
        event_id = event.event_id or secrets.token_hex(12)
        stored = AnalyticsEvent(
            uid=uid,
            type=event.type,
            data=event.data,
            session_id=event.session_id,
            client_time=event.client_time,
        )
        created = repository.store_event(db=db, event_id=event_id, event=stored)
        status: Literal["accepted", "duplicate"] = "accepted" if created else "duplicate"
        results.append(TrackedEvent(index=index, event_id=event_id, status=status))
    accepted = sum(result.status == "accepted" for result in results)
    return TrackEventsResult(accepted=accepted, results=tuple(results))


def analytics_summary(*, db: firestore.Client, request: SummaryRequest) -> list[DaySummary]:
    """Daily active users and events by type per day over a date range (admins)."""
    return repository.summarise_days(db=db, first=request.from_day, last=request.to_day)


def list_alerts(*, db: firestore.Client, request: AlertListRequest) -> list[alerts.StoredAlert]:
    """The newest security alerts (admins)."""
    return alerts.list_alerts(db=db, acknowledged=request.acknowledged, limit=request.limit)


def acknowledge_alert(
    *, db: firestore.Client, admin_uid: str, request: AcknowledgeRequest, now: datetime
) -> str:
    """Mark an alert seen by `admin_uid`; its id. NotFound when there is no such alert."""
    if not alerts.acknowledge(db=db, alert_id=request.alert_id, admin_uid=admin_uid, now=now):
        raise NotFound(f"No alert {request.alert_id}.")
    return request.alert_id


def get_recommendations(*, db: firestore.Client, uid: str) -> Recommendations | None:
    """The caller's recommendations (None: none yet), when they allowed personalisation."""
    if not users.consent_of(db=db, uid=uid).allows(ConsentPurpose.PERSONALIZATION):
        raise Conflict("Personalisation is off: turn it on to get recommendations.")
    return recommendations.get(db=db, uid=uid)
