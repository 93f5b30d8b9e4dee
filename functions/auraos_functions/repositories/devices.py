"""`users/{uid}/devices/{tokenId}`: browsers registered for push, keyed by a hash of the token."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from google.cloud import firestore

from shared import paths
from shared.models.assistant import Device

# A user's newest devices that get pushes; registering one more drops the least recently seen
# (a browser that reinstalled gets a new token, and the old one may never be reported dead).
MAX_DEVICES = 20


def device_id(token: str) -> str:
    """The document id of a token: stable, and no token characters in a path."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _collection(db: firestore.Client, uid: str) -> firestore.CollectionReference:
    return db.collection(f"{paths.user(uid)}/{paths.DEVICES}")


def register_device(
    *, db: firestore.Client, uid: str, token: str, user_agent: str | None, now: datetime
) -> tuple[str, Device]:
    """Add the token or refresh its `lastSeenAt` (`createdAt` is kept); (its id, the device)."""
    ref = db.document(paths.device(uid, device_id(token)))

    @firestore.transactional
    def register(transaction: firestore.Transaction) -> Device:
        existing = ref.get(transaction=transaction).to_dict()
        created = Device.from_document(existing).created_at if existing else now
        device = Device(token=token, created_at=created, last_seen_at=now, user_agent=user_agent)
        transaction.set(ref, device.to_document())
        return device

    device: Device = register(db.transaction())
    stale = (
        _collection(db, uid)
        .order_by("lastSeenAt", direction=firestore.Query.DESCENDING)
        .offset(MAX_DEVICES)
        .stream()
    )
    for doc in stale:
        doc.reference.delete()
    return ref.id, device


def devices(*, db: firestore.Client, uid: str) -> list[Device]:
    """The user's registered devices, most recently seen first."""
    query = (
        _collection(db, uid)
        .order_by("lastSeenAt", direction=firestore.Query.DESCENDING)
        .limit(MAX_DEVICES)
    )
    return [Device.from_document(doc.to_dict() or {}) for doc in query.stream()]


def remove_tokens(*, db: firestore.Client, uid: str, tokens: Iterable[str]) -> int:
    """Delete these tokens' devices (absent ones are no error); how many were given."""
    batch = db.batch()
    count = 0
    for token in tokens:
        batch.delete(db.document(paths.device(uid, device_id(token))))
        count += 1
    if count:
        batch.commit()
    return count


def unregister_device(*, db: firestore.Client, uid: str, token: str) -> bool:
    """Remove the token's device; False when it was not registered."""
    ref = db.document(paths.device(uid, device_id(token)))
    existed = bool(ref.get().exists)
    if existed:
        ref.delete()
    return existed
