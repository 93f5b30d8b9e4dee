"""`rate_limits/{hash of uid}`: token buckets whose counts stay exact under concurrency.

Callables spend by compare-and-set: read the bucket without a lock, write it back on the
precondition that the document did not change since, and start over when it did. Every round
lets at least one caller through, so twenty concurrent calls settle in at most twenty short
rounds; a read-then-write transaction instead makes them all wait on each other's read locks
until the emulator (or Firestore) aborts them, over and over. The chat trigger spends inside
its own transaction, because the token must be taken atomically with queueing the turn.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from shared import paths
from shared.errors import Transient
from shared.models.security import RateLimitBucket

from ..domain import Bucket, RateLimit, bucket_expiry, take, take_quotas

# The chat trigger's transaction (turns.py) contends with the user's other turns and calls.
MAX_TRANSACTION_ATTEMPTS = 40
# Compare-and-set rounds: each lets at least one caller through, so 60 covers 60 at once.
MAX_SPEND_ATTEMPTS = 60
# Jitter between rounds spreads the losers out so the next round is not another pile-up.
MAX_BACKOFF_S = 0.2


def _expire_at(data: dict[str, Any] | None, now: datetime, window_s: float) -> datetime:
    """A full bucket needs no document: it expires once every bucket in it has refilled."""
    previous = (data or {}).get("expireAt")
    return bucket_expiry(
        previous=previous if isinstance(previous, datetime) else None, now=now, window_s=window_s
    )


def bucket_from_document(data: dict[str, Any] | None, action: str) -> Bucket | None:
    """The stored bucket of `action` (read as written, whatever else the document holds)."""
    entry = (data or {}).get(action)
    if not isinstance(entry, dict) or "tokens" not in entry or "updatedAt" not in entry:
        return None
    return Bucket(tokens=float(entry["tokens"]), updated_at=entry["updatedAt"])


def bucket_to_document(bucket: Bucket) -> dict[str, Any]:
    return RateLimitBucket(tokens=bucket.tokens, updated_at=bucket.updated_at).to_document()


def _bucket_fields(
    *, data: dict[str, Any] | None, action: str, limit: RateLimit, now: datetime
) -> dict[str, Any]:
    """The fields to write after taking one token (RateLimited when there is none)."""
    bucket = take(bucket=bucket_from_document(data, action), limit=limit, now=now, action=action)
    return {action: bucket_to_document(bucket), "expireAt": _expire_at(data, now, limit.window_s)}


def quota_fields(
    *,
    data: dict[str, Any] | None,
    limits: Mapping[str, RateLimit],
    cost: int,
    now: datetime,
    what: str,
) -> dict[str, Any]:
    """The fields to write after spending `cost` from every bucket of `limits` (all or none:
    RateLimited or InvalidInput, from `take_quotas`, and nothing to write)."""
    buckets = {action: bucket_from_document(data, action) for action in limits}
    spent = take_quotas(buckets=buckets, limits=limits, cost=cost, now=now, what=what)
    window_s = max(limit.window_s for limit in limits.values())
    return {
        **{action: bucket_to_document(bucket) for action, bucket in spent.items()},
        "expireAt": _expire_at(data, now, window_s),
    }


def take_in_transaction(
    *,
    transaction: firestore.Transaction,
    db: firestore.Client,
    uid: str,
    action: str,
    limit: RateLimit,
    now: datetime,
) -> None:
    """Spend one token inside the caller's transaction (reads must come before its writes)."""
    ref = db.document(paths.rate_limit(uid))
    data = ref.get(transaction=transaction).to_dict()
    fields = _bucket_fields(data=data, action=action, limit=limit, now=now)
    transaction.set(ref, fields, merge=True)


def take_token(
    *, db: firestore.Client, uid: str, action: str, limit: RateLimit, now: datetime
) -> None:
    """Spend one of `uid`'s tokens for `action`; raises RateLimited when none is left."""
    _compare_and_set(
        db=db,
        uid=uid,
        fields_for=lambda data: _bucket_fields(data=data, action=action, limit=limit, now=now),
    )


def spend_quotas(
    *,
    db: firestore.Client,
    uid: str,
    limits: Mapping[str, RateLimit],
    cost: int,
    now: datetime,
    what: str,
) -> None:
    """Spend `cost` from each of `uid`'s buckets in `limits` at once, or none of them."""
    _compare_and_set(
        db=db,
        uid=uid,
        fields_for=lambda data: quota_fields(
            data=data, limits=limits, cost=cost, now=now, what=what
        ),
    )


def _compare_and_set(
    *,
    db: firestore.Client,
    uid: str,
    fields_for: Callable[[dict[str, Any] | None], dict[str, Any]],
) -> None:
    """Write `fields_for(current data)` on the precondition that nothing changed in between."""
    ref = db.document(paths.rate_limit(uid))
    for attempt in range(MAX_SPEND_ATTEMPTS):
        snapshot = ref.get()
        fields = fields_for(snapshot.to_dict())
        try:
            if snapshot.exists:
                # Action names hold ':' and must be quoted as one field path segment.
                quoted = {FieldPath(key).to_api_repr(): value for key, value in fields.items()}
                ref.update(quoted, option=db.write_option(last_update_time=snapshot.update_time))
            else:
                ref.create(fields)
            return
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted, gexc.NotFound):
            time.sleep(random.uniform(0, min(MAX_BACKOFF_S, 0.01 * 2**attempt)))  # noqa: S311 (jitter)
    raise Transient("Too many simultaneous requests; please retry.")


def delete_buckets(*, db: firestore.Client, uid: str) -> None:
    """Forget every bucket of `uid` (account deletion); absent is no error."""
    db.document(paths.rate_limit(uid)).delete()
