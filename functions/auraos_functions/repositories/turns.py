"""Chat turns and their conversation: the transactions that queue, re-queue and fail turns.

Each function reads and writes one turn in one transaction and reports whether work must be
published, so a redelivered trigger, a racing sweeper or a double RETRY does nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference
from pydantic import ValidationError

from shared import paths
from shared.errors import RateLimited
from shared.models.chat import (
    MAIN_BRANCH,
    PROMPT_MAX_CHARS,
    TurnCreate,
    TurnError,
    TurnState,
    TurnStatus,
    title_from_prompt,
    utf16_length,
)
from shared.models.users import AccountState, account_state

from ..config import RateLimit
from .rate_limits import MAX_TRANSACTION_ATTEMPTS, take_in_transaction

CHAT_ACTION = "chat"


@dataclass(frozen=True, slots=True)
class QueueResult:
    """Where the turn stands afterwards; `publish` says whether a ChatRequested must be sent."""

    state: TurnState | None
    attempt: int
    publish: bool
    rate_limited: RateLimited | None = None


def _invalid_prompt_error(data: dict[str, Any]) -> TurnError | None:
    prompt = data.get("prompt")
    try:
        TurnCreate.model_validate({"prompt": prompt})
    except ValidationError as invalid:
        # Say what to change: the model's own words for a prompt that is too long.
        too_long = isinstance(prompt, str) and utf16_length(prompt) > PROMPT_MAX_CHARS
        message = (
            str(invalid.errors()[0]["ctx"]["error"])
            if too_long
            else f"The message must be text of 1 to {PROMPT_MAX_CHARS:,} characters."
        )
        return TurnError(code="invalid-prompt", message=message)
    return None


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
    ref: DocumentReference,
    status: TurnStatus,
    uid: str,
    now: datetime,
) -> QueueResult | None:
    """Re-check the account (one read of `users/{uid}`) before any work is done for it: a
    deactivated or deleting account's turn is failed readably, a deleted one's is removed (a
    stray write must not leave data behind), and nothing is published."""
    account = account_state(db.document(paths.user(uid)).get(transaction=transaction).to_dict())
    if account is AccountState.ACTIVE:
        return None
    if account is AccountState.GONE:
        transaction.delete(ref)
        return QueueResult(state=None, attempt=status.attempt, publish=False)
    transaction.update(ref, {"status": _failed(status, _ACCOUNT_REFUSALS[account], now)})
    return QueueResult(state=TurnState.ERROR, attempt=status.attempt, publish=False)


def _branch_of(
    transaction: firestore.Transaction,
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    data: dict[str, Any],
) -> TurnCreate | TurnError:
    """Where a new turn sits: main, a branch its edit starts, or an existing branch.

    The rules check the shape; this checks what they cannot cheaply: an edit's parent is a turn
    of this conversation, and a later turn's branch was started by an edit (one read each).
    """
    try:
        turn = TurnCreate.model_validate(
            {
                "prompt": data.get("prompt"),
                "branch": data.get("branch") or MAIN_BRANCH,
                "parentTurnId": data.get("parentTurnId"),
            }
        )
    except ValidationError:
        return _INVALID_BRANCH
    if turn.parent_turn_id is not None:
        if not turn.starts_branch(turn_id) or turn.parent_turn_id == turn_id:
            return _INVALID_BRANCH
        parent = db.document(paths.turn(uid, cid, turn.parent_turn_id)).get(
            ["createTime"], transaction=transaction
        )
        return turn if parent.exists else _INVALID_BRANCH
    if turn.branch == MAIN_BRANCH:
        return turn
    root = db.document(paths.turn(uid, cid, turn.branch)).get(
        ["branch", "parentTurnId"], transaction=transaction
    )
    started = (root.to_dict() or {}) if root.exists else {}
    if started.get("branch") != turn.branch or not started.get("parentTurnId"):
        return _INVALID_BRANCH
    return turn


def _ended(status: TurnStatus, now: datetime, *, state: TurnState, **fields: Any) -> dict[str, Any]:
    """`status` ended as `state` at `now`, its lease released, with `fields` (error, stopped_at)."""
    ended = status.model_copy(
        update={"state": state, "complete_time": now, "lease_expires_at": None, **fields}
    )
    return ended.to_document()


def _failed(status: TurnStatus, error: TurnError, now: datetime) -> dict[str, Any]:
    return _ended(status, now, state=TurnState.ERROR, error=error)


def _stopped(status: TurnStatus, now: datetime) -> dict[str, Any]:
    return _ended(status, now, state=TurnState.STOPPED, stopped_at=now)


def _spend_chat_token(
    transaction: firestore.Transaction,
    *,
    db: firestore.Client,
    ref: DocumentReference,
    status: TurnStatus,
    uid: str,
    limit: RateLimit,
    now: datetime,
) -> QueueResult | None:
    """Spend one chat token; when none is left, fail the turn readably and say so."""
    try:
        take_in_transaction(
            transaction=transaction, db=db, uid=uid, action=CHAT_ACTION, limit=limit, now=now
        )
    except RateLimited as limited:
        error = TurnError(code=limited.code, message=limited.message)
        transaction.update(ref, {"status": _failed(status, error, now)})
        return QueueResult(
            state=TurnState.ERROR, attempt=status.attempt, publish=False, rate_limited=limited
        )
    return None


def _ended_state(data: dict[str, Any]) -> str:
    """What a turn had ended as before its owner set RETRY (RETRY overwrote the state)."""
    if (data.get("status") or {}).get("stoppedAt"):
        return TurnState.STOPPED.value
    if (data.get("status") or {}).get("error"):
        return TurnState.ERROR.value
    if (data.get("usage") or {}).get("provider") == "moderation":
        return TurnState.BLOCKED.value
    return TurnState.COMPLETED.value


def queue_new_turn(
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    now: datetime,
    limit: RateLimit,
) -> QueueResult:
    """Queue a freshly created turn once: validate, spend a rate-limit token, do the bookkeeping.

    A redelivered trigger finds the status set and does nothing: no second token, no second
    publish. Should the first delivery die between commit and publish, the sweeper re-publishes
    the turn once its `queuedAt` is stale.
    """
    turn_ref = db.document(paths.turn(uid, cid, turn_id))
    conversation_ref = db.document(paths.conversation(uid, cid))

    @firestore.transactional
    def queue(transaction: firestore.Transaction) -> QueueResult:  # noqa: PLR0911 - one per outcome
        data = turn_ref.get(transaction=transaction).to_dict()
        if data is None:
            return QueueResult(state=None, attempt=0, publish=False)
        if data.get("status"):  # a redelivered event: the first delivery did the work
            status = TurnStatus.from_document(data["status"])
            return QueueResult(state=status.state, attempt=status.attempt, publish=False)
        blank = TurnStatus(state=TurnState.QUEUED, attempt=0)
        refused = _refuse_for_account(
            transaction, db=db, ref=turn_ref, status=blank, uid=uid, now=now
        )
        if refused is not None:
            return refused
        error = _invalid_prompt_error(data)
        if error is not None:
            transaction.update(turn_ref, {"status": _failed(blank, error, now)})
            return QueueResult(state=TurnState.ERROR, attempt=0, publish=False)
        placed = _branch_of(transaction, db=db, uid=uid, cid=cid, turn_id=turn_id, data=data)
        if isinstance(placed, TurnError):
            transaction.update(turn_ref, {"status": _failed(blank, placed, now)})
            return QueueResult(state=TurnState.ERROR, attempt=0, publish=False)
        conversation = conversation_ref.get(transaction=transaction).to_dict() or {}
        refused = _spend_chat_token(
            transaction, db=db, ref=turn_ref, status=blank, uid=uid, limit=limit, now=now
        )
        if refused is not None:
            return refused
        queued = TurnStatus(state=TurnState.QUEUED, attempt=1, queued_at=now)
        transaction.update(turn_ref, {"status": queued.to_document(), "branch": placed.branch})
        bookkeeping: dict[str, Any] = {
            "updatedAt": now,
            "turnCount": firestore.Increment(1),
            "activeLeaf": turn_id,
        }
        if placed.starts_branch(turn_id):
            bookkeeping["branches"] = firestore.Increment(1)
        if not conversation.get("title"):
            bookkeeping["title"] = title_from_prompt(str(data["prompt"]))
        if not conversation.get("createdAt"):
            bookkeeping["createdAt"] = now
        transaction.set(conversation_ref, bookkeeping, merge=True)
        return QueueResult(state=TurnState.QUEUED, attempt=1, publish=True)

    result: QueueResult = queue(db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
    return result


def requeue_for_retry(
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    now: datetime,
    limit: RateLimit,
) -> QueueResult:
    """Turn an owner's RETRY into a new attempt; the previous one is kept in `attempts`."""
    ref = db.document(paths.turn(uid, cid, turn_id))

    @firestore.transactional
    def retry(transaction: firestore.Transaction) -> QueueResult:
        data = ref.get(transaction=transaction).to_dict() or {}
        status = TurnStatus.from_document(data["status"]) if data.get("status") else None
        if status is None or status.state is not TurnState.RETRY:
            state = status.state if status else None
            return QueueResult(state=state, attempt=status.attempt if status else 0, publish=False)
        refused = _refuse_for_account(transaction, db=db, ref=ref, status=status, uid=uid, now=now)
        if refused is not None:
            return refused
        previous = {
            "attempt": status.attempt,
            "response": data.get("response"),
            "usage": data.get("usage"),
            "completeTime": status.complete_time,
            "stoppedAt": status.stopped_at,
            "error": data["status"].get("error"),
            "state": _ended_state(data),
        }
        refused = _spend_chat_token(
            transaction, db=db, ref=ref, status=status, uid=uid, limit=limit, now=now
        )
        if refused is not None:
            return refused
        queued = TurnStatus(state=TurnState.QUEUED, attempt=status.attempt + 1, queued_at=now)
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

    result: QueueResult = retry(db.transaction(max_attempts=MAX_TRANSACTION_ATTEMPTS))
    return result


