"""The functions' side of the chat pipeline: queue turns, regenerate, sweep, fail what is dead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.cloud import firestore

from shared import paths
from shared.events import ChatRequested, Envelope, Topic
from shared.models.chat import TurnError, TurnState
from shared.models.security import AuditAction
from shared.models.turn_ref import TurnRef
from shared.tracing import current_traceparent

from ..config import settings
from ..publisher import publish
from ..repositories import audit, turns

log = logging.getLogger(__name__)


def _publish_request(*, turn: TurnRef, attempt: int) -> None:
    message = ChatRequested.for_turn(turn, attempt=attempt)
    envelope = Envelope(
        idempotency_key=message.idempotency_key, data=message, traceparent=current_traceparent()
    )
    publish(topic=Topic.CHAT_REQUESTED, envelope=envelope)


def _settle(
    result: turns.QueueResult,
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    now: datetime,
) -> turns.QueueResult:
    if result.publish:
        _publish_request(
            turn=TurnRef(uid=uid, conversation_id=cid, turn_id=turn_id), attempt=result.attempt
        )
    if result.rate_limited is not None:
        audit.record(
            db=db,
            action=AuditAction.RATE_LIMIT_TRIPPED,
            now=now,
            actor_uid=uid,
            target_uid=uid,
            key=TurnRef(uid=uid, conversation_id=cid, turn_id=turn_id).idempotency_key(
                result.attempt
            ),
            details={"action": turns.CHAT_ACTION, **result.rate_limited.details},
        )
    log.info(
        "turn settled",
        extra={
            "uid": uid,
            "turnId": turn_id,
            "state": result.state,
            "attempt": result.attempt,
            "published": result.publish,
        },
    )
    return result


def queue_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime
) -> turns.QueueResult:
    """Queue a new turn and hand it to ai_service; safe to call again for the same turn."""
    result = turns.queue_new_turn(
        db=db, uid=uid, cid=cid, turn_id=turn_id, now=now, limit=settings().chat_rate_limit
    )
    return _settle(result, db=db, uid=uid, cid=cid, turn_id=turn_id, now=now)


def retry_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime
) -> turns.QueueResult:
    """The owner asked to regenerate: a new attempt, the old one kept readable."""
    result = turns.requeue_for_retry(
        db=db, uid=uid, cid=cid, turn_id=turn_id, now=now, limit=settings().chat_rate_limit
    )
    return _settle(result, db=db, uid=uid, cid=cid, turn_id=turn_id, now=now)


def stop_turn(*, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime) -> bool:
    """The owner stopped a turn: end it here if no worker holds it (a worker ends its own)."""
    stopped = turns.stop_unclaimed_turn(db=db, uid=uid, cid=cid, turn_id=turn_id, now=now)
    log.info("turn stop", extra={"uid": uid, "turnId": turn_id, "stoppedHere": stopped})
    return stopped


@dataclass(frozen=True, slots=True)
class SweepReport:
    requeued: int
    failed: int
    republished: int


def sweep_turns(
    *,
    db: firestore.Client,
    now: datetime,
    max_attempts: int,
    stale_after: timedelta,
    page_size: int = 100,
) -> SweepReport:
    """Recover turns a crashed worker left behind, and re-publish queued turns nobody claimed."""
    requeued = failed = republished = 0
    for path in turns.expired_turn_paths(db=db, now=now, page_size=page_size):
        result = turns.recover_expired_turn(db=db, path=path, now=now, max_attempts=max_attempts)
        if result.publish:
            _publish_request(turn=TurnRef.parse(path), attempt=result.attempt)
            requeued += 1
        elif result.state is TurnState.ERROR:
            failed += 1
    cutoff = now - stale_after
    for path in turns.stalled_queued_turn_paths(db=db, queued_before=cutoff, page_size=page_size):
        attempt = turns.mark_requeued(db=db, path=path, now=now, stale_after=stale_after)
        if attempt is not None:
            _publish_request(turn=TurnRef.parse(path), attempt=attempt)
            republished += 1
    report = SweepReport(requeued=requeued, failed=failed, republished=republished)
    log.info(
        "turn sweep", extra={"requeued": requeued, "failed": failed, "republished": republished}
    )
    return report


DEAD_LETTER_ERROR = TurnError(
    code="unavailable",
    message="The assistant could not answer this message. Please try again.",
)
OUTAGE_ERROR = TurnError(
    code="unavailable",
    message="The assistant was unavailable for too long, so this message was not answered. "
    "Please try again.",
)


def _defer_unclaimed(
    *,
    db: firestore.Client,
    message: ChatRequested,
    now: datetime,
    stale_after: timedelta,
    give_up_after: timedelta,
) -> str:
    """Hand a dead-lettered QUEUED turn back to the sweeper: "deferred", "expired" (waited past
    `give_up_after` since its first dead letter), "stale" (another attempt is queued), "ended",
    or "claimed" (a worker holds it)."""
    ref = db.document(paths.turn(message.uid, message.conversation_id, message.turn_id))

    @firestore.transactional
    def defer(transaction: firestore.Transaction) -> str:
        status = ((ref.get(transaction=transaction).to_dict() or {}).get("status")) or {}
        state = status.get("state")
        if state not in {s.value for s in TurnState} or TurnState(state).is_terminal:
            return "ended"
        if state != TurnState.QUEUED.value:
            return "claimed"
        if status.get("attempt") != message.attempt:
            return "stale"
        first = status.get("deadLetteredAt") or now
        if now - first >= give_up_after:
            return "expired"
        # Queued "long enough ago" that the next sweep re-publishes it, once a minute while
        # the service is down; the first dead letter's time bounds the whole wait.
        transaction.update(
            ref,
            {
                "status.deadLetteredAt": first,
                "status.queuedAt": now - stale_after - timedelta(seconds=1),
            },
        )
        return "deferred"

    result: str = defer(db.transaction())
    return result


def fail_dead_lettered_turn(*, db: firestore.Client, message: ChatRequested, now: datetime) -> bool:
    """A chat request whose deliveries ran out: retry it later or tell the user, never lose it.

    A turn no worker claimed (the service was down or unreachable) stays QUEUED and is re-published
    by the next sweep (`sweep_turns`, every minute), again after each further dead letter, until
    it is claimed or `dead_letter_give_up_s` has passed since its first dead letter: then it
    ends ERROR with a message that says to try again. A claimed turn whose deliveries ran out
    ends ERROR at once, as before; the sweeper's lease recovery covers a worker that died.
    True when the turn was failed.
    """
    config = settings()
    outcome = _defer_unclaimed(
        db=db,
        message=message,
        now=now,
        stale_after=timedelta(seconds=config.turn_lease_s),
        give_up_after=timedelta(seconds=config.dead_letter_give_up_s),
    )
    log.info("dead-lettered turn", extra={"turnId": message.turn_id, "outcome": outcome})
    if outcome not in ("claimed", "expired"):
        return False
    return turns.fail_turn(
        db=db,
        uid=message.uid,
        cid=message.conversation_id,
        turn_id=message.turn_id,
        error=OUTAGE_ERROR if outcome == "expired" else DEAD_LETTER_ERROR,
        now=now,
    )
