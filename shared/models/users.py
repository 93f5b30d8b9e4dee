"""User profile, consent and sign-in sessions (`users/{uid}`, `users/{uid}/sessions/{id}`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, TypeAdapter, ValidationError

from .assistant import DEFAULT_TIME_ZONE, TimeZoneName
from .base import Document, Frozen

DISPLAY_NAME_MAX = 80
AVATAR_URL_MAX = 2048

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DISPLAY_NAME_MAX)
]
# `\S` and `strip_whitespace` mean Unicode White_Space; firestore.rules' notWhiteSpace() spells
# out the same characters (tests/rules/test_rules_models_agree.py checks them code point by point).
AvatarUrl = Annotated[str, StringConstraints(max_length=AVATAR_URL_MAX, pattern=r"^https://\S+$")]

_KNOWN_TIME_ZONE: TypeAdapter[str] = TypeAdapter(TimeZoneName)
_ZONE_SHAPE = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")  # TimeZoneName's, and firestore.rules'


def _known_or_default_zone(value: object) -> object:
    """An IANA-shaped stored zone (all the rules can check) this runtime does not know: UTC."""
    if isinstance(value, str) and _ZONE_SHAPE.match(value):
        try:
            _KNOWN_TIME_ZONE.validate_python(value)
        except ValidationError:
            return DEFAULT_TIME_ZONE
    return value


# The profile's stored zone: the rules can check its shape only, so an unknown one is read as UTC.
StoredTimeZone = Annotated[TimeZoneName, BeforeValidator(_known_or_default_zone)]


class Role(StrEnum):
    """The custom-claim role that rules and functions authorise on."""

    USER = "user"
    ADMIN = "admin"


class ConsentPurpose(StrEnum):
    """What the user's data may be used for, each only with its own yes."""

    ANALYTICS = "analytics"
    PERSONALIZATION = "personalization"


class Consent(Frozen):
    """What the user agreed to; analytics and personalisation are off until they say yes.

    The one consent gate of both services: `Consent.of_profile(stored).allows(purpose)`.
    """

    analytics: bool = False
    personalization: bool = False
    updated_at: datetime | None = None

    def allows(self, purpose: ConsentPurpose) -> bool:
        return self.analytics if purpose is ConsentPurpose.ANALYTICS else self.personalization

    @classmethod
    def of_profile(cls, profile: Mapping[str, Any] | None) -> Consent:
        """The consent a stored profile records: a purpose is on only when it is stored as
        `true` (no profile, no consent, or anything else there consents to nothing)."""
        raw = (profile or {}).get("consent")
        if not isinstance(raw, Mapping):
            return cls()
        return cls(
            analytics=raw.get("analytics") is True,
            personalization=raw.get("personalization") is True,
        )


class DeletionState(StrEnum):
    """Progress of a delete-my-account request; lets a crashed deletion resume."""

    PENDING = "PENDING"
    DELETING = "DELETING"
    DONE = "DONE"


class UserProfile(Document):
    """`users/{uid}`. The user may edit `display_name`, `avatar_url` and `consent` only."""

    email: Email | None = None
    display_name: DisplayName | None = None
    avatar_url: AvatarUrl | None = None
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None = None
    is_active: bool = True
    role: Role = Role.USER
    consent: Consent = Field(default_factory=Consent)
    deletion: DeletionState | None = None
    # Where "at 6pm" is meant; the PWA sends Intl.DateTimeFormat().resolvedOptions().timeZone.
    time_zone: StoredTimeZone = DEFAULT_TIME_ZONE


# The profile fields the server owns and the rules read (`resource.data.get(...)`).
ACCOUNT_ACTIVE_FIELD = UserProfile.model_fields["is_active"].alias or "isActive"
ACCOUNT_DELETION_FIELD = UserProfile.model_fields["deletion"].alias or "deletion"


class AccountState(StrEnum):
    """Whether an account may act, read from its profile exactly as firestore.rules reads it."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"  # an administrator's setUserActive(false)
    DELETING = "deleting"  # deleteMyAccount was asked; the deletion job owns the data now
    GONE = "gone"  # no profile: deleted (or never signed in through the blocking trigger)


def account_state(profile: Mapping[str, Any] | None) -> AccountState:
    """The state of the account whose raw `users/{uid}` document is `profile` (None: missing).

    Raw fields on purpose, as the rules see them: `isActive` missing counts as active, any
    `deletion` value as deleting, and a partial document (no `createdAt`) still has a state.
    """
    if profile is None:
        return AccountState.GONE
    if profile.get(ACCOUNT_DELETION_FIELD) is not None:
        return AccountState.DELETING
    if profile.get(ACCOUNT_ACTIVE_FIELD, True) is not True:
        return AccountState.DEACTIVATED
    return AccountState.ACTIVE


class ProfileUpdate(Frozen):
    """The fields `updateProfile` accepts; anything else is refused as an unknown field."""

    display_name: DisplayName | None = None
    avatar_url: AvatarUrl | None = None
    time_zone: TimeZoneName | None = None


class UserSession(Document):
    """`users/{uid}/sessions/{sessionId}`, created at sign-in; `expires_at` drives a TTL policy."""

    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: Annotated[str, StringConstraints(max_length=512)] | None = None
    ip_address: Annotated[str, StringConstraints(max_length=64)] | None = None
