"""The functions' pure rules: token buckets, turn states, prompts, titles, ids.

No I/O and no Firestore: repositories and services call these with values they read, and the
unit tests call them with values they make up (tests/unit/functions/test_domain.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, TypeAdapter, ValidationError

from shared.errors import InvalidInput, RateLimited
from shared.models.base import Frozen
from shared.models.chat import (
    PROMPT_MAX_CHARS,
    TurnCreate,
    TurnError,
    TurnState,
    TurnStatus,
    can_transition,
    utf16_length,
)
from shared.models.ids import ClientId

# ------------------------------------------------------------------------- token buckets


class RateLimit(Frozen):
    """A token bucket's limit: `capacity` calls at once, refilled at `capacity / window_s` a
    second (configured per action in config.py)."""

    capacity: int = Field(gt=0)
    window_s: float = Field(gt=0)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket as it was last written: what was left, and when."""

    tokens: float
    """Tokens left at `updated_at` (before the refill since)."""
    updated_at: datetime
    """When the bucket was last spent from."""


def available(*, bucket: Bucket | None, limit: RateLimit, now: datetime) -> float:
    """The tokens in `bucket` at `now`: what was left plus the refill since, up to capacity."""
    if bucket is None:
        return float(limit.capacity)
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    return min(float(limit.capacity), bucket.tokens + elapsed * limit.capacity / limit.window_s)


def wait_for(*, tokens: float, cost: int, limit: RateLimit) -> float:
    """Seconds until a bucket holding `tokens` holds `cost` (0 when it does already)."""
    return max(0.0, (cost - tokens) * limit.window_s / limit.capacity)


def take(*, bucket: Bucket | None, limit: RateLimit, now: datetime, action: str) -> Bucket:
    """The bucket after one call; RateLimited (with retry-after) when it is empty."""
    tokens = available(bucket=bucket, limit=limit, now=now)
    if tokens < 1.0:
        retry_after = wait_for(tokens=tokens, cost=1, limit=limit)
        raise RateLimited(
            f"Too many {action} requests; try again in {max(1, round(retry_after))} s.",
            retry_after_s=retry_after,
        )
    return Bucket(tokens=tokens - 1.0, updated_at=now)


def period(window_s: float) -> str:
    """A quota's window in words: "minute", "day", or a number of seconds."""
    named = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    return named.get(float(window_s), f"{window_s:g} s")


