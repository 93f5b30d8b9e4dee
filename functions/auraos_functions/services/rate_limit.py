"""Token-bucket arithmetic (pure): what a user has left, and when the next call frees up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import RateLimited

from ..config import RateLimit


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    updated_at: datetime


def take(*, bucket: Bucket | None, limit: RateLimit, now: datetime, action: str) -> Bucket:
    """The bucket after one call; RateLimited (with retry-after) when it is empty."""
    rate = limit.capacity / limit.window_s
    if bucket is None:
        tokens = float(limit.capacity)
    else:
        elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
        tokens = min(float(limit.capacity), bucket.tokens + elapsed * rate)
    if tokens < 1.0:
        retry_after = (1.0 - tokens) / rate
        raise RateLimited(
            f"Too many {action} requests; try again in {max(1, round(retry_after))} s.",
            retry_after_s=retry_after,
        )
    return Bucket(tokens=tokens - 1.0, updated_at=now)


def bucket_from_document(data: dict[str, Any] | None, action: str) -> Bucket | None:
    entry = (data or {}).get(action)
    if not isinstance(entry, dict) or "tokens" not in entry or "updatedAt" not in entry:
        return None
    return Bucket(tokens=float(entry["tokens"]), updated_at=entry["updatedAt"])


def bucket_to_document(bucket: Bucket) -> dict[str, Any]:
    return {"tokens": bucket.tokens, "updatedAt": bucket.updated_at}
