"""Chat turns and their conversation: the transactions that move a turn into the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore
from pydantic import ValidationError

from shared import paths
from shared.models.chat import (
    PROMPT_MAX_CHARS,
    TurnCreate,
    TurnError,
    TurnState,
    TurnStatus,
    title_from_prompt,
)


@dataclass(frozen=True, slots=True)
class QueueResult:
    """Where the turn stands after `queue_new_turn`; `publish` says whether work must be sent."""

    state: TurnState | None
    attempt: int
    publish: bool


def _invalid_prompt_error(data: dict[str, Any]) -> TurnError | None:
    try:
        TurnCreate.model_validate({"prompt": data.get("prompt")})
    except ValidationError:
        return TurnError(
            code="invalid-prompt",
            message=f"The message must be text of 1 to {PROMPT_MAX_CHARS} characters.",
        )
    return None


def queue_new_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime
) -> QueueResult:
    """Queue a freshly created turn once and do the conversation's bookkeeping in one transaction.

    A redelivered trigger finds the status already set and changes nothing; if the turn is still
    QUEUED it asks for a (harmless, de-duplicated downstream) re-publish.
    """
    turn_ref = db.document(paths.turn(uid, cid, turn_id))
    conversation_ref = db.document(paths.conversation(uid, cid))

    @firestore.transactional
    def queue(transaction: firestore.Transaction) -> QueueResult:
        turn_snapshot = turn_ref.get(transaction=transaction)
        conversation_snapshot = conversation_ref.get(transaction=transaction)
        data = turn_snapshot.to_dict()
        if data is None:
            return QueueResult(state=None, attempt=0, publish=False)
        if data.get("status"):
            status = TurnStatus.from_document(data["status"])
            return QueueResult(
                state=status.state,
                attempt=status.attempt,
                publish=status.state is TurnState.QUEUED,
            )
        error = _invalid_prompt_error(data)
        if error is not None:
            failed = TurnStatus(state=TurnState.ERROR, attempt=0, complete_time=now, error=error)
            transaction.update(turn_ref, {"status": failed.to_document()})
            return QueueResult(state=TurnState.ERROR, attempt=0, publish=False)
        queued = TurnStatus(state=TurnState.QUEUED, attempt=1)
        transaction.update(turn_ref, {"status": queued.to_document()})
        conversation = conversation_snapshot.to_dict() or {}
        bookkeeping: dict[str, Any] = {
            "updatedAt": now,
            "turnCount": firestore.Increment(1),
        }
        if not conversation.get("title"):
            bookkeeping["title"] = title_from_prompt(str(data["prompt"]))
        if not conversation.get("createdAt"):
            bookkeeping["createdAt"] = now
        transaction.set(conversation_ref, bookkeeping, merge=True)
        return QueueResult(state=TurnState.QUEUED, attempt=1, publish=True)

    result: QueueResult = queue(db.transaction())
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
        failed = status.model_copy(
            update={
                "state": TurnState.ERROR,
                "error": error,
                "complete_time": now,
                "lease_expires_at": None,
            }
        )
        transaction.update(turn_ref, {"status": failed.to_document()})
        return True

    result: bool = fail(db.transaction())
    return result
