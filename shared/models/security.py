"""Security alerts, the audit log and per-user rate-limit buckets (all server-only documents)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from .base import Document


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SecurityAlert(Document):
    """`security_alerts/{id}`: an anomaly above threshold; the id de-duplicates per time window."""

    uid: str
    kind: str
    severity: AlertSeverity
    score: float
    reason: str
    create_time: datetime
    window: str
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class AuditAction(StrEnum):
    ROLE_CHANGED = "role_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    ACCOUNT_DELETION_REQUESTED = "account_deletion_requested"
    ACCOUNT_DELETED = "account_deleted"
    RATE_LIMIT_TRIPPED = "rate_limit_tripped"
    ANOMALY_ALERT = "anomaly_alert"
    SIGN_IN_REFUSED = "sign_in_refused"
    PUSH_MESSAGE_REJECTED = "push_message_rejected"


class AuditLogEntry(Document):
    """`audit_logs/{id}`: append-only; admins read, nobody edits."""

    action: AuditAction
    actor_uid: str | None = None
    target_uid: str | None = None
    create_time: datetime
    details: dict[str, Any] = Field(default_factory=dict)


class RateLimitBucket(Document):
    """`rate_limits/{hash of uid}`: one token bucket per limited action, refilled continuously."""

    tokens: float = Field(ge=0.0)
    updated_at: datetime
