"""Token-bucket arithmetic (pure): what a user has left, and when the next call frees up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import InvalidInput, RateLimited

from ..config import RateLimit


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    updated_at: datetime


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


def bucket_from_document(data: dict[str, Any] | None, action: str) -> Bucket | None:
    entry = (data or {}).get(action)
    if not isinstance(entry, dict) or "tokens" not in entry or "updatedAt" not in entry:
        return None
    return Bucket(tokens=float(entry["tokens"]), updated_at=entry["updatedAt"])


def bucket_to_document(bucket: Bucket) -> dict[str, Any]:
    return {"tokens": bucket.tokens, "updatedAt": bucket.updated_at}
