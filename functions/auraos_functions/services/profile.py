"""What a signed-in user may read and change of their own profile."""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore

from shared.errors import InvalidInput, NotFound
from shared.models.callable_requests import ConsentUpdate
from shared.models.users import Consent, ProfileUpdate, UserProfile

from ..repositories import users

NO_PROFILE = "No profile yet: sign in once to create it."


def get_profile(*, db: firestore.Client, uid: str) -> UserProfile:
    """The caller's profile; NotFound before the first sign-in has created it."""
    profile = users.get_profile(db=db, uid=uid)
    if profile is None:
        raise NotFound(NO_PROFILE)
    return profile


def update_profile(
    *, db: firestore.Client, uid: str, update: ProfileUpdate, now: datetime
) -> UserProfile:
    """Change displayName, avatarUrl (null clears the avatar) and/or timeZone; nothing else."""
    fields = update.model_dump(by_alias=True, exclude_unset=True)
    if not fields:
        raise InvalidInput("Nothing to update: give displayName, avatarUrl and/or timeZone.")
    for required in ("displayName", "timeZone"):
        if required in fields and fields[required] is None:
            raise InvalidInput(f"{required} cannot be empty.")
    if users.get_profile(db=db, uid=uid) is None:
        raise NotFound(NO_PROFILE)
    users.update_profile(db=db, uid=uid, update=update, now=now)
    return get_profile(db=db, uid=uid)


def set_consent(*, db: firestore.Client, uid: str, update: ConsentUpdate, now: datetime) -> Consent:
    """Record the user's choices; analytics ingestion and recommendations read them."""
    if update.analytics is None and update.personalization is None:
        raise InvalidInput("Give analytics and/or personalization as true or false.")
    profile = users.get_profile(db=db, uid=uid)
    if profile is None:
        raise NotFound(NO_PROFILE)
    users.set_consent(
        db=db,
        uid=uid,
        analytics=update.analytics,
        personalization=update.personalization,
        now=now,
    )
    given = update.model_dump(exclude_none=True)
    return profile.consent.model_copy(update={**given, "updated_at": now})
