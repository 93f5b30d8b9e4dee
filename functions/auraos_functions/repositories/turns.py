"""Chat turns and their conversation: the transactions that queue, re-queue and fail turns.

Each function reads and writes one turn in one transaction and reports whether work must be
published, so a redelivered trigger, a racing sweeper or a double RETRY does nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot
from pydantic import ValidationError

from shared import paths
from shared.errors import Conflict, InvalidInput, RateLimited
from shared.models.chat import MAIN_BRANCH, TurnCreate, TurnError, TurnState, TurnStatus
from shared.models.turn_ref import TurnRef
from shared.models.users import AccountState, account_state

from .. import domain
from ..domain import DeadLetterOutcome, RateLimit
from .rate_limits import MAX_TRANSACTION_ATTEMPTS, take_in_transaction

log = logging.getLogger(__name__)

CHAT_ACTION = "chat"


@dataclass(frozen=True, slots=True)
class QueueResult:
    """Where the turn stands afterwards; `publish` says whether a ChatRequested must be sent."""

    state: TurnState | None
    attempt: int
    publish: bool
    rate_limited: RateLimited | None = None


_INVALID_BRANCH = TurnError(
    code="invalid-branch",
    message="This message belongs to a version of the conversation that does not exist.",
)


# Why a turn of an account that may no longer act was not answered (GONE: nothing is kept).
_ACCOUNT_REFUSALS = {
    AccountState.DEACTIVATED: TurnError(
        code="account-deactivated",
        message="This account has been deactivated, so the message was not answered. "
        "Contact support.",
    ),
    AccountState.DELETING: TurnError(
        code="account-deleted",
        message="This account is being deleted, so the message was not answered.",
    ),
}


def _refuse_for_account(
    transaction: firestore.Transaction,
    *,
    db: firestore.Client,
    turn: TurnRef,
    status: TurnStatus,
    now: datetime,
) -> QueueResult | None:
    """Re-check the account (one read of `users/{uid}`) before any work is done for it: a
    deactivated or deleting account's turn is failed readably, a deleted one's is removed (a
    stray write must not leave data behind), and nothing is published."""
    user = db.document(paths.user(turn.uid)).get(transaction=transaction)
    account = account_state(user.to_dict())
    if account is AccountState.ACTIVE:
        return None
    ref = db.document(turn.path)
    if account is AccountState.GONE:
        transaction.delete(ref)
        return QueueResult(state=None, attempt=status.attempt, publish=False)
    failed = domain.failed(status, _ACCOUNT_REFUSALS[account], now)
    transaction.update(ref, {"status": failed.to_document()})
    return QueueResult(state=TurnState.ERROR, attempt=status.attempt, publish=False)


def _branch_of(
    transaction: firestore.Transaction,
    *,
    db: firestore.Client,
    turn: TurnRef,
    data: dict[str, Any],
) -> TurnCreate | TurnError:
    """Where a new turn sits: main, a branch its edit starts, or an existing branch.

    The rules check the shape; this checks what they cannot cheaply: an edit's parent is a turn
    of this conversation, and a later turn's branch was started by an edit (one read each).
    """
    turn_id = turn.turn_id
    try:
        placed = TurnCreate.model_validate(
            {
                "prompt": data.get("prompt"),
                "branch": data.get("branch") or MAIN_BRANCH,
                "parentTurnId": data.get("parentTurnId"),
            }
        )
    except ValidationError:
        return _INVALID_BRANCH
    if placed.parent_turn_id is not None:
        if not placed.starts_branch(turn_id) or placed.parent_turn_id == turn_id:
            return _INVALID_BRANCH
        parent = db.document(_sibling(turn, placed.parent_turn_id)).get(
            ["createTime"], transaction=transaction
        )
        return placed if parent.exists else _INVALID_BRANCH
    if placed.branch == MAIN_BRANCH:
        return placed
    root = db.document(_sibling(turn, placed.branch)).get(
        ["branch", "parentTurnId"], transaction=transaction
    )
    started = (root.to_dict() or {}) if root.exists else {}
    if started.get("branch") != placed.branch or not started.get("parentTurnId"):
        return _INVALID_BRANCH
    return placed


def _sibling(turn: TurnRef, turn_id: str) -> str:
    """The path of another turn of the same conversation."""
    return paths.turn(turn.uid, turn.conversation_id, turn_id)


def _spend_chat_token(
    transaction: firestore.Transaction,
    *,
    db: firestore.Client,
    turn: TurnRef,
    status: TurnStatus,
    limit: RateLimit,
    now: datetime,
) -> QueueResult | None:
    """Spend one chat token; when none is left, fail the turn readably and say so."""
    try:
        take_in_transaction(
            transaction=transaction, db=db, uid=turn.uid, action=CHAT_ACTION, limit=limit, now=now
        )
    except RateLimited as limited:
        error = TurnError(code=limited.code, message=limited.message)
        failed = domain.failed(status, error, now)
        transaction.update(db.document(turn.path), {"status": failed.to_document()})
        return QueueResult(
            state=TurnState.ERROR, attempt=status.attempt, publish=False, rate_limited=limited
        )
    return None


def _status(data: dict[str, Any] | None) -> TurnStatus | None:
    """The stored turn's status, or None before the trigger has set one."""
    raw = (data or {}).get("status")
    return TurnStatus.from_document(raw) if raw else None


