"""Auth blocking triggers: validate sign-ups, record sign-ins (Python has no on-user-created)."""

from __future__ import annotations

from datetime import timedelta

from firebase_functions import identity_fn

from shared.models.base import utc_now

from ..clients import firestore_client
from ..config import settings
from ..repositories.flags import read_flags
from ..services import accounts
from .boundary import error_boundary


@identity_fn.before_user_created()
@error_boundary
def before_user_created(
    event: identity_fn.AuthBlockingEvent,
) -> identity_fn.BeforeCreateResponse | None:
    # Read fresh: sign-ups are rare, and a newly blocked domain must apply at once.
    flags = read_flags(db=firestore_client(), max_age_s=0)
    claims = accounts.claims_for_new_user(email=event.data.email, flags=flags)
    return identity_fn.BeforeCreateResponse(
        custom_claims={**(event.data.custom_claims or {}), **claims}
    )


@identity_fn.before_user_signed_in()
@error_boundary
def before_user_signed_in(
    event: identity_fn.AuthBlockingEvent,
) -> identity_fn.BeforeSignInResponse | None:
    user = event.data
    accounts.record_sign_in(
        db=firestore_client(),
        uid=user.uid,
        email=user.email,
        display_name=user.display_name,
        avatar_url=user.photo_url,
        event_id=event.event_id,
        user_agent=event.user_agent,
        ip_address=event.ip_address,
        now=utc_now(),
        session_ttl=timedelta(days=settings().session_ttl_days),
    )
    return None