def expired_turn_paths(*, db: firestore.Client, now: datetime, page_size: int) -> list[str]:
    """Turns whose worker lease ran out (a crashed or killed worker), oldest first."""
    query = (
        db.collection_group(paths.MESSAGES)
        .where(
            filter=firestore.FieldFilter(
                "status.state",
                "in",
                [TurnState.PROCESSING.value, TurnState.STREAMING.value, TurnState.STOP.value],
            )
        )
        .where(filter=firestore.FieldFilter("status.leaseExpiresAt", "<", now))
        .order_by("status.leaseExpiresAt")
        .limit(page_size)
    )
    return [doc.reference.path for doc in query.stream()]


def stalled_queued_turn_paths(
    *, db: firestore.Client, queued_before: datetime, page_size: int
) -> list[str]:
    """Turns queued long ago that no worker claimed (e.g. the publish was lost)."""
    query = (
        db.collection_group(paths.MESSAGES)
        .where(filter=firestore.FieldFilter("status.state", "==", TurnState.QUEUED.value))
        .where(filter=firestore.FieldFilter("status.queuedAt", "<", queued_before))
        .order_by("status.queuedAt")
        .limit(page_size)
    )
    return [doc.reference.path for doc in query.stream()]


def recover_expired_turn(
    *, db: firestore.Client, path: str, now: datetime, max_attempts: int
) -> QueueResult:
    """Re-queue a turn whose lease expired, or fail it readably once its attempts are spent."""
    ref = db.document(path)

    @firestore.transactional
    def recover(transaction: firestore.Transaction) -> QueueResult:
        data = ref.get(transaction=transaction).to_dict() or {}
        if not data.get("status"):
            return QueueResult(state=None, attempt=0, publish=False)
        status = TurnStatus.from_document(data["status"])
        expired = status.lease_expires_at is not None and status.lease_expires_at < now
        running = (TurnState.PROCESSING, TurnState.STREAMING, TurnState.STOP)
        if status.state not in running or not expired:
            return QueueResult(state=status.state, attempt=status.attempt, publish=False)
        if status.state is TurnState.STOP:  # its worker died before it saw the stop
            transaction.update(ref, {"status": _stopped(status, now)})
            return QueueResult(state=TurnState.STOPPED, attempt=status.attempt, publish=False)
        if status.attempt >= max_attempts:
            error = TurnError(
                code="deadline-exceeded",
                message="The assistant did not finish answering. Please try again.",
            )
            transaction.update(ref, {"status": _failed(status, error, now)})
            return QueueResult(state=TurnState.ERROR, attempt=status.attempt, publish=False)
        queued = TurnStatus(
            state=TurnState.QUEUED,
            attempt=status.attempt + 1,
            queued_at=now,
            start_time=status.start_time,
        )
        transaction.update(
            ref, {"status": queued.to_document(), "response": firestore.DELETE_FIELD}
        )
        return QueueResult(state=TurnState.QUEUED, attempt=queued.attempt, publish=True)

    result: QueueResult = recover(db.transaction())
    return result


