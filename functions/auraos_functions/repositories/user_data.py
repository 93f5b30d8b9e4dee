"""Where one user's data lives, in one list that export (`export.py`) and deletion both walk,
and the deletion's Firestore steps.

Adding a collection that holds a uid means adding it here; `tests/integration/functions/
test_privacy.py` seeds every place and fails when one is missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared import paths

from ..domain import pseudonym
from . import rate_limits

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


def delete_uid_documents(*, db: firestore.Client, uid: str) -> None:
    """Delete the top-level documents that name the user in a field (UID_QUERIES)."""
    for query in UID_QUERIES:
        for doc in documents_where(
            db=db, collection=query.collection, field=query.field, value=uid
        ):
            doc.reference.delete()


def delete_keyed_documents(*, db: firestore.Client, uid: str) -> None:
    """Delete the documents keyed by the uid (KEYED_BY_UID) and the user's rate-limit buckets."""
    for collection in KEYED_BY_UID:
        db.document(f"{collection}/{uid}").delete()
    rate_limits.delete_buckets(db=db, uid=uid)


def pseudonymise_audit(*, db: firestore.Client, uid: str) -> None:
    """Audit entries stay (security history) but name the user by `domain.pseudonym` only."""
    alias = pseudonym(uid)
    for field in AUDIT_FIELDS:
        for doc in documents_where(db=db, collection=paths.AUDIT_LOGS, field=field, value=uid):
            doc.reference.update({field: alias})


def delete_user_tree(*, db: firestore.Client, uid: str) -> None:
    """Delete `users/{uid}` and everything under it."""
    db.recursive_delete(db.document(paths.user(uid)))
