"""`recommendations/{uid}`: what ai_service recommends the user (read here, written there)."""

from __future__ import annotations

from google.cloud import firestore

from shared import paths
from shared.models.recommendations import Recommendations


def get(*, db: firestore.Client, uid: str) -> Recommendations | None:
    """The user's recommendations, or None before ai_service has made any."""
    stored = db.document(paths.recommendations(uid)).get().to_dict()
    return Recommendations.from_document(stored) if stored is not None else None
