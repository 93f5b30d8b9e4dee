"""`users/{uid}` and its sessions."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from pydantic import TypeAdapter, ValidationError

from shared import paths
from shared.models.assistant import DEFAULT_TIME_ZONE, TimeZoneName
from shared.models.users import Role, UserProfile, UserSession

_TIME_ZONE: TypeAdapter[str] = TypeAdapter(TimeZoneName)
TIME_ZONE_FIELD = UserProfile.model_fields["time_zone"].alias or "timeZone"


def readable_profile(data: dict[str, Any]) -> dict[str, Any]:
    """A stored profile as the model reads it: a `timeZone` the owner wrote that is IANA-shaped
    (all the rules can check) but no zone this runtime knows is read as UTC, not an error."""
    zone = data.get(TIME_ZONE_FIELD)
    if zone is None:
        return data
    try:
        _TIME_ZONE.validate_python(zone)
    except ValidationError:
        return {**data, TIME_ZONE_FIELD: DEFAULT_TIME_ZONE}
    return data


def get_profile(*, db: firestore.Client, uid: str) -> UserProfile | None:
    snapshot = db.document(paths.user(uid)).get()
    data = snapshot.to_dict()
    return UserProfile.from_document(readable_profile(data)) if data is not None else None


def upsert_profile_on_sign_in(
    *,
    db: firestore.Client,
    uid: str,
    email: str | None,
    display_name: str | None,
    avatar_url: str | None,
    now: datetime,
) -> UserProfile:
    """Create the profile on first sign-in, else record `lastLoginAt` (and change nothing else).

    Runs in a transaction so two sign-ins racing on a new account create one profile.
    """
    ref = db.document(paths.user(uid))

    @firestore.transactional
    def upsert(transaction: firestore.Transaction) -> UserProfile:
        snapshot = ref.get(transaction=transaction)
        existing = snapshot.to_dict()
        if existing is None:
            profile = UserProfile(
                email=email,
                display_name=(display_name or "").strip()[:80] or None,
                avatar_url=avatar_url if avatar_url and avatar_url.startswith("https://") else None,
                created_at=now,
                updated_at=now,
                last_login_at=now,
                role=Role.USER,
            )
            transaction.set(ref, profile.to_document())
            return profile
        transaction.update(ref, {"lastLoginAt": now})
        return UserProfile.from_document(readable_profile({**existing, "lastLoginAt": now}))

    result: UserProfile = upsert(db.transaction())
    return result


def session_id_for(event_id: str) -> str:
    """A stable session id per sign-in event, so a redelivered event writes the same document."""
    return hashlib.sha256(event_id.encode()).hexdigest()[:32]


def record_session(
    *,
    db: firestore.Client,
    uid: str,
    event_id: str,
    user_agent: str | None,
    ip_address: str | None,
    now: datetime,
    ttl: timedelta,
) -> str:
    session_id = session_id_for(event_id)
    session = UserSession(
        created_at=now,
        last_seen_at=now,
        expires_at=now + ttl,
        user_agent=(user_agent or "")[:512] or None,
        ip_address=(ip_address or "")[:64] or None,
    )
    db.document(paths.session(uid, session_id)).set(session.to_document())
    return session_id
