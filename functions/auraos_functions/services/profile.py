"""What a signed-in user may read and change of their own profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared import paths
from shared.errors import InvalidInput, NotFound
from shared.models.base import Frozen
from shared.models.users import ProfileUpdate

from ..repositories import users
from .requests import parse_request


class ConsentUpdate(Frozen):
    """Either flag may be given; at least one must be."""

    analytics: bool | None = None
    personalization: bool | None = None


def get_profile(*, db: firestore.Client, uid: str) -> dict[str, Any]:
    """The caller's profile as JSON; NotFound before the first sign-in has created it."""
    profile = users.get_profile(db=db, uid=uid)
    if profile is None:
        raise NotFound("No profile yet: sign in once to create it.")
    return {"uid": uid, **profile.to_json_dict()}


def update_profile(*, db: firestore.Client, uid: str, data: Any, now: datetime) -> dict[str, Any]:
    """Change displayName, avatarUrl (null clears the avatar) and/or timeZone; nothing else."""
    update = parse_request(ProfileUpdate, data)
    fields = update.model_dump(by_alias=True, exclude_unset=True)
    if not fields:
        raise InvalidInput("Nothing to update: give displayName, avatarUrl and/or timeZone.")
    for required in ("displayName", "timeZone"):
        if required in fields and fields[required] is None:
            raise InvalidInput(f"{required} cannot be empty.")
    if users.get_profile(db=db, uid=uid) is None:
        raise NotFound("No profile yet: sign in once to create it.")
    db.document(paths.user(uid)).update({**fields, "updatedAt": now})
    return get_profile(db=db, uid=uid)


def set_consent(*, db: firestore.Client, uid: str, data: Any, now: datetime) -> dict[str, Any]:
    """Record the user's choices; analytics ingestion and recommendations read them."""
    update = parse_request(ConsentUpdate, data)
    choices: dict[str, bool] = update.model_dump(exclude_none=True)
    if not choices:
        raise InvalidInput("Give analytics and/or personalization as true or false.")
    profile = users.get_profile(db=db, uid=uid)
    if profile is None:
        raise NotFound("No profile yet: sign in once to create it.")
    db.document(paths.user(uid)).update(
        {
            **{f"consent.{k}": v for k, v in choices.items()},
            "consent.updatedAt": now,
            "updatedAt": now,
        }
    )
    consent = {**profile.consent.model_dump(include={"analytics", "personalization"}), **choices}
    return {"consent": consent}
