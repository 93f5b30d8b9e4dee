"""The functions' side of the chat pipeline: queue turns, regenerate, sweep, fail what is dead."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from google.cloud import firestore

from shared.events import ChatRequested, Envelope, Topic
from shared.models.chat import TurnError, TurnState
from shared.models.security import AuditAction
from shared.models.turn_ref import TurnRef
from shared.tracing import current_traceparent

from .. import domain
from ..config import settings
from ..domain import DeadLetterOutcome
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
    result: turns.QueueResult, *, db: firestore.Client, turn: TurnRef, now: datetime
) -> turns.QueueResult:
    if result.publish:
        _publish_request(turn=turn, attempt=result.attempt)
    if result.rate_limited is not None:
        audit.record(
            db=db,
            action=AuditAction.RATE_LIMIT_TRIPPED,
            now=now,
            actor_uid=turn.uid,
            target_uid=turn.uid,
            key=turn.idempotency_key(result.attempt),
            details={"action": turns.CHAT_ACTION, **result.rate_limited.details},
        )
    log.info(
        "turn settled",
        extra={
            "uid": turn.uid,
            "turnId": turn.turn_id,
            "state": result.state,
            "attempt": result.attempt,
            "published": result.publish,
        },
    )
    return result


def queue_turn(*, db: firestore.Client, turn: TurnRef, now: datetime) -> turns.QueueResult:
    """Queue a new turn and hand it to ai_service; safe to call again for the same turn."""
    result = turns.queue_new_turn(db=db, turn=turn, now=now, limit=settings().chat_rate_limit)
    return _settle(result, db=db, turn=turn, now=now)


def retry_turn(*, db: firestore.Client, turn: TurnRef, now: datetime) -> turns.QueueResult:
    """The owner asked to regenerate: a new attempt, the old one kept readable."""
    result = turns.requeue_for_retry(db=db, turn=turn, now=now, limit=settings().chat_rate_limit)
    return _settle(result, db=db, turn=turn, now=now)


def stop_turn(*, db: firestore.Client, turn: TurnRef, now: datetime) -> bool:
    """The owner stopped a turn: end it here if no worker holds it (a worker ends its own)."""
    stopped = turns.stop_unclaimed_turn(db=db, turn=turn, now=now)
    log.info("turn stop", extra={"uid": turn.uid, "turnId": turn.turn_id, "stoppedHere": stopped})
    return stopped


def answer_owner(
    *, db: firestore.Client, turn: TurnRef, request: TurnState, now: datetime
) -> turns.QueueResult | bool:
    """The owner's RETRY (a new attempt) or STOP (ended here when unclaimed)."""
    if request is TurnState.RETRY:
        return retry_turn(db=db, turn=turn, now=now)
    if request is TurnState.STOP:
        return stop_turn(db=db, turn=turn, now=now)
    raise ValueError(f"{request} is not an owner's request")


@dataclass(frozen=True, slots=True)
class SweepReport:
    requeued: int
    failed: int
    republished: int
    queued: int  # turns whose created trigger never ran to the end, queued here


def sweep_turns(
    *,
    db: firestore.Client,
    now: datetime,
    max_attempts: int,
    stale_after: timedelta,
    page_size: int = 100,
) -> SweepReport:
    """Recover turns a crashed worker left behind, re-publish queued turns nobody claimed, and
    queue turns whose trigger was lost (each step is the idempotent transaction it repeats)."""
    requeued = failed = republished = queued = 0
    for turn in turns.expired_turns(db=db, now=now, page_size=page_size):
        result = turns.recover_expired_turn(db=db, turn=turn, now=now, max_attempts=max_attempts)
        if result.publish:
            _publish_request(turn=turn, attempt=result.attempt)
            requeued += 1
        elif result.state is TurnState.ERROR:
            failed += 1
    cutoff = now - stale_after
    for turn in turns.stalled_queued_turns(db=db, queued_before=cutoff, page_size=page_size):
        attempt = turns.mark_requeued(db=db, turn=turn, now=now, stale_after=stale_after)
        if attempt is not None:
            _publish_request(turn=turn, attempt=attempt)
            republished += 1
    created_from, created_before = domain.unqueued_window(now=now)
    for turn in turns.unqueued_turns(
        db=db, created_from=created_from, created_before=created_before
    )[:page_size]:
        if queue_turn(db=db, turn=turn, now=now).publish:
            queued += 1
    report = SweepReport(requeued=requeued, failed=failed, republished=republished, queued=queued)
    log.info("turn sweep", extra=asdict(report))
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
    turn = message.turn
    outcome = turns.defer_dead_lettered(
        db=db,
        turn=turn,
        attempt=message.attempt,
        now=now,
        stale_after=timedelta(seconds=config.turn_lease_s),
        give_up_after=timedelta(seconds=config.dead_letter_give_up_s),
    )
    log.info("dead-lettered turn", extra={"turnId": turn.turn_id, "outcome": outcome.value})
    if not outcome.fails_turn:
        return False
    error = OUTAGE_ERROR if outcome is DeadLetterOutcome.EXPIRED else DEAD_LETTER_ERROR
    return turns.fail_turn(db=db, turn=turn, error=error, now=now)