def mark_requeued(
    *, db: firestore.Client, path: str, now: datetime, stale_after: timedelta
) -> int | None:
    """Refresh `queuedAt` of a still-unclaimed turn; its attempt when a re-publish is due."""
    ref = db.document(path)

    @firestore.transactional
    def touch(transaction: firestore.Transaction) -> int | None:
        data = ref.get(transaction=transaction).to_dict() or {}
        if not data.get("status"):
            return None
        status = TurnStatus.from_document(data["status"])
        if status.state is not TurnState.QUEUED or status.queued_at is None:
            return None
        if status.queued_at >= now - stale_after:
            return None
        transaction.update(ref, {"status.queuedAt": now})
        return status.attempt

    result: int | None = touch(db.transaction())
    return result


def fail_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, error: TurnError, now: datetime
) -> bool:
    """Mark a turn that can no longer complete as ERROR; False when it already ended."""
    turn_ref = db.document(paths.turn(uid, cid, turn_id))

    @firestore.transactional
    def fail(transaction: firestore.Transaction) -> bool:
        data = turn_ref.get(transaction=transaction).to_dict()
        if data is None or not data.get("status"):
            return False
        status = TurnStatus.from_document(data["status"])
        if status.state.is_terminal:
            return False
        transaction.update(turn_ref, {"status": _failed(status, error, now)})
        return True

    result: bool = fail(db.transaction())
    return result


def stop_unclaimed_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime
) -> bool:
    """End a turn its owner stopped before any worker claimed it (a claimed one is the worker's
    to end, with its partial reply); False when there is nothing to do here."""
    ref = db.document(paths.turn(uid, cid, turn_id))

    @firestore.transactional
    def stop(transaction: firestore.Transaction) -> bool:
        data = ref.get(transaction=transaction).to_dict() or {}
        if not data.get("status"):
            return False
        status = TurnStatus.from_document(data["status"])
        if status.state is not TurnState.STOP or status.event_id is not None:
            return False
        transaction.update(ref, {"status": _stopped(status, now)})
        return True

    result: bool = stop(db.transaction())
    return result