def queue_new_turn(
    *, db: firestore.Client, turn: TurnRef, now: datetime, limit: RateLimit
) -> QueueResult:
    """Queue a freshly created turn once: validate, spend a rate-limit token, do the bookkeeping.

    A redelivered trigger finds the status set and does nothing: no second token, no second
    publish. Should the first delivery die between commit and publish, the sweeper re-publishes
    the turn once its `queuedAt` is stale.
    """
    turn_ref = db.document(turn.path)
    conversation_ref = db.document(turn.conversation_path)

    # The conversation is written, never read: its title (and a createdAt its creator left out)
    # comes with the first answered turn, from ai_service, which reads the conversation anyway.
    @firestore.transactional
    def queue(transaction: firestore.Transaction) -> QueueResult:  # noqa: PLR0911 - one per outcome
        data = turn_ref.get(transaction=transaction).to_dict()
        if data is None:
            return QueueResult(state=None, attempt=0, publish=False)
        status = _status(data)
        if status is not None:  # a redelivered event: the first delivery did the work
            return QueueResult(state=status.state, attempt=status.attempt, publish=False)
        blank = TurnStatus(state=TurnState.QUEUED, attempt=0)
        refused = _refuse_for_account(transaction, db=db, turn=turn, status=blank, now=now)
        if refused is not None:
            return refused
        error = domain.invalid_prompt_error(data.get("prompt"))
        if error is not None:
            failed = domain.failed(blank, error, now)
            transaction.update(turn_ref, {"status": failed.to_document()})
            return QueueResult(state=TurnState.ERROR, attempt=0, publish=False)
        placed = _branch_of(transaction, db=db, turn=turn, data=data)
        if isinstance(placed, TurnError):
            failed = domain.failed(blank, placed, now)
            transaction.update(turn_ref, {"status": failed.to_document()})
            return QueueResult(state=TurnState.ERROR, attempt=0, publish=False)
        refused = _spend_chat_token(
            transaction, db=db, turn=turn, status=blank, limit=limit, now=now
        )
        if refused is not None:
            return refused
        queued = domain.requeued(None, now, queued_ahead=ahead)
        transaction.update(turn_ref, {"status": queued.to_document(), "branch": placed.branch})
        bookkeeping: dict[str, Any] = {
            "updatedAt": now,
            "turnCount": firestore.Increment(1),
            "activeLeaf": turn.turn_id,
        }
        if placed.starts_branch(turn.turn_id):
            bookkeeping["branches"] = firestore.Increment(1)
        transaction.set(conversation_ref, bookkeeping, merge=True)
        return QueueResult(state=TurnState.QUEUED, attempt=queued.attempt, publish=True)

    ahead = _count_queued_before(db=db, when=now)
    result: QueueResult = queue(db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
    return result


def requeue_for_retry(
    *, db: firestore.Client, turn: TurnRef, now: datetime, limit: RateLimit
) -> QueueResult:
    """Turn an owner's RETRY into a new attempt; the previous one is kept in `attempts`."""
    ref = db.document(turn.path)

    @firestore.transactional
    def retry(transaction: firestore.Transaction) -> QueueResult:
        data = ref.get(transaction=transaction).to_dict() or {}
        status = _status(data)
        if status is None or status.state is not TurnState.RETRY:
            state = status.state if status else None
            return QueueResult(state=state, attempt=status.attempt if status else 0, publish=False)
        refused = _refuse_for_account(transaction, db=db, turn=turn, status=status, now=now)
        if refused is not None:
            return refused
        previous = {
            "attempt": status.attempt,
            "response": data.get("response"),
            "usage": data.get("usage"),
            "completeTime": status.complete_time,
            "stoppedAt": status.stopped_at,
            "error": data["status"].get("error"),
            "state": domain.ended_state_before_retry(
                stopped_at=status.stopped_at,
                error=data["status"].get("error"),
                usage_provider=(data.get("usage") or {}).get("provider"),
            ).value,
        }
        refused = _spend_chat_token(
            transaction, db=db, turn=turn, status=status, limit=limit, now=now
        )
        if refused is not None:
            return refused
        queued = domain.requeued(status, now, queued_ahead=ahead)
        transaction.update(
            ref,
            {
                "status": queued.to_document(),
                "attempts": firestore.ArrayUnion(
                    [{k: v for k, v in previous.items() if v is not None}]
                ),
                "response": firestore.DELETE_FIELD,
                "usage": firestore.DELETE_FIELD,
            },
        )
        return QueueResult(state=TurnState.QUEUED, attempt=queued.attempt, publish=True)

    ahead = _count_queued_before(db=db, when=now)
    result: QueueResult = retry(db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
    return result


# What a worker holds (domain.RUNNING_STATES), in the order the query names them.
_RUNNING_ORDER = (TurnState.PROCESSING, TurnState.STREAMING, TurnState.STOP)


def _refs(snapshots: Any) -> list[TurnRef]:
    """The turns a collection-group query found; a `messages` document elsewhere is skipped."""
    found: list[TurnRef] = []
    for doc in snapshots:
        try:
            found.append(TurnRef.parse(doc.reference.path))
        except InvalidInput:
            log.warning("not a chat turn", extra={"path": doc.reference.path})
    return found


def expired_turns(*, db: firestore.Client, now: datetime, page_size: int) -> list[TurnRef]:
    """Turns whose worker lease ran out (a crashed or killed worker), oldest first."""
    query = (
        db.collection_group(paths.MESSAGES)
        .where(
            filter=firestore.FieldFilter(
                "status.state", "in", [state.value for state in _RUNNING_ORDER]
            )
        )
        .where(filter=firestore.FieldFilter("status.leaseExpiresAt", "<", now))
        .order_by("status.leaseExpiresAt")
        .limit(page_size)
    )
    return _refs(query.stream())


_COUNT_TIMEOUT_S = 2.0  # queueing a turn waits at most this for its count


def _count_queued_before(*, db: firestore.Client, when: datetime) -> int | None:
    """`queued_before`, or None where it failed: the count is what the app shows while the turn
    waits, never a reason not to queue it. Counted before the queueing transaction, in the same
    thread (counted beside it, in a thread, the Functions emulator's Python worker hung up twice
    in two CI runs)."""
    try:
        return queued_before(db=db, when=when, timeout_s=_COUNT_TIMEOUT_S)
    except Exception:  # any failure: the turn is queued without its count
        log.warning("turns queued ahead not counted", exc_info=True)
        return None


def queued_before(*, db: firestore.Client, when: datetime, timeout_s: float | None = None) -> int:
    """How many turns, anyone's, were queued before `when` and wait still: one count query,
    read outside the transaction that queues the turn (a count is a read of its own)."""
    query: Any = (  # the library types `count()` as the class, not an instance
        db.collection_group(paths.MESSAGES)
        .where(filter=firestore.FieldFilter("status.state", "==", TurnState.QUEUED.value))
        .where(filter=firestore.FieldFilter("status.queuedAt", "<", when))
        .count()
    )
    # No retries: the default policy retries an unreachable server for minutes, past `timeout`.
    results = query.get(retry=None, timeout=timeout_s)
    return int(results[0][0].value)


def stalled_queued_turns(
    *, db: firestore.Client, queued_before: datetime, page_size: int
) -> list[TurnRef]:
    """Turns queued long ago that no worker claimed (e.g. the publish was lost)."""
    query = (
        db.collection_group(paths.MESSAGES)
        .where(filter=firestore.FieldFilter("status.state", "==", TurnState.QUEUED.value))
        .where(filter=firestore.FieldFilter("status.queuedAt", "<", queued_before))
        .order_by("status.queuedAt")
        .limit(page_size)
    )
    return _refs(query.stream())


def unqueued_turns(
    *, db: firestore.Client, created_from: datetime, created_before: datetime
) -> list[TurnRef]:
    """Turns created in [created_from, created_before) that have no status yet: their created
    trigger never ran to the end. A query cannot ask for a missing field, so every turn of the
    span is read (its status alone) and those with one are skipped."""
    query = (
        db.collection_group(paths.MESSAGES)
        .where(filter=firestore.FieldFilter("createTime", ">=", created_from))
        .where(filter=firestore.FieldFilter("createTime", "<", created_before))
        .order_by("createTime")
        .select(["status.state"])
    )
    return _refs(doc for doc in query.stream() if turn_state(doc) is None)


def recover_expired_turn(
    *, db: firestore.Client, turn: TurnRef, now: datetime, max_attempts: int
) -> QueueResult:
    """Re-queue a turn whose lease expired, or fail it readably once its attempts are spent."""
    ref = db.document(turn.path)

    @firestore.transactional
    def recover(transaction: firestore.Transaction) -> QueueResult:
        status = _status(ref.get(transaction=transaction).to_dict())
        if status is None:
            return QueueResult(state=None, attempt=0, publish=False)
        if not domain.lease_expired(status, now):
            return QueueResult(state=status.state, attempt=status.attempt, publish=False)
        if status.state is TurnState.STOP:  # its worker died before it saw the stop
            transaction.update(ref, {"status": domain.stopped(status, now).to_document()})
            return QueueResult(state=TurnState.STOPPED, attempt=status.attempt, publish=False)
        if status.attempt >= max_attempts:
            error = TurnError(
                code="deadline-exceeded",
                message="The assistant did not finish answering. Please try again.",
            )
            transaction.update(ref, {"status": domain.failed(status, error, now).to_document()})
            return QueueResult(state=TurnState.ERROR, attempt=status.attempt, publish=False)
        queued = domain.requeued(status, now, keep_start=True)
        transaction.update(
            ref, {"status": queued.to_document(), "response": firestore.DELETE_FIELD}
        )
        return QueueResult(state=TurnState.QUEUED, attempt=queued.attempt, publish=True)

    result: QueueResult = recover(db.transaction())
    return result


def mark_requeued(
    *, db: firestore.Client, turn: TurnRef, now: datetime, stale_after: timedelta
) -> int | None:
    """Refresh `queuedAt` of a still-unclaimed turn; its attempt when a re-publish is due."""
    ref = db.document(turn.path)

    @firestore.transactional
    def touch(transaction: firestore.Transaction) -> int | None:
        status = _status(ref.get(transaction=transaction).to_dict())
        if status is None:
            return None
        if status.state is not TurnState.QUEUED or status.queued_at is None:
            return None
        if status.queued_at >= now - stale_after:
            return None
        transaction.update(ref, {"status.queuedAt": now})
        return status.attempt

    result: int | None = touch(db.transaction())
    return result


def fail_turn(*, db: firestore.Client, turn: TurnRef, error: TurnError, now: datetime) -> bool:
    """Mark a turn that can no longer complete as ERROR; False when it already ended."""
    turn_ref = db.document(turn.path)

    @firestore.transactional
    def fail(transaction: firestore.Transaction) -> bool:
        status = _status(turn_ref.get(transaction=transaction).to_dict())
        if status is None or status.state.is_terminal:
            return False
        transaction.update(turn_ref, {"status": domain.failed(status, error, now).to_document()})
        return True

    result: bool = fail(db.transaction())
    return result


def stop_unclaimed_turn(*, db: firestore.Client, turn: TurnRef, now: datetime) -> bool:
    """End a turn its owner stopped before any worker claimed it (a claimed one is the worker's
    to end, with its partial reply); False when there is nothing to do here."""
    ref = db.document(turn.path)

    @firestore.transactional
    def stop(transaction: firestore.Transaction) -> bool:
        status = _status(ref.get(transaction=transaction).to_dict())
        if status is None or status.state is not TurnState.STOP or status.event_id is not None:
            return False
        transaction.update(ref, {"status": domain.stopped(status, now).to_document()})
        return True

    result: bool = stop(db.transaction())
    return result


def defer_dead_lettered(
    *,
    db: firestore.Client,
    turn: TurnRef,
    attempt: int,
    now: datetime,
    stale_after: timedelta,
    give_up_after: timedelta,
) -> DeadLetterOutcome:
    """Hand a dead-lettered QUEUED turn back to the sweeper (see domain.dead_letter_outcome);
    the first dead letter's time (`status.deadLetteredAt`) bounds the whole wait."""
    ref = db.document(turn.path)

    @firestore.transactional
    def defer(transaction: firestore.Transaction) -> DeadLetterOutcome:
        status = ((ref.get(transaction=transaction).to_dict() or {}).get("status")) or {}
        first = status.get("deadLetteredAt")
        outcome = domain.dead_letter_outcome(
            state=domain.known_state(status.get("state")),
            attempt=status.get("attempt"),
            message_attempt=attempt,
            first_dead_letter=first,
            now=now,
            give_up_after=give_up_after,
        )
        if outcome is DeadLetterOutcome.DEFERRED:
            # Queued "long enough ago" that the next sweep re-publishes it, once a minute while
            # the service is down.
            transaction.update(
                ref,
                {
                    "status.deadLetteredAt": first or now,
                    "status.queuedAt": domain.due_for_sweep(now=now, stale_after=stale_after),
                },
            )
        return outcome

    result: DeadLetterOutcome = defer(db.transaction())
    return result


def create_turn(
    *, db: firestore.Client, turn: TurnRef, prompt: str, new_conversation: bool
) -> None:
    """Write a turn as a client would (the trigger queues it), with its conversation when it is
    new, in one batch; creating the same turn with the same prompt again is no error.

    Conflict when the turn exists with a different prompt.
    """
    ref = db.document(turn.path)
    batch = db.batch()
    if new_conversation:
        conversation = db.document(turn.conversation_path)
        batch.set(conversation, {"createdAt": firestore.SERVER_TIMESTAMP}, merge=True)
    batch.create(ref, {"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
    try:
        batch.commit()
    except gexc.AlreadyExists:
        existing = ref.get().to_dict() or {}
        if existing.get("prompt") != prompt:
            raise Conflict("That turnId is already used by a different message.") from None


def turn_state(snapshot: DocumentSnapshot[DocumentReference] | None) -> TurnState | None:
    """The state in a trigger's snapshot of a turn; None when it has none (or none we know)."""
    data = (snapshot.to_dict() if snapshot is not None else None) or {}
    return domain.known_state((data.get("status") or {}).get("state"))
