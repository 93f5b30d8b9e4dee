"""`audit_logs`: append-only records of security-relevant actions."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared import paths
from shared.models.security import AuditAction, AuditLogEntry


def record(
    *,
    db: firestore.Client,
    action: AuditAction,
    now: datetime,
    key: str,
    actor_uid: str | None = None,
    target_uid: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Write one entry; `key` names the event, so a redelivered trigger rewrites the same entry."""
    entry_id = hashlib.sha256(f"{action.value}:{key}".encode()).hexdigest()[:32]
    entry = AuditLogEntry(
        action=action,
        actor_uid=actor_uid,
        target_uid=target_uid,
        create_time=now,
        details=details or {},
    )
    db.document(f"{paths.AUDIT_LOGS}/{entry_id}").set(entry.to_document())
    return entry_id
