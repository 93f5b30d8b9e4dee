"""Conversations (`users/{uid}/conversations/{cid}`) and the turns a reply's context reads.

Reads are bounded by the caller: one document, or one query with a limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import ValidationError

from shared import paths
from shared.models.chat import ChatTurn, Conversation, Usage
from shared.models.turn_ref import TurnRef

from .turns import turn_from_document

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredTurnOf:
    """A turn of the conversation and its id."""

    id: str
    turn: ChatTurn


def _turns(snapshots: Any) -> list[StoredTurnOf]:
    """The turns of a query's result, in its order; a document the model refuses is no turn of
    anyone's history (logged, left out) rather than a failed reply."""
    found: list[StoredTurnOf] = []
    for snapshot in snapshots:
        try:
            turn = turn_from_document(snapshot.to_dict() or {})
        except ValidationError:
            log.warning("a stored turn does not validate; left out", extra={"turnId": snapshot.id})
            continue
        if turn is not None:
            found.append(StoredTurnOf(id=snapshot.id, turn=turn))
    return found


class ConversationStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def get(self, *, turn: TurnRef) -> Conversation:
        """The turn's conversation (one read); an empty one when it is missing."""
        snapshot = self._db.document(turn.conversation_path).get()
        return Conversation.from_document(snapshot.to_dict() or {})

    def summary(self, *, turn: TurnRef) -> Conversation:
        """Just the running summary and the turn count of the turn's conversation (one read)."""
        snapshot = self._db.document(turn.conversation_path).get(
            ["summary", "usage.turns", "title", "createdAt"]
        )
        return Conversation.from_document(snapshot.to_dict() or {})

    def record_turn(
        self,
        *,
        turn: TurnRef,
        summary: str | None,
        usage: Usage,
        now: datetime,
        title: str | None = None,
        created: bool = True,
    ) -> bool:
        """Count an answered turn in its conversation's totals (and its summary, its title when
        given, `createdAt` when it was not `created` with one); False when the conversation is
        gone. An update, never a merge: a conversation its owner deleted mid-turn stays deleted."""
        update: dict[str, Any] = {"updatedAt": now}
        if summary is not None:
            update["summary"] = summary
        if title is not None:
            update["title"] = title
        if not created:
            update["createdAt"] = now
        try:
            self._db.document(turn.conversation_path).update(
                {
                    **update,
                    "usage.turns": firestore.Increment(1),
                    "usage.inputTokens": firestore.Increment(usage.input_tokens),
                    "usage.outputTokens": firestore.Increment(usage.output_tokens),
                    "usage.cost": firestore.Increment(usage.cost),
                }
            )
        except gexc.NotFound:
            return False
        return True

    def turns_before(self, *, turn: TurnRef, before: datetime, limit: int) -> list[ChatTurn]:
        """Up to `limit` turns of the conversation created before `before`, newest first."""
        query = (
            self._db.collection(paths.messages(turn.uid, turn.conversation_id))
            .where(filter=firestore.FieldFilter("createTime", "<", before))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [stored.turn for stored in _turns(query.get())]

    def branch_turns_before(
        self, *, turn: TurnRef, branch: str, before: datetime, limit: int
    ) -> list[StoredTurnOf]:
        """Up to `limit` turns of `branch` created before `before`, newest first."""
        query = (
            self._db.collection(paths.messages(turn.uid, turn.conversation_id))
            .where(filter=firestore.FieldFilter("branch", "==", branch))
            .where(filter=firestore.FieldFilter("createTime", "<", before))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return _turns(query.get())

    def turn(self, *, ref: TurnRef) -> ChatTurn | None:
        """One turn (one read); None when it is missing or its document does not validate."""
        snapshot = self._db.document(ref.path).get()
        try:
            return turn_from_document(snapshot.to_dict())
        except ValidationError:
            return None
