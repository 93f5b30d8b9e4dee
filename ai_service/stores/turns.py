"""Chat turns (`.../messages/{turnId}`): the claim, the streamed reply and the end of a turn, by
optimistic concurrency on the document's update time.

A claim reads the turn once and updates it on the precondition that nothing changed since; every
later write carries the update time of our previous one. A racing worker, a duplicate delivery or a
sweeper that re-queued the turn therefore makes our next write fail, and we stop: no transaction
retries and no extra reads while streaming. Which state may follow which is `ai_service.domain`'s
to say; this module only writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.vector import Vector

from shared.models.assistant import ToolCall
from shared.models.chat import (
    ChatTurn,
    Entity,
    Intent,
    Sentiment,
    TurnError,
    TurnState,
    TurnStatus,
    Usage,
)
from shared.models.turn_ref import TurnRef

# What searchConversations finds a turn by (functions/auraos_functions/repositories/search.py):
# its prompt's embedding and its owner, the pre-filter of the collection-group vector query.
TURN_EMBEDDING_FIELD = "embedding"
TURN_OWNER_FIELD = "owner"
_LOST = (gexc.FailedPrecondition, gexc.Aborted, gexc.NotFound)


def turn_from_document(data: dict[str, Any] | None) -> ChatTurn | None:
    """The stored turn; None for a missing document. An empty `status` reads as none yet."""
    if data is None:
        return None
    return ChatTurn.from_document({**data, "status": data.get("status") or None})


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """A turn as read, and the update time a write conditioned on that read carries."""

    ref: TurnRef
    turn: ChatTurn
    version: datetime


@dataclass(frozen=True, slots=True)
class SeenStatus:
    """A turn's status as re-read after a write of ours failed, and its update time."""

    status: TurnStatus | None
    version: datetime


@dataclass(slots=True)
class Claim:
    """A turn this worker owns; `version` is the update time of our last write to it and
    `state` the state that write left."""

    ref: TurnRef
    event_id: str
    attempt: int
    turn: ChatTurn
    version: datetime
    state: TurnState = TurnState.PROCESSING

    @property
    def path(self) -> str:
        return self.ref.path


@dataclass(frozen=True, slots=True)
class TurnAnswer:
    """What an answered turn stores beside its reply: the NLU pass, the tools called, the
    memories used and, for search, the prompt's embedding."""

    intent: Intent
    sentiment: Sentiment
    entities: tuple[Entity, ...] = ()
    tool_calls: Sequence[ToolCall] = ()
    memory_ids: Sequence[str] = ()
    embedding: tuple[float, ...] | None = None


def _answer_fields(answer: TurnAnswer | None, *, owner: str) -> dict[str, Any]:
    if answer is None:
        return {}
    fields: dict[str, Any] = {
        "intent": answer.intent.to_document(),
        "entities": [entity.to_document() for entity in answer.entities],
        "sentiment": answer.sentiment.to_document(),
        "toolCalls": [call.to_document() for call in answer.tool_calls]
        if answer.tool_calls
        else firestore.DELETE_FIELD,
        "memoryIds": list(answer.memory_ids) if answer.memory_ids else firestore.DELETE_FIELD,
    }
    if answer.embedding is not None:
        fields[TURN_EMBEDDING_FIELD] = Vector(list(answer.embedding))
        fields[TURN_OWNER_FIELD] = owner
    return fields


class TurnStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def read_queued(self, *, ref: TurnRef) -> StoredTurn | None:
        """The turn and its update time (one read); None when it does not exist or has no status
        yet (nothing to claim)."""
        snapshot = self._db.document(ref.path).get()
        data = snapshot.to_dict()
        if data is None or not data.get("status"):
            return None
        turn = ChatTurn.from_document(data)
        return StoredTurn(ref=ref, turn=turn, version=snapshot.update_time)

    def claim(self, *, stored: StoredTurn, status: TurnStatus) -> Claim | None:
        """Write `status` (a claim) if the turn is still as `stored` read it; None when it changed
        (another worker, a STOP, the sweeper) or is gone."""
        try:
            result = self._db.document(stored.ref.path).update(
                {"status": status.to_document()},
                option=self._db.write_option(last_update_time=stored.version),
            )
        except _LOST:
            return None
        assert status.event_id is not None  # a claim names its delivery
        return Claim(
            ref=stored.ref,
            event_id=status.event_id,
            attempt=status.attempt,
            turn=stored.turn.model_copy(update={"status": status}),
            version=result.update_time,
            state=status.state,
        )

    def _write_if_owner(self, *, claim: Claim, state: TurnState, fields: dict[str, Any]) -> bool:
        """Apply `fields` if nobody touched the turn since our last write; False: claim lost."""
        try:
            result = self._db.document(claim.path).update(
                fields, option=self._db.write_option(last_update_time=claim.version)
            )
        except _LOST:
            return False
        claim.version = result.update_time
        claim.state = state
        return True

    def stream_partial(
        self, *, claim: Claim, response: str, now: datetime, lease: timedelta
    ) -> bool:
        """Show the reply so far and extend the lease."""
        return self._write_if_owner(
            claim=claim,
            state=TurnState.STREAMING,
            fields={
                "response": response,
                "status.state": TurnState.STREAMING.value,
                "status.leaseExpiresAt": now + lease,
            },
        )

    def complete(
        self,
        *,
        claim: Claim,
        response: str,
        answer: TurnAnswer | None,
        usage: Usage,
        state: TurnState,
        now: datetime,
    ) -> bool:
        """Finish the turn (COMPLETED or BLOCKED) with its answer's fields and usage."""
        return self._write_if_owner(
            claim=claim,
            state=state,
            fields={
                "response": response,
                **_answer_fields(answer, owner=claim.ref.uid),
                "usage": usage.to_document(),
                "status.state": state.value,
                "status.completeTime": now,
                "status.leaseExpiresAt": None,
            },
        )

    def fail(self, *, claim: Claim, error: TurnError, now: datetime) -> bool:
        """End the turn with an error the user can read."""
        return self._write_if_owner(
            claim=claim,
            state=TurnState.ERROR,
            fields={
                "status.state": TurnState.ERROR.value,
                "status.error": error.to_document(),
                "status.completeTime": now,
                "status.leaseExpiresAt": None,
            },
        )

    def release(self, *, claim: Claim) -> bool:
        """Put a claimed turn back in the queue (same attempt) after a transient failure."""
        return self._write_if_owner(
            claim=claim,
            state=TurnState.QUEUED,
            fields={
                "response": firestore.DELETE_FIELD,
                "status.state": TurnState.QUEUED.value,
                "status.eventId": None,
                "status.leaseExpiresAt": None,
            },
        )

    def status(self, *, claim: Claim) -> SeenStatus | None:
        """The claimed turn's status now (one read), after a write of ours failed; None when the
        turn is gone."""
        snapshot = self._db.document(claim.path).get()
        data = snapshot.to_dict()
        if not data:
            return None
        raw = data.get("status")
        status = TurnStatus.from_document(raw) if raw else None
        return SeenStatus(status=status, version=snapshot.update_time)

    def stop(
        self,
        *,
        claim: Claim,
        response: str,
        answer: TurnAnswer | None,
        usage: Usage,
        now: datetime,
    ) -> bool:
        """End a stopped turn with what was generated up to the stop (kept, and counted)."""
        fields: dict[str, Any] = {
            **_answer_fields(answer, owner=claim.ref.uid),
            "usage": usage.to_document(),
            "status.state": TurnState.STOPPED.value,
            "status.stoppedAt": now,
            "status.completeTime": now,
            "status.leaseExpiresAt": None,
        }
        if response:
            fields["response"] = response
        return self._write_if_owner(claim=claim, state=TurnState.STOPPED, fields=fields)
