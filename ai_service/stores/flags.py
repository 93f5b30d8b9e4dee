"""`config/flags`: the operators' switches, as ai_service reads them."""

from __future__ import annotations

from google.cloud import firestore

from shared import paths
from shared.models.flags import FeatureFlags


class FlagsStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def get(self) -> FeatureFlags:
        """The flags (one read); the defaults when the document is missing. A document that does
        not validate raises."""
        snapshot = self._db.document(paths.FLAGS_DOC).get()
        return FeatureFlags.model_validate(snapshot.to_dict() or {})
