"""Conversations and chat turns (`users/{uid}/conversations/{cid}[/messages/{turnId}]`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from .assistant import PendingAction, ToolCall
from .base import Document, Frozen
from .ids import ClientId

# In UTF-16 code units, as firestore.rules' String.size() and JS String.length count them: an
# emoji (or any character outside the BMP) counts 2. The models, the callables and the rules
# agree on this one unit.
PROMPT_MAX_CHARS = 4000
TITLE_MAX_CHARS = 120
TURN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # ClientId's characters (it also refuses __x__ ids)
# The original thread of a conversation; an edited prompt starts a branch named by its turn id.
MAIN_BRANCH = "main"


def utf16_length(text: str) -> int:
    """`text`'s length as JS String.length and the rules' size() count it (UTF-16 units)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _prompt_fits(prompt: str) -> str:
    excess = utf16_length(prompt) - PROMPT_MAX_CHARS
    if excess > 0:
        unit = "characters" if excess > 1 else "character"
        raise ValueError(
            f"The message is {excess:,} {unit} too long; the limit is {PROMPT_MAX_CHARS:,} "
            "(an emoji counts as 2). Shorten it and send it again."
        )
    return prompt


Prompt = Annotated[str, StringConstraints(min_length=1), AfterValidator(_prompt_fits)]
TurnId = ClientId
ConversationId = ClientId


class TurnState(StrEnum):
    """QUEUED -> PROCESSING -> STREAMING -> COMPLETED | ERROR | BLOCKED.

    The owner sets RETRY on an ended turn (a new attempt is queued) and STOP on one still running
    (it ends as STOPPED with what was streamed so far).
    """

    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    STREAMING = "STREAMING"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    BLOCKED = "BLOCKED"
    RETRY = "RETRY"
    STOP = "STOP"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({TurnState.COMPLETED, TurnState.ERROR, TurnState.BLOCKED, TurnState.STOPPED})
# What the owner's rules-checked writes may change a state to, and from which states.
OWNER_RETRYABLE = frozenset(_TERMINAL)
OWNER_STOPPABLE = frozenset({TurnState.QUEUED, TurnState.PROCESSING, TurnState.STREAMING})

# Which state may follow which; the server refuses anything else.
ALLOWED_TRANSITIONS: dict[TurnState, frozenset[TurnState]] = {
    TurnState.QUEUED: frozenset(
        {TurnState.PROCESSING, TurnState.ERROR, TurnState.BLOCKED, TurnState.STOP}
    ),
    TurnState.PROCESSING: frozenset(
        {
            TurnState.STREAMING,
            TurnState.COMPLETED,
            TurnState.ERROR,
            TurnState.BLOCKED,
            TurnState.QUEUED,
            TurnState.STOP,
        }
    ),
    TurnState.STREAMING: frozenset(
        {TurnState.COMPLETED, TurnState.ERROR, TurnState.QUEUED, TurnState.STOP}
    ),
    TurnState.COMPLETED: frozenset({TurnState.RETRY}),
    TurnState.ERROR: frozenset({TurnState.RETRY}),
    TurnState.BLOCKED: frozenset({TurnState.RETRY}),
    TurnState.STOPPED: frozenset({TurnState.RETRY}),
    TurnState.RETRY: frozenset({TurnState.QUEUED}),
    TurnState.STOP: frozenset({TurnState.STOPPED}),
}


def can_transition(current: TurnState | None, target: TurnState) -> bool:
    """True when `target` may follow `current` (a new turn has no state and may only be queued)."""
    if current is None:
        return target is TurnState.QUEUED
    return target in ALLOWED_TRANSITIONS[current]


class TurnError(Frozen):
    """Why a turn failed, in words the user can read."""

    code: str
    message: str


class TurnStatus(Document):
    """The server-owned state of a turn; `event_id` and the lease make claims exclusive."""

    state: TurnState
    attempt: int = Field(default=0, ge=0)
    event_id: str | None = None
    queued_at: datetime | None = None
    # Turns (anyone's) queued before this one and not yet started, counted as it was queued:
    # what the app shows while the turn waits. Not kept up to date as the queue moves.
    queued_ahead: int | None = Field(default=None, ge=0)
    lease_expires_at: datetime | None = None
    start_time: datetime | None = None
    complete_time: datetime | None = None
    stopped_at: datetime | None = None
    error: TurnError | None = None


class IntentRank(Frozen):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class Intent(Frozen):
    """Rasa-style intent: the winner, its confidence and the runners-up."""

    name: str
    confidence: float = Field(ge=0.0, le=1.0)
    ranking: tuple[IntentRank, ...] = ()


class Entity(Frozen):
    """A span of the prompt: `text == prompt[start:end]`."""

    type: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    confidence: float = Field(ge=0.0, le=1.0)


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Sentiment(Frozen):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0)


class Usage(Frozen):
    """What one generation cost and who served it."""

    provider: str
    model: str
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    latency_ms: int = Field(ge=0)
    cost: float = Field(default=0.0, ge=0.0)


class TurnCreate(Frozen):
    """What a client may write when it creates a turn (rules enforce the same shape).

    An edit of turn T is a new turn N with `parentTurnId` T and `branch` N; later turns of that
    branch carry `branch` N; a turn without `branch` belongs to the main thread.
    """

    prompt: Prompt
    branch: TurnId = MAIN_BRANCH
    parent_turn_id: TurnId | None = None

    def starts_branch(self, turn_id: str) -> bool:
        return self.parent_turn_id is not None and self.branch == turn_id


class ChatTurn(Document):
    """`.../messages/{turnId}`: the client writes `prompt` and `createTime`; the server the rest."""

    prompt: Prompt
    create_time: datetime
    branch: str = MAIN_BRANCH
    parent_turn_id: str | None = None
    response: str | None = None
    intent: Intent | None = None
    entities: tuple[Entity, ...] = ()
    sentiment: Sentiment | None = None
    status: TurnStatus | None = None
    usage: Usage | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    # The memories (users/{uid}/memories ids) this turn's answer used.
    memory_ids: tuple[str, ...] = ()


class ConversationSettings(Frozen):
    model: Annotated[str, StringConstraints(max_length=64)] | None = None


class ConversationUsage(Frozen):
    """Running totals over every completed turn of a conversation."""

    turns: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost: float = Field(default=0.0, ge=0.0)


class Conversation(Document):
    """`users/{uid}/conversations/{cid}`."""

    title: Annotated[str, StringConstraints(max_length=TITLE_MAX_CHARS)] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    summary: str | None = None
    turn_count: int = Field(default=0, ge=0)
    # Set when a turn is queued; the owner moves it to show another branch.
    active_leaf: str | None = None
    # How many branches edits have started; 0 keeps the one-thread history and its summary.
    branches: int = Field(default=0, ge=0)
    usage: ConversationUsage = Field(default_factory=ConversationUsage)
    # A tool call waiting for the user's answer (a missing detail or a yes/no).
    pending_action: PendingAction | None = None
    settings: ConversationSettings = Field(default_factory=ConversationSettings)


def title_from_prompt(prompt: str) -> str:
    """A conversation title from its first prompt: one line, whole words, at most 60 characters."""
    line = " ".join(prompt.split())
    if len(line) <= 60:
        return line
    cut = line[:60].rsplit(" ", 1)[0] or line[:60]
    return cut + "…"
