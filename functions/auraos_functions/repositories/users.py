"""`users/{uid}` and its sessions."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from pydantic import TypeAdapter, ValidationError

from shared import paths
from shared.models.assistant import DEFAULT_TIME_ZONE, TimeZoneName
from shared.models.users import (
    AccountState,
    Consent,
    ProfileUpdate,
    Role,
    UserProfile,
    UserSession,
    account_state,
)

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


def account_state_of(*, db: firestore.Client, uid: str) -> AccountState:
    """Whether the account may act, read from `users/{uid}` exactly as the rules read it."""
    return account_state(db.document(paths.user(uid)).get().to_dict())


def consent_of(*, db: firestore.Client, uid: str) -> Consent:
    """What the user agreed to; nothing (all off) without a profile or a consent."""
    return Consent.of_profile(db.document(paths.user(uid)).get().to_dict())


def update_profile(*, db: firestore.Client, uid: str, update: ProfileUpdate, now: datetime) -> None:
    """Write the fields `update` sets (a None clears one); the profile must exist."""
    fields = update.model_dump(by_alias=True, exclude_unset=True)
    db.document(paths.user(uid)).update({**fields, "updatedAt": now})


def set_consent(
    *,
    db: firestore.Client,
    uid: str,
    analytics: bool | None,
    personalization: bool | None,
    now: datetime,
) -> None:
    """Record the choices given (None: unchanged); the profile must exist."""
    choices = {"analytics": analytics, "personalization": personalization}
    db.document(paths.user(uid)).update(
        {
            **{f"consent.{k}": v for k, v in choices.items() if v is not None},
            "consent.updatedAt": now,
            "updatedAt": now,
        }
    )


def set_role(*, db: firestore.Client, uid: str, role: Role, now: datetime) -> None:
    """Mirror the role claim on the profile (created partial if there is none)."""
    db.document(paths.user(uid)).set({"role": role.value, "updatedAt": now}, merge=True)


def set_active(*, db: firestore.Client, uid: str, active: bool, now: datetime) -> None:
    """Activate or deactivate the account on its profile (the rules read `isActive`)."""
    db.document(paths.user(uid)).set({"isActive": active, "updatedAt": now}, merge=True)


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
