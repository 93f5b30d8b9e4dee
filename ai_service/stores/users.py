"""What ai_service reads of a user's profile (`users/{uid}`): their consent."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from shared import paths
from shared.models.users import Consent


def consent_from_profile(profile: dict[str, Any]) -> Consent:
    """The consent a raw profile records: a choice is on only when it is stored as `true` (a
    profile without consent, or with anything else there, consents to nothing)."""
    raw = profile.get("consent")
    if not isinstance(raw, dict):
        return Consent()
    return Consent(
        analytics=raw.get("analytics") is True, personalization=raw.get("personalization") is True
    )


class UserStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def consent(self, *, uid: str) -> Consent:
        """The user's consent (one read); none for a missing profile."""
        return consent_from_profile(self._db.document(paths.user(uid)).get().to_dict() or {})
