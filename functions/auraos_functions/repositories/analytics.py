"""Analytics aggregates: per-user daily stats and sharded global counters, updated once per event.

One transaction per event reads an idempotency marker, the event, the user's consent and their
day's stats, then writes every aggregate and the marker together, so a redelivered trigger
changes nothing and a crash leaves either all of it or none.

An event a client wrote through the rules spends the user's analytics quotas in the same
transaction; one over them is deleted, uncounted, and its marker says `over-quota`. Events that
trackEvents stored carry `quotaCharged` (the rules let no client write that field): the
callable spent their quota before writing them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import ValidationError

from shared import paths
from shared.errors import InvalidInput, RateLimited
from shared.models.analytics import EVENT_RETENTION_DAYS, AnalyticsEvent
from shared.models.records import CounterShard, ProcessedEvent, ProcessedStatus
from shared.models.users import AccountState, Consent, ConsentPurpose, account_state

from ..domain import RateLimit
from . import rate_limits

# Enough shards that a burst of events spreads its writes (a document takes ~1 write/s sustained).
COUNTER_SHARDS = 10
EVENTS_COUNTER = "events"
ACTIVE_USERS_COUNTER = "active-users"
# Set by trackEvents on what it stores: the quota was spent for the whole batch already.
QUOTA_CHARGED = "quotaCharged"
QUOTA_UNIT = "analytics events"


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """What recording did; `event` is set when this call counted it (and must publish it)."""

    # "counted" | "duplicate" | "missing" | "invalid" | "no-consent" | "no-account" | "over-quota"
    status: str
    event: AnalyticsEvent | None = None
    day_count: int = 0  # the user's events that day, this one included
    uid: str | None = None  # whose event it was, once read
    reason: str | None = None  # why an over-quota event was dropped (the quota's message)


def day_of(moment: datetime) -> str:
    return moment.date().isoformat()


def counter_name(counter: str, day: str) -> str:
    return f"{counter}-{day}"


def shard_for(event_id: str) -> int:
    """Deterministic, so a retried transaction increments the same shard."""
    return int(hashlib.sha256(event_id.encode()).hexdigest(), 16) % COUNTER_SHARDS


def _marker(event_id: str) -> str:
    return paths.processed_event(f"analytics-{event_id}")


def _marker_document(
    status: ProcessedStatus,
    now: datetime,
    *,
    uid: str | None = None,
    expire_at: datetime | None = None,
) -> dict[str, Any]:
    marker = ProcessedEvent(status=status, uid=uid, create_time=now, expire_at=expire_at)
    return marker.to_document()


def _spend_quota(
    *,
    transaction: firestore.Transaction,
    db: firestore.Client,
    uid: str,
    data: dict[str, Any],
    quotas: Mapping[str, RateLimit] | None,
    now: datetime,
) -> str | None:
    """Spend one of each quota for a rules-written event (read now, written with the rest);
    why it was refused, or None when it may be counted."""
    if not quotas or data.get(QUOTA_CHARGED):
        return None
    ref = db.document(paths.rate_limit(uid))
    try:
        fields = rate_limits.quota_fields(
            data=ref.get(transaction=transaction).to_dict(),
            limits=quotas,
            cost=1,
            now=now,
            what=QUOTA_UNIT,
        )
    except (RateLimited, InvalidInput) as refused:
        return refused.message
    transaction.set(ref, fields, merge=True)
    return None


def record_event(
    *,
    db: firestore.Client,
    event_id: str,
    now: datetime,
    quotas: Mapping[str, RateLimit] | None = None,
) -> RecordOutcome:
    """Count one stored event once; with `quotas`, a rules-written event spends one of each."""
    event_ref = db.document(paths.analytics_event(event_id))
    marker_ref = db.document(_marker(event_id))

    @firestore.transactional
    def record(transaction: firestore.Transaction) -> RecordOutcome:  # noqa: PLR0911 - one per outcome
        if marker_ref.get(transaction=transaction).exists:
            return RecordOutcome(status="duplicate")
        data = event_ref.get(transaction=transaction).to_dict()
        if data is None:
            return RecordOutcome(status="missing")
        try:
            event = AnalyticsEvent.from_document(data)
        except ValidationError:
            transaction.set(marker_ref, _marker_document(ProcessedStatus.INVALID, now))
            return RecordOutcome(status="invalid")
        stored = db.document(paths.user(event.uid)).get(transaction=transaction).to_dict()
        if account_state(stored) is not AccountState.ACTIVE:  # deactivated, deleting or gone
            transaction.set(marker_ref, _marker_document(ProcessedStatus.NO_ACCOUNT, now))
            transaction.delete(event_ref)
            return RecordOutcome(status="no-account")
        if not Consent.of_profile(stored).allows(ConsentPurpose.ANALYTICS):
            transaction.set(marker_ref, _marker_document(ProcessedStatus.NO_CONSENT, now))
            transaction.delete(event_ref)
            return RecordOutcome(status="no-consent")
        counted_at = event.create_time or now
        day = day_of(counted_at)
        stats_ref = db.document(paths.daily_stats(event.uid, day))
        stats = stats_ref.get(transaction=transaction).to_dict()
        refused = _spend_quota(
            transaction=transaction, db=db, uid=event.uid, data=data, quotas=quotas, now=now
        )
        if refused is not None:
            # The event is gone, so a redelivery finds it missing: the marker need not last.
            over = _marker_document(
                ProcessedStatus.OVER_QUOTA, now, uid=event.uid, expire_at=now + timedelta(days=1)
            )
            transaction.set(marker_ref, over)
            transaction.delete(event_ref)
            return RecordOutcome(status="over-quota", uid=event.uid, reason=refused)
        shard = shard_for(event_id)
        stats_update: dict[str, Any] = {
            "day": day,
            "events": firestore.Increment(1),
            "byType": {event.type.value: firestore.Increment(1)},
            "byHour": {str(event.client_time.hour): firestore.Increment(1)},
            "sessions": firestore.ArrayUnion([event.session_id]),
            "lastEventAt": max(counted_at, (stats or {}).get("lastEventAt") or counted_at),
        }
        if stats is None:
            stats_update["firstEventAt"] = counted_at
            transaction.set(
                db.document(paths.counter_shard(counter_name(ACTIVE_USERS_COUNTER, day), shard)),
                {"count": firestore.Increment(1), "day": day},
                merge=True,
            )
        transaction.set(stats_ref, stats_update, merge=True)
        transaction.set(
            db.document(paths.counter_shard(counter_name(EVENTS_COUNTER, day), shard)),
            {
                "day": day,
                "count": firestore.Increment(1),
                "byType": {event.type.value: firestore.Increment(1)},
            },
            merge=True,
        )
        counted = _marker_document(
            ProcessedStatus.COUNTED, now, expire_at=now + timedelta(days=EVENT_RETENTION_DAYS)
        )
        transaction.set(marker_ref, counted)
        transaction.update(
            event_ref, {"expireAt": counted_at + timedelta(days=EVENT_RETENTION_DAYS)}
        )
        day_count = int((stats or {}).get("events", 0)) + 1
        return RecordOutcome(status="counted", event=event, day_count=day_count, uid=event.uid)

    result: RecordOutcome = record(db.transaction(max_attempts=20))
    return result


def store_event(*, db: firestore.Client, event_id: str, event: AnalyticsEvent) -> bool:
    """Store an event trackEvents validated and spent the quota of (`quotaCharged`); False
    when one is stored under that id already (a client's retry), which is left as it is."""
    document = {
        **event.to_document(),
        "createTime": firestore.SERVER_TIMESTAMP,
        QUOTA_CHARGED: True,
    }
    try:
        db.document(paths.analytics_event(event_id)).create(document)
    except gexc.AlreadyExists:
        return False
    return True


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: str
    active_users: int
    events: int
    by_type: dict[str, int]


def summarise_days(*, db: firestore.Client, first: date, last: date) -> list[DaySummary]:
    """Per-day totals over [first, last], summed over the shards (reads: days x 2 x shards)."""
    days: list[DaySummary] = []
    current = first
    while current <= last:
        day = current.isoformat()
        events = db.collection(
            f"{paths.COUNTERS}/{counter_name(EVENTS_COUNTER, day)}/{paths.SHARDS}"
        )
        users = db.collection(
            f"{paths.COUNTERS}/{counter_name(ACTIVE_USERS_COUNTER, day)}/{paths.SHARDS}"
        )
        by_type: dict[str, int] = {}
        total = 0
        for shard in _shards(events):
            total += shard.count
            for kind, count in shard.by_type.items():
                by_type[kind] = by_type.get(kind, 0) + count
        active = sum(shard.count for shard in _shards(users))
        days.append(DaySummary(day=day, active_users=active, events=total, by_type=by_type))
        current += timedelta(days=1)
    return days


def _shards(collection: firestore.CollectionReference) -> list[CounterShard]:
    return [CounterShard.from_document(doc.to_dict() or {}) for doc in collection.stream()]
