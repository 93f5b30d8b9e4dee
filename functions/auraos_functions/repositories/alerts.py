"""`security_alerts/{id}`: what ai_service's anomaly scoring raised, for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared import paths
from shared.models.security import SecurityAlert


@dataclass(frozen=True, slots=True)
class StoredAlert:
    alert_id: str
    """The document id (ai_service's de-duplicating key)."""
    alert: SecurityAlert
    """The alert as stored."""


def list_alerts(
    *, db: firestore.Client, acknowledged: bool | None, limit: int
) -> list[StoredAlert]:
    """The newest `limit` alerts, only (un)acknowledged ones unless `acknowledged` is None."""
    query = (
        db.collection(paths.SECURITY_ALERTS)
        .order_by("createTime", direction=firestore.Query.DESCENDING)
        .limit(limit)
    )
    if acknowledged is not None:
        query = query.where(filter=firestore.FieldFilter("acknowledged", "==", acknowledged))
    return [
        StoredAlert(alert_id=doc.id, alert=SecurityAlert.from_document(doc.to_dict() or {}))
        for doc in query.stream()
    ]


def acknowledge(*, db: firestore.Client, alert_id: str, admin_uid: str, now: datetime) -> bool:
    """Record who acknowledged the alert and when; False when there is no such alert."""
    ref = db.document(f"{paths.SECURITY_ALERTS}/{alert_id}")
    try:
        ref.update({"acknowledged": True, "acknowledgedBy": admin_uid, "acknowledgedAt": now})
    except gexc.NotFound:
        return False
    return True
