"""Sign-up and sign-in rules: who may create an account, who may sign in, what is recorded."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore

from shared.errors import InvalidInput, PermissionDenied, Unauthenticated
from shared.models.flags import FeatureFlags
from shared.models.users import EMAIL_PATTERN, AccountState, Role, UserProfile

from ..repositories import users

_EMAIL = re.compile(EMAIL_PATTERN)


def claims_for_new_user(*, email: str | None, flags: FeatureFlags) -> dict[str, str]:
    """The custom claims a new account starts with; refuses bad or blocked e-mail addresses."""
    if not email:
        raise InvalidInput("An e-mail address is required to sign up.")
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise InvalidInput(f"'{email}' is not a valid e-mail address.")
    domain = email.rsplit("@", 1)[1].lower()
    blocked = {d.lower().lstrip("@") for d in flags.blocked_email_domains}
    if domain in blocked or any(domain.endswith("." + d) for d in blocked):
        raise PermissionDenied(f"Sign-ups from {domain} are not allowed.")
    return {"role": Role.USER.value}


def record_sign_in(
    *,
    db: firestore.Client,
    uid: str,
    email: str | None,
    display_name: str | None,
    avatar_url: str | None,
    event_id: str,
    user_agent: str | None,
    ip_address: str | None,
    now: datetime,
    session_ttl: timedelta,
) -> UserProfile:
    """Upsert the profile and open a session; refuses deactivated accounts and pending deletions."""
    existing = users.get_profile(db=db, uid=uid)
    if existing is not None and not existing.is_active:
        raise PermissionDenied("This account has been deactivated. Contact support.")
    if existing is not None and existing.deletion is not None:
        raise PermissionDenied("This account is being deleted.")
    profile = users.upsert_profile_on_sign_in(
        db=db, uid=uid, email=email, display_name=display_name, avatar_url=avatar_url, now=now
    )
    users.record_session(
        db=db,
        uid=uid,
        event_id=event_id,
        user_agent=user_agent,
        ip_address=ip_address,
        now=now,
        ttl=session_ttl,
    )
    return profile


# What a refused caller reads; "sign in again" only where signing in can still work.
DEACTIVATED_MESSAGE = "This account has been deactivated. Contact support."
DELETED_MESSAGE = "This account has been deleted."
REVOKED_MESSAGE = "Your session has ended; sign in again."


def require_usable_account(
    *, db: firestore.Client, app: firebase_admin.App, uid: str, id_token: str
) -> None:
    """Refuse a caller whose token was revoked or whose account is disabled, deactivated,
    being deleted or gone, before anything is written for them.

    The SDK verified the token's signature already; this asks Auth for the account (one lookup:
    revocation, disabled, deleted) and reads `users/{uid}`, the state the rules read too.
    """
    try:
        auth.verify_id_token(id_token, app=app, check_revoked=True)
    except auth.UserDisabledError:
        state = users.account_state_of(db=db, uid=uid)
        if state in (AccountState.DELETING, AccountState.GONE):
            raise Unauthenticated(DELETED_MESSAGE) from None
        raise PermissionDenied(DEACTIVATED_MESSAGE) from None
    except auth.UserNotFoundError:
        raise Unauthenticated(DELETED_MESSAGE) from None
    except (auth.RevokedIdTokenError, auth.InvalidIdTokenError):
        raise Unauthenticated(REVOKED_MESSAGE) from None
    state = users.account_state_of(db=db, uid=uid)
    if state in (AccountState.DELETING, AccountState.GONE):
        raise Unauthenticated(DELETED_MESSAGE)
    if state is AccountState.DEACTIVATED:
        raise PermissionDenied(DEACTIVATED_MESSAGE)
