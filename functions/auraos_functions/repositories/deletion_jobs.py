"""`deletion_jobs/{sha256(uid)[:32]}`: delete-my-account requests and the steps they have done.

Keyed by a hash, so a finished job (which keeps only its state and times) does not name the
user. The profile's `deletion` field is set in the same transaction that creates the job: from
then on the rules and the callables treat the account as being deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.cloud import firestore
from pydantic import ValidationError

from shared import paths
from shared.models.records import DeletionJob, DeletionStep
from shared.models.users import DeletionState

from ..domain import uid_key

log = logging.getLogger(__name__)


def job_id(uid: str) -> str:
    """The id of `uid`'s deletion job."""
    return uid_key(uid)


def _ref(db: firestore.Client, uid: str) -> firestore.DocumentReference:
    return db.document(f"{paths.DELETION_JOBS}/{job_id(uid)}")


@dataclass(frozen=True, slots=True)
class Marked:
    """What asking for a deletion found or did."""

    state: DeletionState
    """The job's state afterwards."""
    publish: bool
    """Whether the work must be (re)published: a new job, or one that stalled."""
    created: bool
    """Whether this call created the job (and marked the profile)."""


def mark(*, db: firestore.Client, uid: str, now: datetime, stale_after: timedelta) -> Marked:
    """Create the job (PENDING) and mark the profile, once; asking again while a deletion runs
    changes nothing, asking again after it stalled for `stale_after` says to publish again."""
    job_ref = _ref(db, uid)

    @firestore.transactional
    def create(transaction: firestore.Transaction) -> Marked:
        stored = job_ref.get(transaction=transaction).to_dict()
        if stored is not None:
            job = DeletionJob.from_document(stored)
            stale = job.state is not DeletionState.DONE and job.updated_at < now - stale_after
            return Marked(state=job.state, publish=stale, created=False)
        job = DeletionJob(uid=uid, state=DeletionState.PENDING, requested_at=now, updated_at=now)
        transaction.set(job_ref, {**job.to_document(), "done": []})
        transaction.set(
            db.document(paths.user(uid)),
            {"deletion": DeletionState.PENDING.value, "updatedAt": now},
            merge=True,
        )
        return Marked(state=DeletionState.PENDING, publish=True, created=True)

    result: Marked = create(db.transaction())
    return result


def get(*, db: firestore.Client, uid: str) -> DeletionJob | None:
    """`uid`'s job, or None when no deletion was asked for."""
    stored = _ref(db, uid).get().to_dict()
    return DeletionJob.from_document(stored) if stored is not None else None


def start(*, db: firestore.Client, uid: str, now: datetime) -> None:
    """The worker took the job: DELETING."""
    _ref(db, uid).update({"state": DeletionState.DELETING.value, "updatedAt": now})


def record_step(*, db: firestore.Client, uid: str, step: DeletionStep, now: datetime) -> None:
    """`step` is done (recorded once, however often it is repeated)."""
    _ref(db, uid).update({"done": firestore.ArrayUnion([step.value]), "updatedAt": now})


def finish(*, db: firestore.Client, uid: str, requested_at: datetime, now: datetime) -> None:
    """DONE: the job is rewritten without the uid, keeping only its state and times."""
    job = DeletionJob(
        state=DeletionState.DONE, requested_at=requested_at, updated_at=now, completed_at=now
    )
    _ref(db, uid).set(job.model_dump(by_alias=True, exclude_none=True, exclude={"done"}))


def stale(*, db: firestore.Client, updated_before: datetime, limit: int) -> Iterator[DeletionJob]:
    """Unfinished jobs that have not progressed since `updated_before` (a crashed worker)."""
    query = (
        db.collection(paths.DELETION_JOBS)
        .where(
            filter=firestore.FieldFilter(
                "state", "in", [DeletionState.PENDING.value, DeletionState.DELETING.value]
            )
        )
        .where(filter=firestore.FieldFilter("updatedAt", "<", updated_before))
        .limit(limit)
    )
    for doc in query.stream():
        try:
            yield DeletionJob.from_document(doc.to_dict() or {})
        except ValidationError:
            log.error("unreadable deletion job", extra={"job": doc.id})
