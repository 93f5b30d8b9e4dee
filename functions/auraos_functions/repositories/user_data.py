"""Where one user's data lives, in one list that export and deletion both walk.

Adding a collection that holds a uid means adding it here; `tests/integration/functions/
test_privacy.py` seeds every place and fails when one is missed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared import paths

PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class UidQuery:
    """Top-level documents that name the user in `field`."""

    collection: str
    field: str
    export_as: str


# Everything under users/{uid} (sessions, stats, conversations and paths.ASSISTANT_COLLECTIONS:
# reminders, tasks, notes, events, notifications, devices) is exported by `subtree` and deleted
# by one recursive delete of the user's document; only what lies outside it is listed here.
# Documents keyed by uid outside the user's own subtree (rate-limit buckets are keyed by a hash
# of it and hold nothing personal; they expire by TTL).
KEYED_BY_UID = (paths.RECOMMENDATIONS,)
# Documents that carry the uid in a field.
UID_QUERIES = (
    UidQuery(paths.ANALYTICS_EVENTS, "uid", "analyticsEvents"),
    UidQuery(paths.SECURITY_ALERTS, "uid", "securityAlerts"),
)
# Audit entries are kept (they record security history) but pseudonymised on deletion.
AUDIT_FIELDS = ("actorUid", "targetUid")


def pseudonym(uid: str) -> str:
    """What audit entries say instead of a deleted user's uid."""
    return "deleted:" + hashlib.sha256(uid.encode()).hexdigest()[:16]


def documents_where(
    *, db: firestore.Client, collection: str, field: str, value: str
) -> Iterator[DocumentSnapshot[DocumentReference]]:
    """Every document of `collection` whose `field` equals `value`, a page at a time."""
    query = (
        db.collection(collection)
        .where(filter=firestore.FieldFilter(field, "==", value))
        .order_by("__name__")
        .limit(PAGE_SIZE)
    )
    last: DocumentSnapshot[DocumentReference] | None = None
    while True:
        page = list((query.start_after(last) if last is not None else query).stream())
        yield from page
        if len(page) < PAGE_SIZE:
            return
        last = page[-1]


def subtree(*, ref: DocumentReference) -> dict[str, Any]:
    """A document and all its subcollections as nested JSON-ready dicts."""
    snapshot = ref.get()
    node: dict[str, Any] = {"id": ref.id, **(snapshot.to_dict() or {})}
    for collection in ref.collections():
        node[collection.id] = [subtree(ref=doc.reference) for doc in collection.stream()]
    return node
