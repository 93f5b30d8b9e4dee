"""Administrator actions on accounts: roles and activation, each audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore

from shared.errors import InvalidInput, NotFound
from shared.models.callable_requests import SetActiveRequest, SetRoleRequest
from shared.models.security import AuditAction
from shared.models.users import Role

from ..repositories import audit, users


@dataclass(frozen=True, slots=True)
class RoleChanged:
    uid: str
    """Whose role changed."""
    role: Role
    """The role they hold now."""


@dataclass(frozen=True, slots=True)
class ActivationChanged:
    uid: str
    """Whose account changed."""
    active: bool
    """Whether it may sign in and act now."""


def _existing_user(app: firebase_admin.App, uid: str) -> auth.UserRecord:
    try:
        return auth.get_user(uid, app=app)
    except auth.UserNotFoundError:
        raise NotFound(f"No user {uid}.") from None


def set_user_role(
    *,
    db: firestore.Client,
    app: firebase_admin.App,
    admin_uid: str,
    request: SetRoleRequest,
    now: datetime,
) -> RoleChanged:
    """Set the role claim; the user's refresh tokens are revoked so the next token carries it."""
    if request.uid == admin_uid and request.role is not Role.ADMIN:
        raise InvalidInput("Administrators cannot remove their own admin role.")
    user = _existing_user(app, request.uid)
    previous = (user.custom_claims or {}).get("role", Role.USER.value)
    auth.set_custom_user_claims(
        request.uid, {**(user.custom_claims or {}), "role": request.role.value}, app=app
    )
    auth.revoke_refresh_tokens(request.uid, app=app)
    users.set_role(db=db, uid=request.uid, role=request.role, now=now)
    audit.record(
        db=db,
        action=AuditAction.ROLE_CHANGED,
        now=now,
        actor_uid=admin_uid,
        target_uid=request.uid,
        key=f"{request.uid}:{now.isoformat()}",
        details={"from": previous, "to": request.role.value},
    )
    return RoleChanged(uid=request.uid, role=request.role)


def set_user_active(
    *,
    db: firestore.Client,
    app: firebase_admin.App,
    admin_uid: str,
    request: SetActiveRequest,
    now: datetime,
) -> ActivationChanged:
    """Deactivate (sign-in refused, sessions revoked) or reactivate an account."""
    if request.uid == admin_uid and not request.active:
        raise InvalidInput("Administrators cannot deactivate themselves.")
    _existing_user(app, request.uid)
    auth.update_user(request.uid, disabled=not request.active, app=app)
    if not request.active:
        auth.revoke_refresh_tokens(request.uid, app=app)
    users.set_active(db=db, uid=request.uid, active=request.active, now=now)
    action = AuditAction.USER_REACTIVATED if request.active else AuditAction.USER_DEACTIVATED
    audit.record(
        db=db,
        action=action,
        now=now,
        actor_uid=admin_uid,
        target_uid=request.uid,
        key=f"{request.uid}:{now.isoformat()}",
    )
    return ActivationChanged(uid=request.uid, active=request.active)
