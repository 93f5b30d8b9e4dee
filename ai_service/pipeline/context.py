"""What the model sees of a conversation: its running summary plus the last turns, within a budget.

Reads are bounded: the conversation document and at most `history_turns + 1` turns, newest first.
"""

from __future__ import annotations

import math
from datetime import datetime

from google.cloud import firestore

from shared import paths
from shared.models.base import Frozen
from shared.models.chat import Conversation, TurnState

from ..generation.base import ChatMessage, Role

SUMMARY_MAX_CHARS = 600
_SUMMARY_LINE_CHARS = 160


def approx_tokens(text: str) -> int:
    """A cheap token estimate (~4 characters a token for English) for budgeting context."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


class ConversationContext(Frozen):
    conversation: Conversation
    history: tuple[ChatMessage, ...]


def load_context(
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    before: datetime,
    max_turns: int,
    token_budget: int,
) -> ConversationContext:
    """The conversation and its most recent completed turns created `before` the current one
    (oldest first) that fit the budget: 1 + at most `max_turns` document reads."""
    snapshot = db.document(paths.conversation(uid, cid)).get()
    conversation = Conversation.from_document(snapshot.to_dict() or {})
    history: list[ChatMessage] = []
    if max_turns > 0:
        recent = (
            db.collection(paths.messages(uid, cid))
            .where(filter=firestore.FieldFilter("createTime", "<", before))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(max_turns)
            .get()
        )
        used = 0
        for doc in recent:
            data = doc.to_dict() or {}
            state = (data.get("status") or {}).get("state")
            if state != TurnState.COMPLETED.value or not data.get("response"):
                continue
            pair = [
                ChatMessage(role=Role.ASSISTANT, content=str(data["response"])),
                ChatMessage(role=Role.USER, content=str(data["prompt"])),
            ]
            cost = sum(approx_tokens(m.content) for m in pair)
            if used + cost > token_budget:
                break
            used += cost
            history.extend(pair)
    return ConversationContext(conversation=conversation, history=tuple(reversed(history)))


def extend_summary(summary: str | None, *, prompt: str, reply: str) -> str:
    """A running, extractive summary: one line per exchange, oldest lines dropped past the cap."""
    line = f"- User: {' '.join(prompt.split())[:80]} | Aura: {' '.join(reply.split())[:70]}"
    lines = [*(summary or "").splitlines(), line[:_SUMMARY_LINE_CHARS]]
    while lines and sum(len(x) + 1 for x in lines) > SUMMARY_MAX_CHARS:
        lines.pop(0)
    return "\n".join(lines)
