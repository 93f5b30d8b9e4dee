"""What ai_service reads of a user's profile (`users/{uid}`): their consent."""

from __future__ import annotations

from google.cloud import firestore

from shared import paths
from shared.models.users import Consent


class UserStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def consent(self, *, uid: str) -> Consent:
        """The user's consent (one read); none for a missing profile."""
        return Consent.of_profile(self._db.document(paths.user(uid)).get().to_dict())
