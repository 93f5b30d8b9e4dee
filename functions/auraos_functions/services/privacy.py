"""GDPR: export everything a user owns; delete all of it, resumably, then the Auth user."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore

from shared.events import Envelope, Topic, UserDeletionRequested
from shared.models.export import DataExport
from shared.models.records import DeletionStep
from shared.models.security import AuditAction
from shared.models.users import DeletionState

from ..domain import STALE_DELETION, pseudonym
from ..publisher import publish
from ..repositories import audit, deletion_jobs, export, user_data

log = logging.getLogger(__name__)
__all__ = [
    "STALE_DELETION",
    "DeletionStep",
    "delete_user_data",
    "export_user_data",
    "mark_for_deletion",
    "request_account_deletion",
    "resume_stale_deletions",
]


def export_user_data(*, db: firestore.Client, uid: str, now: datetime) -> DataExport:
    """Every document that holds the user's uid (repositories/export.py)."""
    return export.export_user_data(db=db, uid=uid, now=now)


def _publish_deletion(*, uid: str, requested_by: str) -> None:
    publish(
        topic=Topic.USER_DELETION_REQUESTED,
        envelope=Envelope(
            idempotency_key=f"delete:{deletion_jobs.job_id(uid)}",
            data=UserDeletionRequested(uid=uid, requested_by=requested_by),
        ),
    )


def mark_for_deletion(*, db: firestore.Client, uid: str, now: datetime) -> deletion_jobs.Marked:
    """Record the request once (the job's state, whether the work must be (re)published).

    Asking again while a deletion runs changes nothing; asking again after it stalled resumes it.
    """
    marked = deletion_jobs.mark(db=db, uid=uid, now=now, stale_after=STALE_DELETION)
    if marked.created:
        audit.record(
            db=db,
            action=AuditAction.ACCOUNT_DELETION_REQUESTED,
            now=now,
            key=deletion_jobs.job_id(uid),
            actor_uid=uid,
            target_uid=uid,
        )
    return marked


def request_account_deletion(
    *, db: firestore.Client, app: firebase_admin.App, uid: str, now: datetime
) -> DeletionState:
    """Mark the account for deletion, lock it at once (disabled, refresh tokens revoked: the
    caller's token opens nothing from here on), and hand the work to the deletion worker.
    The job's state afterwards."""
    marked = mark_for_deletion(db=db, uid=uid, now=now)
    _lock_account(db, app, uid)
    if marked.publish:
        _publish_deletion(uid=uid, requested_by=uid)
    return marked.state


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
    job = deletion_jobs.get(db=db, uid=uid)
    if job is None or job.state is DeletionState.DONE:
        return False
    deletion_jobs.start(db=db, uid=uid, now=now())
    done = set(job.done)
    for step in DeletionStep:
        # The user tree is always swept again: a sign-in racing the lock may have written to it.
        if step in done and step is not DeletionStep.USER_TREE:
            continue
        _STEPS[step](db, app, uid)
        deletion_jobs.record_step(db=db, uid=uid, step=step, now=now())
        log.info("deletion step done", extra={"step": step.value, "job": deletion_jobs.job_id(uid)})
        if after_step is not None:
            after_step(step)
    finished = now()
    audit.record(
        db=db,
        action=AuditAction.ACCOUNT_DELETED,
        now=finished,
        key=deletion_jobs.job_id(uid),
        target_uid=pseudonym(uid),
        details={"requestedAt": job.requested_at},
    )
    deletion_jobs.finish(db=db, uid=uid, requested_at=job.requested_at, now=finished)
    return True


def _lock_account(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    with contextlib.suppress(auth.UserNotFoundError):  # no new sign-ins while deleting
        auth.update_user(uid, disabled=True, app=app)
        auth.revoke_refresh_tokens(uid, app=app)


def _delete_uid_documents(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    user_data.delete_uid_documents(db=db, uid=uid)


def _delete_keyed_documents(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    user_data.delete_keyed_documents(db=db, uid=uid)


def _pseudonymise_audit(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    user_data.pseudonymise_audit(db=db, uid=uid)


def _delete_user_tree(db: firestore.Client, app: firebase_admin.App, uid: str) -> None:
    user_data.delete_user_tree(db=db, uid=uid)


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
    count = 0
    for job in deletion_jobs.stale(db=db, updated_before=now - STALE_DELETION, limit=50):
        if job.uid:
            _publish_deletion(uid=job.uid, requested_by="sweeper")
            count += 1
    return count
