"""Turn state transitions in Firestore, by optimistic concurrency on the document's update time.

A claim reads the turn once and updates it on the precondition that nothing changed since; every
later write carries the update time of our previous one. A racing worker, a duplicate delivery or a
sweeper that re-queued the turn therefore makes our next write fail, and we stop: no transaction
retries and no extra reads while streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared import paths
from shared.models.chat import ChatTurn, TurnError, TurnState, TurnStatus, Usage


@dataclass(slots=True)
class Claim:
    """A turn this worker owns; `version` is the update time of our last write to it."""

    uid: str
    cid: str
    turn_id: str
    event_id: str
    attempt: int
    turn: ChatTurn
    version: datetime

    @property
    def path(self) -> str:
        return paths.turn(self.uid, self.cid, self.turn_id)


def claim_turn(
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    attempt: int,
    event_id: str,
    now: datetime,
    lease: timedelta,
) -> Claim | None:
    """Claim a QUEUED turn for `attempt`; None when it is not ours to take (taken, ended, stale)."""
    ref = db.document(paths.turn(uid, cid, turn_id))
    snapshot = ref.get()
    data = snapshot.to_dict()
    if data is None or not data.get("status"):
        return None
    turn = ChatTurn.from_document(data)
    status = turn.status
    if status is None or status.state is not TurnState.QUEUED or status.attempt != attempt:
        return None
    claimed = TurnStatus(
        state=TurnState.PROCESSING,
        attempt=attempt,
        event_id=event_id,
        lease_expires_at=now + lease,
        start_time=now,
    )
    try:
        result = ref.update(
            {"status": claimed.to_document()},
            option=db.write_option(last_update_time=snapshot.update_time),
        )
    except (gexc.FailedPrecondition, gexc.Aborted, gexc.NotFound):
        return None
    return Claim(
        uid=uid,
        cid=cid,
        turn_id=turn_id,
        event_id=event_id,
        attempt=attempt,
        turn=turn.model_copy(update={"status": claimed}),
        version=result.update_time,
    )


def _write_if_owner(*, db: firestore.Client, claim: Claim, fields: dict[str, Any]) -> bool:
    """Apply `fields` only if nobody touched the turn since our last write; False = claim lost."""
    try:
        result = db.document(claim.path).update(
            fields, option=db.write_option(last_update_time=claim.version)
        )
    except (gexc.FailedPrecondition, gexc.Aborted, gexc.NotFound):
        return False
    claim.version = result.update_time
    return True


def stream_partial(
    *, db: firestore.Client, claim: Claim, response: str, now: datetime, lease: timedelta
) -> bool:
    """Show the reply so far and extend the lease."""
    return _write_if_owner(
        db=db,
        claim=claim,
        fields={
            "response": response,
            "status.state": TurnState.STREAMING.value,
            "status.leaseExpiresAt": now + lease,
        },
    )


def complete_turn(
    *,
    db: firestore.Client,
    claim: Claim,
    response: str,
    analysis: dict[str, Any],
    usage: Usage,
    state: TurnState,
    now: datetime,
) -> bool:
    """Finish the turn (COMPLETED or BLOCKED) with its analysis and usage."""
    return _write_if_owner(
        db=db,
        claim=claim,
        fields={
            "response": response,
            **analysis,
            "usage": usage.to_document(),
            "status.state": state.value,
            "status.completeTime": now,
            "status.leaseExpiresAt": None,
        },
    )


def fail_turn(*, db: firestore.Client, claim: Claim, error: TurnError, now: datetime) -> bool:
    """End the turn with an error the user can read."""
    return _write_if_owner(
        db=db,
        claim=claim,
        fields={
            "status.state": TurnState.ERROR.value,
            "status.error": error.to_document(),
            "status.completeTime": now,
            "status.leaseExpiresAt": None,
        },
    )


def release_turn(*, db: firestore.Client, claim: Claim) -> bool:
    """Put a claimed turn back in the queue (same attempt) after a transient failure."""
    return _write_if_owner(
        db=db,
        claim=claim,
        fields={
            "response": firestore.DELETE_FIELD,
            "status.state": TurnState.QUEUED.value,
            "status.eventId": None,
            "status.leaseExpiresAt": None,
        },
    )


def stopped_by_owner(*, db: firestore.Client, claim: Claim) -> bool:
    """After a write of ours failed: did the owner stop this very claim? One read.

    The owner's STOP changes the document, so our next precondition fails; re-reading once tells
    a stop (ours to end) from a lost claim (another worker's or the sweeper's turn now). When it
    was a stop, the claim adopts the document's update time so that `stop_turn` can follow it.
    """
    snapshot = db.document(claim.path).get()
    data = snapshot.to_dict()
    if not data or not data.get("status"):
        return False
    status = TurnStatus.from_document(data["status"])
    ours = status.event_id == claim.event_id and status.attempt == claim.attempt
    if status.state is not TurnState.STOP or not ours:
        return False
    claim.version = snapshot.update_time
    return True


def stop_turn(
    *,
    db: firestore.Client,
    claim: Claim,
    response: str,
    analysis: dict[str, Any],
    usage: Usage,
    now: datetime,
) -> bool:
    """End a stopped turn with what was generated up to the stop (kept, and counted)."""
    fields: dict[str, Any] = {
        **analysis,
        "usage": usage.to_document(),
        "status.state": TurnState.STOPPED.value,
        "status.stoppedAt": now,
        "status.completeTime": now,
        "status.leaseExpiresAt": None,
    }
    if response:
        fields["response"] = response
    return _write_if_owner(db=db, claim=claim, fields=fields)
