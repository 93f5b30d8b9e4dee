"""ai_service's pure rules: who may be personalised, which turn states may follow which, what a
turn's history keeps, and how an analytics event changes recommendations and alerts.

No I/O and no clock: the pipeline reads through `ai_service.stores`, asks these functions, and
writes what they decide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.errors import Conflict
from shared.models.chat import (
    ChatTurn,
    Conversation,
    TurnState,
    TurnStatus,
    can_transition,
    title_from_prompt,
)
from shared.models.recommendations import RecommendationSource
from shared.models.security import AlertSeverity
from shared.models.users import Consent, ConsentPurpose

# --- consent --------------------------------------------------------------------------------


def may_personalise(consent: Consent) -> bool:
    """Memory and recommendations use the user's data only with their personalisation consent."""
    return consent.allows(ConsentPurpose.PERSONALIZATION)


# --- turn states ------------------------------------------------------------------------------

_ANSWERED = frozenset({TurnState.COMPLETED, TurnState.STOPPED})


def claimable(turn: ChatTurn | None, *, attempt: int) -> bool:
    """A worker may claim a turn that is QUEUED for exactly this attempt (a redelivery of an
    older attempt, a taken or an ended turn is not ours)."""
    if turn is None or turn.status is None:
        return False
    status = turn.status
    return (
        status.state is TurnState.QUEUED
        and status.attempt == attempt
        and can_transition(status.state, TurnState.PROCESSING)
    )


def claimed_status(*, attempt: int, event_id: str, now: datetime, lease: timedelta) -> TurnStatus:
    """The status a claim writes: PROCESSING by this delivery, leased until `now + lease`."""
    return TurnStatus(
        state=TurnState.PROCESSING,
        attempt=attempt,
        event_id=event_id,
        lease_expires_at=now + lease,
        start_time=now,
    )


def may_move(current: TurnState, target: TurnState) -> bool:
    """`chat.ALLOWED_TRANSITIONS`, plus the lease extension of a turn already streaming."""
    if current is TurnState.STREAMING and target is TurnState.STREAMING:
        return True
    return can_transition(current, target)


def require_move(current: TurnState, target: TurnState) -> None:
    """Conflict when the worker would move its turn from `current` to `target`."""
    if not may_move(current, target):
        raise Conflict(
            "a turn cannot move to this state",
            details={"from": current.value, "to": target.value},
        )


def stopped_by_owner(status: TurnStatus | None, *, event_id: str, attempt: int) -> bool:
    """The owner's STOP of this very claim (its delivery and attempt), not another worker's."""
    if status is None or status.state is not TurnState.STOP:
        return False
    return status.event_id == event_id and status.attempt == attempt


def title_to_set(conversation: Conversation, *, prompt: str) -> str | None:
    """The title the conversation's first answered turn gives it (as assistants title a chat
    after its first reply); None once it has one."""
    return None if conversation.title else title_from_prompt(prompt)


def answered(turn: ChatTurn) -> bool:
    """A turn the history shows: completed or stopped, with something said."""
    return turn.status is not None and turn.status.state in _ANSWERED and bool(turn.response)


# --- recommendations --------------------------------------------------------------------------

RECENT_INTERESTS = 5
LIKED_ITEMS_KEPT = 200
INTEREST_MAX_CHARS = 100


def with_click(liked: Sequence[int], item_id: str) -> tuple[int, ...]:
    """The liked items after a click on `item_id` (a catalogue number), newest last, bounded."""
    if item_id.isdigit() and int(item_id) not in liked:
        return (*liked, int(item_id))[-LIKED_ITEMS_KEPT:]
    return tuple(liked)


def with_search(interests: Sequence[str], query: str) -> tuple[str, ...]:
    """The recent interests after a search for `query` (whitespace folded), newest last."""
    query = " ".join(query.split())[:INTEREST_MAX_CHARS]
    if not query:
        return tuple(interests)
    return (*[i for i in interests if i != query], query)[-RECENT_INTERESTS:]


def recommendation_source(strategy: str) -> RecommendationSource:
    """The stored `source` of an item: the shared enum's name for the recommender's strategy
    (its HTTP API says "similar_items", the document and the PWA "similar")."""
    return RecommendationSource("similar" if strategy == "similar_items" else strategy)


# --- anomalies --------------------------------------------------------------------------------

# Score a user's day when it reaches these counts (then every 100): cheap, and early enough to
# catch a burst while it happens.
SCORE_AT = frozenset({10, 20, 40, 80})
SCORE_EVERY = 100
HIGH_SEVERITY_SCORE = 0.9999


def should_score(day_count: int) -> bool:
    return day_count in SCORE_AT or (day_count > 0 and day_count % SCORE_EVERY == 0)


def alert_id(uid: str, window: str) -> str:
    """One alert per user and window (a day): its document id."""
    return hashlib.sha256(f"{uid}:{window}".encode()).hexdigest()[:24]


def alert_severity(score: float) -> AlertSeverity:
    return AlertSeverity.HIGH if score >= HIGH_SEVERITY_SCORE else AlertSeverity.MEDIUM


def anomaly_reason(features: dict[str, float]) -> str:
    """The alert's readable reason: the three features furthest from typical."""
    top = sorted(features.items(), key=lambda kv: abs(kv[1]), reverse=True)[:3]
    return "Unusual activity: " + ", ".join(f"{name}={value:.2f}" for name, value in top)
