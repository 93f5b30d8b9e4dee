"""`rate_limits/{hash of uid}`: token buckets, spent in a transaction so counts are exact."""

from __future__ import annotations

from datetime import datetime, timedelta

from google.cloud import firestore

from shared import paths

from ..config import RateLimit
from ..services.rate_limit import bucket_from_document, bucket_to_document, take

# Twenty concurrent calls from one user contend on one document; let each retry enough to win.
MAX_TRANSACTION_ATTEMPTS = 40


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
    bucket = take(bucket=bucket_from_document(data, action), limit=limit, now=now, action=action)
    # A full bucket needs no document: expire it once it would have refilled anyway.
    expire_at = now + timedelta(seconds=limit.window_s)
    transaction.set(ref, {action: bucket_to_document(bucket), "expireAt": expire_at}, merge=True)


def take_token(
    *, db: firestore.Client, uid: str, action: str, limit: RateLimit, now: datetime
) -> None:
    """Spend one of `uid`'s tokens for `action`; raises RateLimited when none is left."""

    @firestore.transactional
    def spend(transaction: firestore.Transaction) -> None:
        take_in_transaction(
            transaction=transaction, db=db, uid=uid, action=action, limit=limit, now=now
        )

    spend(db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