def duration(seconds: float) -> str:
    """A wait in words a person reads at a glance: "12 s", "4 min", "3 h 20 min"."""
    whole = max(1, round(seconds))
    if whole < 120:
        return f"{whole} s"
    minutes = -(-whole // 60)  # rounded up: never tell someone to come back too early
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def take_quotas(
    *,
    buckets: Mapping[str, Bucket | None],
    limits: Mapping[str, RateLimit],
    cost: int,
    now: datetime,
    what: str,
) -> dict[str, Bucket]:
    """Every bucket of `limits` after spending `cost` tokens from each, all or none.

    RateLimited when any bucket lacks `cost` tokens: the message names the tightest quota and
    the wait until every bucket holds `cost` again (they refill independently, so the longest
    wait). InvalidInput when `cost` exceeds a quota's capacity: no wait would ever let it pass.
    """
    spent: dict[str, Bucket] = {}
    waits: dict[str, float] = {}
    for action, limit in limits.items():
        if cost > limit.capacity:
            raise InvalidInput(
                f"{cost} {what} at once are more than the quota of {limit.capacity:,} a "
                f"{period(limit.window_s)}; send at most {limit.capacity:,} per call."
            )
        tokens = available(bucket=buckets.get(action), limit=limit, now=now)
        waits[action] = wait_for(tokens=tokens, cost=cost, limit=limit)
        spent[action] = Bucket(tokens=tokens - cost, updated_at=now)
    late = {action: wait for action, wait in waits.items() if wait > 0}
    if late:
        action = max(late, key=lambda a: late[a])
        limit = limits[action]
        retry_after = late[action]
        raise RateLimited(
            f"Quota reached: at most {limit.capacity:,} {what} a {period(limit.window_s)}; "
            f"try again in {duration(retry_after)}.",
            retry_after_s=retry_after,
        )
    return spent


def bucket_expiry(*, previous: datetime | None, now: datetime, window_s: float) -> datetime:
    """When a bucket document may expire: once every bucket in it would have refilled (the
    latest of those times, so a minute's chat token never drops a day's analytics quota)."""
    expire_at = now + timedelta(seconds=window_s)
    return max(expire_at, previous) if previous is not None else expire_at


# ---------------------------------------------------------------------------- ids


_CLIENT_ID: TypeAdapter[str] = TypeAdapter(ClientId)


def is_client_id(value: object) -> bool:
    """True when `value` may name a client-chosen document (shared.models.ids.ClientId)."""
    try:
        _CLIENT_ID.validate_python(value)
    except ValidationError:
        return False
    return True


def new_client_id() -> str:
    """A fresh random id that is a valid ClientId (20 letters and digits)."""
    return secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")


def uid_key(uid: str) -> str:
    """The document id of what is keyed by a user without naming them (deletion jobs)."""
    return hashlib.sha256(uid.encode()).hexdigest()[:32]


def pseudonym(uid: str) -> str:
    """What audit entries say instead of a deleted user's uid."""
    return "deleted:" + hashlib.sha256(uid.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------- prompts and titles


def invalid_prompt_error(prompt: object) -> TurnError | None:
    """Why a stored prompt cannot be answered, in words the user can act on; None when it can."""
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


# ---------------------------------------------------------------------------- turn states


def ended(
    status: TurnStatus,
    now: datetime,
    *,
    state: TurnState,
    error: TurnError | None = None,
    stopped_at: datetime | None = None,
) -> TurnStatus:
    """`status` ended as `state` at `now`, its lease released (with the error or stop time)."""
    if not state.is_terminal:
        raise ValueError(f"{state} does not end a turn")
    fields: dict[str, Any] = {"state": state, "complete_time": now, "lease_expires_at": None}
    if error is not None:
        fields["error"] = error
    if stopped_at is not None:
        fields["stopped_at"] = stopped_at
    return status.model_copy(update=fields)


def failed(status: TurnStatus, error: TurnError, now: datetime) -> TurnStatus:
    """The server fails a turn it will not answer (any state that has not ended yet)."""
    return ended(status, now, state=TurnState.ERROR, error=error)


def stopped(status: TurnStatus, now: datetime) -> TurnStatus:
    """A STOP honoured: STOPPED, with the stop time."""
    if not can_transition(status.state, TurnState.STOPPED):
        raise ValueError(f"a {status.state} turn cannot be stopped")
    return ended(status, now, state=TurnState.STOPPED, stopped_at=now)


def requeued(
    status: TurnStatus | None,
    now: datetime,
    *,
    keep_start: bool = False,
    queued_ahead: int | None = None,
) -> TurnStatus:
    """The next attempt of a turn, queued at `now` (the first when `status` is None) behind
    `queued_ahead` others (None: not counted)."""
    current = status.state if status is not None else None
    if not can_transition(current, TurnState.QUEUED):
        raise ValueError(f"a {current} turn cannot be queued")
    attempt = status.attempt + 1 if status is not None else 1
    start = status.start_time if status is not None and keep_start else None
    return TurnStatus(
        state=TurnState.QUEUED,
        attempt=attempt,
        queued_at=now,
        queued_ahead=queued_ahead,
        start_time=start,
    )


def ended_state_before_retry(
    *, stopped_at: datetime | None, error: object, usage_provider: object
) -> TurnState:
    """What a turn had ended as before its owner set RETRY (RETRY overwrote the state)."""
    if stopped_at:
        return TurnState.STOPPED
    if error:
        return TurnState.ERROR
    if usage_provider == "moderation":
        return TurnState.BLOCKED
    return TurnState.COMPLETED


def known_state(value: object) -> TurnState | None:
    """`value` as a TurnState; None for anything else (a stored state this code does not know)."""
    if not isinstance(value, str):
        return None
    try:
        return TurnState(value)
    except ValueError:
        return None


RUNNING_STATES = frozenset({TurnState.PROCESSING, TurnState.STREAMING, TurnState.STOP})


def lease_expired(status: TurnStatus, now: datetime) -> bool:
    """A worker held the turn and its lease ran out (it crashed or was killed)."""
    expired = status.lease_expires_at is not None and status.lease_expires_at < now
    return status.state in RUNNING_STATES and expired


def owner_request(*, before: TurnState | None, after: TurnState | None) -> TurnState | None:
    """RETRY or STOP when an update of a turn is its owner asking for one; None otherwise."""
    if after not in (TurnState.RETRY, TurnState.STOP) or before is after:
        return None
    return after


class DeadLetterOutcome(StrEnum):
    """What a dead-lettered chat request means for its turn."""

    DEFERRED = "deferred"  # still unclaimed: handed back to the sweeper
    EXPIRED = "expired"  # unclaimed for longer than the give-up bound since its first dead letter
    STALE = "stale"  # another attempt is queued
    ENDED = "ended"  # the turn has ended (or is gone)
    CLAIMED = "claimed"  # a worker holds it

    @property
    def fails_turn(self) -> bool:
        return self in (DeadLetterOutcome.CLAIMED, DeadLetterOutcome.EXPIRED)


def dead_letter_outcome(
    *,
    state: TurnState | None,
    attempt: object,
    message_attempt: int,
    first_dead_letter: datetime | None,
    now: datetime,
    give_up_after: timedelta,
) -> DeadLetterOutcome:
    """Decide for a dead-lettered request of attempt `message_attempt` of a turn in `state`
    (None: no turn or an unknown state) whose first dead letter came at `first_dead_letter`."""
    if state is None or state.is_terminal:
        return DeadLetterOutcome.ENDED
    if state is not TurnState.QUEUED:
        return DeadLetterOutcome.CLAIMED
    if attempt != message_attempt:
        return DeadLetterOutcome.STALE
    if now - (first_dead_letter or now) >= give_up_after:
        return DeadLetterOutcome.EXPIRED
    return DeadLetterOutcome.DEFERRED


def due_for_sweep(*, now: datetime, stale_after: timedelta) -> datetime:
    """A `queuedAt` old enough that the next sweep re-publishes the turn."""
    return now - stale_after - timedelta(seconds=1)


# A new turn's trigger sets its status within a second or two (a cold start: some seconds more).
# One still without a status after this long lost its trigger (an invocation that crashed or was
# dropped: created-triggers are not retried) and is queued by the sweeper instead.
UNQUEUED_GRACE = timedelta(seconds=30)
# The sweeper runs every minute and looks this far back past the grace, so it looks at each new
# turn twice (one missed run is covered); a turn lost while it was down longer stays unanswered.
UNQUEUED_LOOKBACK = timedelta(minutes=2)


def unqueued_window(*, now: datetime) -> tuple[datetime, datetime]:
    """The `createTime` span, [start, end), in which a sweep looks for turns never queued."""
    end = now - UNQUEUED_GRACE
    return end - UNQUEUED_LOOKBACK, end


# ------------------------------------------------------------------------------ deletion

# A deletion that has not progressed for this long is presumed crashed and is resumed.
STALE_DELETION = timedelta(minutes=5)
