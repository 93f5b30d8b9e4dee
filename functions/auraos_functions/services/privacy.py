"""GDPR: export everything a user owns; delete all of it, resumably, then the Auth user."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore
from google.cloud.firestore_v1.vector import Vector

from shared import paths
from shared.events import Envelope, Topic, UserDeletionRequested
from shared.models.security import AuditAction
from shared.models.users import DeletionState

from ..publisher import publish
from ..repositories import audit, user_data

log = logging.getLogger(__name__)
# A deletion that has not progressed for this long is presumed crashed and is resumed.
STALE_DELETION = timedelta(minutes=5)


class DeletionStep(StrEnum):
    """The steps of a deletion, in order; each is idempotent, so a resumed run repeats safely."""

    LOCK_ACCOUNT = "lock_account"
    UID_DOCUMENTS = "uid_documents"
    KEYED_DOCUMENTS = "keyed_documents"
    AUDIT_PSEUDONYMS = "audit_pseudonyms"
    USER_TREE = "user_tree"
    AUTH_USER = "auth_user"


def _json_ready(value: Any) -> Any:
    """Firestore values as JSON: timestamps as ISO strings, references as paths, vectors as
    lists of numbers."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return _scalar_ready(value)


def _scalar_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, firestore.DocumentReference):
        return value.path
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Vector):  # a memory's embedding: its numbers
        return list(value)
    return value


def export_user_data(*, db: firestore.Client, uid: str, now: datetime) -> dict[str, Any]:
    """Every document that holds the user's uid, as JSON: the account's whole tree (with each
    of paths.ASSISTANT_COLLECTIONS as a list, possibly empty), then what lies outside it."""
    account = user_data.subtree(ref=db.document(paths.user(uid)))
    for collection in paths.ASSISTANT_COLLECTIONS:  # always there, empty or not
        account.setdefault(collection, [])
    export: dict[str, Any] = {"uid": uid, "exportedAt": now, "account": account}
    for collection in user_data.KEYED_BY_UID:
        snapshot = db.document(f"{collection}/{uid}").get()
        export[collection] = snapshot.to_dict()
    for query in user_data.UID_QUERIES:
        export[query.export_as] = [
            {"id": doc.id, **(doc.to_dict() or {})}
            for doc in user_data.documents_where(
                db=db, collection=query.collection, field=query.field, value=uid
            )
        ]
    export["auditLog"] = [
        {"id": doc.id, **(doc.to_dict() or {})}
        for field in user_data.AUDIT_FIELDS
        for doc in user_data.documents_where(
            db=db, collection=paths.AUDIT_LOGS, field=field, value=uid
        )
    ]
    result: dict[str, Any] = _json_ready(export)
    return result


def _job_ref(db: firestore.Client, uid: str) -> firestore.DocumentReference:
    # Keyed by a hash, so the job itself does not hold the uid once the deletion is done.
    return db.document(f"{paths.DELETION_JOBS}/{hashlib.sha256(uid.encode()).hexdigest()[:32]}")


def mark_for_deletion(*, db: firestore.Client, uid: str, now: datetime) -> tuple[str, bool]:
    """Record the request once: (job state, whether the work must be (re)published).

    Asking again while a deletion runs changes nothing; asking again after it stalled resumes it.
    """
    job_ref = _job_ref(db, uid)

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> tuple[str, bool]:
        job = job_ref.get(transaction=transaction).to_dict()
        if job is not None:
            stale = job["state"] != DeletionState.DONE and job["updatedAt"] < now - STALE_DELETION
            return str(job["state"]), stale
        transaction.set(
            job_ref,
            {
                "uid": uid,
                "state": DeletionState.PENDING.value,
                "requestedAt": now,
                "updatedAt": now,
                "done": [],
            },
        )
        transaction.set(
            db.document(paths.user(uid)),
            {"deletion": DeletionState.PENDING.value, "updatedAt": now},
            merge=True,
        )
        return DeletionState.PENDING.value, True

    result: tuple[str, bool] = mark(db.transaction())
    if result == (DeletionState.PENDING.value, True):
        audit.record(
            db=db,
            action=AuditAction.ACCOUNT_DELETION_REQUESTED,
            now=now,
            key=job_ref.id,
            actor_uid=uid,
            target_uid=uid,
        )
    return result


