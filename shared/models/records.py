"""Server bookkeeping documents that had no model: what the functions and ai_service store.

Reconciled with the writers as they are (functions/auraos_functions/repositories/analytics.py,
repositories/rate_limits.py, repositories/deletion_jobs.py; ai_service/pipeline/analytics.py).
The functions read deletion jobs through `DeletionJob`; shared/contract.py validates what is
stored against all of them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from .base import Document
from .security import RateLimitBucket
from .users import DeletionState


class CounterShard(Document):
    """`counters/{name}-{yyyy-mm-dd}/shards/{n}`: one shard of a sharded daily counter
    (`events` with a per-type split, `active-users` without one); the parent has no fields."""

    day: str
    count: int = Field(ge=0)
    by_type: dict[str, int] = Field(default_factory=dict)


class ProcessedStatus(StrEnum):
    """What on_analytics_event decided for an event (ai_service's markers carry none)."""

    COUNTED = "counted"
    INVALID = "invalid"
    NO_ACCOUNT = "no-account"
    NO_CONSENT = "no-consent"
    OVER_QUOTA = "over-quota"


class ProcessedEvent(Document):
    """`processed_events/{key}`: a trigger or push handler did its work for this idempotency
    key (`analytics-{eventId}` from functions, `ai-analytics-{eventId}` from ai_service)."""

    status: ProcessedStatus | None = None
    uid: str | None = None  # over-quota only: whose quota refused the event
    create_time: datetime
    expire_at: datetime | None = None  # the TTL field


class RateLimits(Document):
    """`rate_limits/{sha256(uid)[:32]}`: one token bucket per limited action, keyed by the
    action's name (`chat`, `callable:addTask`, `analytics:events`...), and the TTL field."""

    expire_at: datetime | None = None
    buckets: dict[str, RateLimitBucket] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_buckets(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "buckets" in data:
            return data
        expire = {k: v for k, v in data.items() if k in ("expireAt", "expire_at")}
        return {**expire, "buckets": {k: v for k, v in data.items() if k not in expire}}


class DeletionStep(StrEnum):
    """The steps of an account deletion, in the order the worker runs them; each is idempotent,
    so a resumed run repeats safely."""

    LOCK_ACCOUNT = "lock_account"
    UID_DOCUMENTS = "uid_documents"
    KEYED_DOCUMENTS = "keyed_documents"
    AUDIT_PSEUDONYMS = "audit_pseudonyms"
    USER_TREE = "user_tree"
    AUTH_USER = "auth_user"


class DeletionJob(Document):
    """`deletion_jobs/{sha256(uid)[:32]}`: a delete-my-account request and the steps done; a
    finished job keeps no uid, only its state and times."""

    uid: str | None = None
    state: DeletionState
    requested_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    done: tuple[DeletionStep, ...] = ()

    @model_validator(mode="after")
    def _done_forgets_the_uid(self) -> DeletionJob:
        if self.state is DeletionState.DONE and self.uid is not None:
            raise ValueError("a finished deletion job keeps no uid")
        if self.state is not DeletionState.DONE and self.uid is None:
            raise ValueError("a running deletion job names its uid")
        return self
