"""What a signed-in user may read and change of their own profile."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from shared.errors import NotFound

from ..repositories import users


def get_profile(*, db: firestore.Client, uid: str) -> dict[str, Any]:
    """The caller's profile as JSON; NotFound before the first sign-in has created it."""
    profile = users.get_profile(db=db, uid=uid)
    if profile is None:
        raise NotFound("No profile yet: sign in once to create it.")
    return {"uid": uid, **profile.to_json_dict()}
