"""What the model sees of a conversation: its running summary plus the last turns, within a budget.

Reads are bounded: the conversation document and at most `history_turns + 1` turns, newest first.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from shared import paths
from shared.models.base import Frozen
from shared.models.chat import MAIN_BRANCH, ChatTurn, Conversation, TurnState

from ..generation.base import ChatMessage, Role
from ..generation.tokens import count_message_tokens

SUMMARY_MAX_CHARS = 600
_SUMMARY_LINE_CHARS = 160
# The stored running summary keeps two blocks of lines (blocks of up to 4 turns): stable_window
# shows the block of lines before its window, which must stay whole until the next re-base while
# the window's own lines accumulate. A cap in characters dropped those lines one turn at a time,
# and every later prompt of the block missed the model's prompt cache.
SUMMARY_KEEP_LINES = 8


class ConversationContext(Frozen):
    conversation: Conversation
    history: tuple[ChatMessage, ...]
    # Set for a conversation with branches: the summary of the path's turns before `history`
    # (the conversation's own running summary follows the main thread only).
    path_summary: str | None = None

    @property
    def branched(self) -> bool:
        return self.conversation.branches > 0


_ANSWERED = frozenset({TurnState.COMPLETED.value, TurnState.STOPPED.value})
_MAX_BRANCH_HOPS = 4  # an edit of an edit of an edit...: each hop is one read and one query


def load_context(
    *,
    db: firestore.Client,
    uid: str,
    cid: str,
    turn_id: str,
    turn: ChatTurn,
    max_turns: int,
    token_budget: int,
    conversation: Conversation | None = None,
) -> ConversationContext:
    """The conversation and its most recent answered turns before `turn` (oldest first) that fit
    the budget: 1 + at most `max_turns` document reads (the 1 spared when the caller read the
    conversation already and passes it).

    In a conversation with branches the turns follow the path from the root to `turn` (never an
    abandoned branch), up to `2 * max_turns` of them: the newest `max_turns` are the history, the
    earlier ones the path's summary (its reads: 1 + up to `2 * max_turns` + 1 per branch hop).
    """
    if conversation is None:
        snapshot = db.document(paths.conversation(uid, cid)).get()
        conversation = Conversation.from_document(snapshot.to_dict() or {})
    if max_turns <= 0:
        return ConversationContext(conversation=conversation, history=())
    if conversation.branches == 0:
        recent = (
            db.collection(paths.messages(uid, cid))
            .where(filter=firestore.FieldFilter("createTime", "<", turn.create_time))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(max_turns)
            .get()
        )
        history, _ = _fit([doc.to_dict() or {} for doc in recent], token_budget)
        return ConversationContext(conversation=conversation, history=history)
    path = _path_before(db=db, uid=uid, cid=cid, turn_id=turn_id, turn=turn, limit=2 * max_turns)
    answered = [data for data in path if _answered(data)]
    history, used = _fit(answered[:max_turns], token_budget)
    earlier = answered[used:]
    lines = [
        f"User: {' '.join(str(d['prompt']).split())[:80]} | "
        f"Aura: {' '.join(str(d['response']).split())[:70]}"
        for d in reversed(earlier)
    ]
    summary = "\n".join(lines)[-SUMMARY_MAX_CHARS:] or None
    return ConversationContext(conversation=conversation, history=history, path_summary=summary)


def _answered(data: dict[str, Any]) -> bool:
    state = (data.get("status") or {}).get("state")
    return state in _ANSWERED and bool(data.get("response"))


def _fit(
    newest_first: list[dict[str, Any]], token_budget: int
) -> tuple[tuple[ChatMessage, ...], int]:
    """The answered turns (newest first) that fit the budget, as messages oldest first, and how
    many turns of the list that took (the rest did not fit)."""
    history: list[ChatMessage] = []
    used = 0
    for taken, data in enumerate(newest_first):
        if not _answered(data):
            continue
        pair = [
            ChatMessage(role=Role.ASSISTANT, content=str(data["response"])),
            ChatMessage(role=Role.USER, content=str(data["prompt"])),
        ]
        cost = count_message_tokens(tuple(pair))
        if used + cost > token_budget:
            return tuple(reversed(history)), taken
        used += cost
        history.extend(pair)
    return tuple(reversed(history)), len(newest_first)


def _path_before(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, turn: ChatTurn, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` turns on the path from the root to `turn`, newest first, `turn` excluded.

    A branch is the turns that carry its name, in creation order; its first turn (the one it is
    named after) replaced its `parentTurnId`, so the path goes on before that parent, in the
    parent's branch.
    """
    messages = db.collection(paths.messages(uid, cid))
    found: list[dict[str, Any]] = []
    at_id, at = turn_id, {"branch": turn.branch, "parentTurnId": turn.parent_turn_id}
    branch, before = turn.branch, turn.create_time
    for _ in range(_MAX_BRANCH_HOPS + 1):
        docs = (
            messages.where(filter=firestore.FieldFilter("branch", "==", branch))
            .where(filter=firestore.FieldFilter("createTime", "<", before))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(limit - len(found))
            .get()
        )
        found.extend(doc.to_dict() or {} for doc in docs)
        if branch == MAIN_BRANCH or len(found) >= limit:
            break
        if docs:
            at_id, at = docs[-1].id, docs[-1].to_dict() or {}
        parent_id = at.get("parentTurnId") if at_id == branch else None
        if not parent_id:
            break  # a branch whose first turn is gone: nothing older is on this path
        parent = db.document(paths.turn(uid, cid, str(parent_id))).get()
        data = parent.to_dict()
        if data is None or data.get("createTime") is None:
            break
        at_id, at = parent.id, data
        branch, before = str(data.get("branch") or MAIN_BRANCH), data["createTime"]
    return found


def extend_summary(summary: str | None, *, number: int, prompt: str, reply: str) -> str:
    """A running, extractive summary: one numbered line per exchange, the last
    `SUMMARY_KEEP_LINES` kept. The numbers let a prompt pick the lines of exactly the turns it
    needs."""
    line = f"{number}. User: {' '.join(prompt.split())[:80]} | Aura: {' '.join(reply.split())[:70]}"
    lines = [*(summary or "").splitlines(), line[:_SUMMARY_LINE_CHARS]]
    return "\n".join(lines[-SUMMARY_KEEP_LINES:])


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