def request_account_deletion(
    *, db: firestore.Client, app: firebase_admin.App, uid: str, now: datetime
) -> dict[str, str]:
    """Mark the account for deletion, lock it at once (disabled, refresh tokens revoked: the
    caller's token opens nothing from here on), and hand the work to the deletion worker."""
    state, publish_now = mark_for_deletion(db=db, uid=uid, now=now)
    _lock_account(db, app, uid)
    if publish_now:
        publish(
            topic=Topic.USER_DELETION_REQUESTED,
            envelope=Envelope(
                idempotency_key=f"delete:{_job_ref(db, uid).id}",
                data=UserDeletionRequested(uid=uid, requested_by=uid),
            ),
        )
    return {"status": "deleted" if state == DeletionState.DONE.value else "pending"}


def delete_user_data(
    *,
    db: firestore.Client,
    app: firebase_admin.App,
    uid: str,
    now: Callable[[], datetime],
    after_step: Callable[[DeletionStep], None] | None = None,
) -> bool:
    """Run (or resume) a requested deletion; False when there is none or it already finished.

    `after_step` observes progress (logging, tests that simulate a crash between steps).
    """
    job_ref = _job_ref(db, uid)
    job = job_ref.get().to_dict()
    if job is None or job["state"] == DeletionState.DONE.value:
        return False
    job_ref.update({"state": DeletionState.DELETING.value, "updatedAt": now()})
    done = set(job.get("done", []))
    for step in DeletionStep:
        # The user tree is always swept again: a sign-in racing the lock may have written to it.
        if step.value in done and step is not DeletionStep.USER_TREE:
            continue
        _STEPS[step](db, app, uid)
        job_ref.update({"done": firestore.ArrayUnion([step.value]), "updatedAt": now()})
        log.info("deletion step done", extra={"step": step.value, "job": job_ref.id})
        if after_step is not None:
            after_step(step)
    finished = now()
    audit.record(
        db=db,
        action=AuditAction.ACCOUNT_DELETED,
        now=finished,
        key=job_ref.id,
        target_uid=user_data.pseudonym(uid),
        details={"requestedAt": job["requestedAt"]},
    )
    # The finished job keeps no uid: only its hash id, state and times remain.
    job_ref.set(
        {
            "state": DeletionState.DONE.value,
            "requestedAt": job["requestedAt"],
            "updatedAt": finished,
            "completedAt": finished,
        }
    )
    return True


def _lock_account(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    with contextlib.suppress(auth.UserNotFoundError):  # no new sign-ins while deleting
        auth.update_user(uid, disabled=True, app=app)
        auth.revoke_refresh_tokens(uid, app=app)


def _delete_uid_documents(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    for query in user_data.UID_QUERIES:
        for doc in user_data.documents_where(
            db=db, collection=query.collection, field=query.field, value=uid
        ):
            doc.reference.delete()


def _delete_keyed_documents(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    for collection in user_data.KEYED_BY_UID:
        db.document(f"{collection}/{uid}").delete()
    db.document(paths.rate_limit(uid)).delete()


def _pseudonymise_audit(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    alias = user_data.pseudonym(uid)
    for field in user_data.AUDIT_FIELDS:
        for doc in user_data.documents_where(
            db=db, collection=paths.AUDIT_LOGS, field=field, value=uid
        ):
            doc.reference.update({field: alias})


def _delete_user_tree(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    db.recursive_delete(db.document(paths.user(uid)))


def _delete_auth_user(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    with contextlib.suppress(auth.UserNotFoundError):
        auth.delete_user(uid, app=app)


_STEPS: dict[DeletionStep, Callable[[firestore.Client, firebase_admin.App, str], None]] = {
    DeletionStep.LOCK_ACCOUNT: _lock_account,
    DeletionStep.UID_DOCUMENTS: _delete_uid_documents,
    DeletionStep.KEYED_DOCUMENTS: _delete_keyed_documents,
    DeletionStep.AUDIT_PSEUDONYMS: _pseudonymise_audit,
    DeletionStep.USER_TREE: _delete_user_tree,
    DeletionStep.AUTH_USER: _delete_auth_user,
}


def resume_stale_deletions(*, db: firestore.Client, now: datetime) -> int:
    """Re-publish deletions that stopped progressing (a crashed worker); returns how many."""
    stale = (
        db.collection(paths.DELETION_JOBS)
        .where(
            filter=firestore.FieldFilter(
                "state", "in", [DeletionState.PENDING.value, DeletionState.DELETING.value]
            )
        )
        .where(filter=firestore.FieldFilter("updatedAt", "<", now - STALE_DELETION))
        .limit(50)
        .stream()
    )
    count = 0
    for doc in stale:
        uid = (doc.to_dict() or {}).get("uid")
        if uid:
            publish(
                topic=Topic.USER_DELETION_REQUESTED,
                envelope=Envelope(
                    idempotency_key=f"delete:{doc.id}",
                    data=UserDeletionRequested(uid=uid, requested_by="sweeper"),
                ),
            )
            count += 1
    return count
