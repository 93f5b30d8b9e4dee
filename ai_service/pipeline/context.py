"""What the model sees of a conversation: its running summary plus the last turns, within a budget.

Reads are bounded: the conversation document and at most `history_turns + 1` turns, newest first.
"""

from __future__ import annotations

from pydantic import ValidationError

from shared.models.base import Frozen
from shared.models.chat import MAIN_BRANCH, ChatTurn, Conversation
from shared.models.turn_ref import TurnRef

from ..domain import answered
from ..generation.base import ChatMessage, Role
from ..generation.tokens import count_message_tokens
from ..stores.conversations import ConversationStore

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


_MAX_BRANCH_HOPS = 4  # an edit of an edit of an edit...: each hop is one read and one query


def load_context(
    *,
    store: ConversationStore,
    ref: TurnRef,
    turn: ChatTurn,
    max_turns: int,
    token_budget: int,
    conversation: Conversation | None = None,
) -> ConversationContext:
    """The conversation and its most recent answered turns before `turn` (oldest first) that fit
    the budget and that the prompt shows (`window_turns`): 1 + at most `max_turns` document reads
    (the 1 spared when the caller read the conversation already and passes it).

    In a conversation with branches the turns follow the path from the root to `turn` (never an
    abandoned branch), up to `2 * max_turns` of them: the newest `max_turns` are the history, the
    earlier ones the path's summary (its reads: 1 + up to `2 * max_turns` + 1 per branch hop).
    """
    if conversation is None:
        conversation = store.get(turn=ref)
    if max_turns <= 0:
        return ConversationContext(conversation=conversation, history=())
    if conversation.branches == 0:
        # Only the turns the prompt will show (`stable_window`): 1 to `max_turns` reads. Turns
        # that were never answered (blocked, failed, stopped before a word) are not counted in
        # `usage.turns` but take places in the read: then the lot is read after all.
        shown = window_turns(completed_turns=conversation.usage.turns, block=max_turns)
        if shown == 0:
            return ConversationContext(conversation=conversation, history=())
        recent = store.turns_before(turn=ref, before=turn.create_time, limit=shown)
        if len(recent) == shown < max_turns and sum(map(answered, recent)) < shown:
            recent = store.turns_before(turn=ref, before=turn.create_time, limit=max_turns)
        history, _ = _fit(recent, token_budget)
        return ConversationContext(conversation=conversation, history=history)
    path = _path_before(store=store, ref=ref, turn=turn, limit=2 * max_turns)
    on_path = [t for t in path if answered(t)]
    history, used = _fit(on_path[:max_turns], token_budget)
    earlier = on_path[used:]
    lines = [
        f"User: {' '.join(t.prompt.split())[:80]} | Aura: {' '.join(str(t.response).split())[:70]}"
        for t in reversed(earlier)
    ]
    summary = "\n".join(lines)[-SUMMARY_MAX_CHARS:] or None
    return ConversationContext(conversation=conversation, history=history, path_summary=summary)


def _fit(newest_first: list[ChatTurn], token_budget: int) -> tuple[tuple[ChatMessage, ...], int]:
    """The answered turns (newest first) that fit the budget, as messages oldest first, and how
    many turns of the list that took (the rest did not fit)."""
    history: list[ChatMessage] = []
    used = 0
    for taken, turn in enumerate(newest_first):
        if not answered(turn):
            continue
        pair = [
            ChatMessage(role=Role.ASSISTANT, content=str(turn.response)),
            ChatMessage(role=Role.USER, content=turn.prompt),
        ]
        cost = count_message_tokens(tuple(pair))
        if used + cost > token_budget:
            return tuple(reversed(history)), taken
        used += cost
        history.extend(pair)
    return tuple(reversed(history)), len(newest_first)


def _path_before(
    *, store: ConversationStore, ref: TurnRef, turn: ChatTurn, limit: int
) -> list[ChatTurn]:
    """Up to `limit` turns on the path from the root to `turn`, newest first, `turn` excluded.

    A branch is the turns that carry its name, in creation order; its first turn (the one it is
    named after) replaced its `parentTurnId`, so the path goes on before that parent, in the
    parent's branch.
    """
    found: list[ChatTurn] = []
    at_id, at_parent = ref.turn_id, turn.parent_turn_id
    branch, before = turn.branch, turn.create_time
    for _ in range(_MAX_BRANCH_HOPS + 1):
        page = store.branch_turns_before(
            turn=ref, branch=branch, before=before, limit=limit - len(found)
        )
        found.extend(stored.turn for stored in page)
        if branch == MAIN_BRANCH or len(found) >= limit:
            break
        if page:
            at_id, at_parent = page[-1].id, page[-1].turn.parent_turn_id
        parent_id = at_parent if at_id == branch else None
        if not parent_id:
            break  # a branch whose first turn is gone: nothing older is on this path
        try:
            parent_ref = TurnRef(
                uid=ref.uid, conversation_id=ref.conversation_id, turn_id=parent_id
            )
        except ValidationError:
            break  # no turn can have that id
        parent = store.turn(ref=parent_ref)
        if parent is None:
            break
        at_id, at_parent = parent_id, parent.parent_turn_id
        branch, before = parent.branch or MAIN_BRANCH, parent.create_time
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


def window_turns(*, completed_turns: int, block: int) -> int:
    """How many of the latest turns `stable_window` shows after `completed_turns` answered
    ones: the window restarts every `block` turns and grows by one in between."""
    if completed_turns <= 0 or block <= 0:
        return 0
    return (completed_turns - 1) % block + 1


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
    in_window = window_turns(completed_turns=completed_turns, block=block)
    if in_window == 0:
        return None, ()
    window = history[-2 * in_window :]
    first = completed_turns - in_window + 1  # number of the window's first turn
    earlier = [
        line
        for line in (summary or "").splitlines()
        if (n := _line_number(line)) is not None and first - block <= n < first
    ]
    return ("\n".join(earlier) or None), window


def rebased_window(
    *, summary: str | None, prompt: str, reply: str, completed_turns: int, block: int
) -> tuple[str | None, tuple[ChatMessage, ...]] | None:
    """What the next turn's prompt shows before its own message, when that turn re-bases (its
    window restarts with the exchange just answered, `prompt` and `reply`, the
    `completed_turns`-th); None when the next prompt only extends this one.

    A re-base is the one turn in `block` whose prompt shares nothing with the one before beyond
    the system text, so knowing it early lets the model read it before the user writes."""
    if block <= 0 or completed_turns <= 1 or (completed_turns - 1) % block:
        return None
    exchange = (
        ChatMessage(role=Role.USER, content=prompt),
        ChatMessage(role=Role.ASSISTANT, content=reply),
    )
    return stable_window(
        history=exchange, summary=summary, completed_turns=completed_turns, block=block
    )
