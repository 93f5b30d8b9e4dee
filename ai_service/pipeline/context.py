"""What the model sees of a conversation: its running summary plus the last turns, within a budget.

Reads are bounded: the conversation document and at most `history_turns + 1` turns, newest first.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore

from shared import paths
from shared.models.base import Frozen
from shared.models.chat import Conversation, TurnState

from ..generation.base import ChatMessage, Role
from ..generation.tokens import count_message_tokens

SUMMARY_MAX_CHARS = 600
_SUMMARY_LINE_CHARS = 160


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
            cost = count_message_tokens(tuple(pair))
            if used + cost > token_budget:
                break
            used += cost
            history.extend(pair)
    return ConversationContext(conversation=conversation, history=tuple(reversed(history)))


def extend_summary(summary: str | None, *, number: int, prompt: str, reply: str) -> str:
    """A running, extractive summary: one numbered line per exchange, the oldest dropped past the
    cap. The numbers let a prompt pick the lines of exactly the turns it needs."""
    line = f"{number}. User: {' '.join(prompt.split())[:80]} | Aura: {' '.join(reply.split())[:70]}"
    lines = [*(summary or "").splitlines(), line[:_SUMMARY_LINE_CHARS]]
    while lines and sum(len(x) + 1 for x in lines) > SUMMARY_MAX_CHARS:
        lines.pop(0)
    return "\n".join(lines)


def _line_number(line: str) -> int | None:
    head = line.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def stable_window(
    *,
    history: tuple[ChatMessage, ...],
    summary: str | None,
    completed_turns: int,
    block: int,
) -> tuple[str | None, tuple[ChatMessage, ...]]:
    """The summary and history a prompt shows, chosen so consecutive prompts share a prefix.

    Reading the prompt is most of a CPU model's time to first token, and the runtime skips what a
    prompt shares with the previous one. A window sliding by one turn changes the prompt right
    after the system text every time; this one restarts every `block` turns and only grows in
    between, and the summary covers the `block` turns just before it, fixed for the same span.
    """
    if completed_turns <= 0 or block <= 0:
        return None, ()
    in_window = (completed_turns - 1) % block + 1
    window = history[-2 * in_window :]
    first = completed_turns - in_window + 1  # number of the window's first turn
    earlier = [
        line
        for line in (summary or "").splitlines()
        if (n := _line_number(line)) is not None and first - block <= n < first
    ]
    return ("\n".join(earlier) or None), window
