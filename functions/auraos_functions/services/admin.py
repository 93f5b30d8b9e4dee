"""Administrator actions on accounts: roles and activation, each audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore

from shared import paths
from shared.errors import InvalidInput, NotFound
from shared.models.base import Frozen
from shared.models.ids import Uid
from shared.models.security import AuditAction
from shared.models.users import Role

from ..repositories import audit
from .requests import parse_request


class SetRoleRequest(Frozen):
    uid: Uid
    role: Role


class SetActiveRequest(Frozen):
    uid: Uid
    active: bool


def _existing_user(app: firebase_admin.App, uid: str) -> auth.UserRecord:
    try:
        return auth.get_user(uid, app=app)
    except auth.UserNotFoundError:
        raise NotFound(f"No user {uid}.") from None


def set_user_role(
    *, db: firestore.Client, app: firebase_admin.App, admin_uid: str, data: Any, now: datetime
) -> dict[str, Any]:
    """Set the role claim; the user's refresh tokens are revoked so the next token carries it."""
    request = parse_request(SetRoleRequest, data)
    if request.uid == admin_uid and request.role is not Role.ADMIN:
        raise InvalidInput("Administrators cannot remove their own admin role.")
    user = _existing_user(app, request.uid)
    previous = (user.custom_claims or {}).get("role", Role.USER.value)
    auth.set_custom_user_claims(
        request.uid, {**(user.custom_claims or {}), "role": request.role.value}, app=app
    )
    auth.revoke_refresh_tokens(request.uid, app=app)
    db.document(paths.user(request.uid)).set(
        {"role": request.role.value, "updatedAt": now}, merge=True
    )
    audit.record(
        db=db,
        action=AuditAction.ROLE_CHANGED,
        now=now,
        actor_uid=admin_uid,
        target_uid=request.uid,
        key=f"{request.uid}:{now.isoformat()}",
        details={"from": previous, "to": request.role.value},
    )
    return {"uid": request.uid, "role": request.role.value}


def set_user_active(
    *, db: firestore.Client, app: firebase_admin.App, admin_uid: str, data: Any, now: datetime
) -> dict[str, Any]:
    """Deactivate (sign-in refused, sessions revoked) or reactivate an account."""
    request = parse_request(SetActiveRequest, data)
    if request.uid == admin_uid and not request.active:
        raise InvalidInput("Administrators cannot deactivate themselves.")
    _existing_user(app, request.uid)
    auth.update_user(request.uid, disabled=not request.active, app=app)
    if not request.active:
        auth.revoke_refresh_tokens(request.uid, app=app)
    db.document(paths.user(request.uid)).set(
        {"isActive": request.active, "updatedAt": now}, merge=True
    )
    action = AuditAction.USER_REACTIVATED if request.active else AuditAction.USER_DEACTIVATED
    audit.record(
        db=db,
        action=action,
        now=now,
        actor_uid=admin_uid,
        target_uid=request.uid,
        key=f"{request.uid}:{now.isoformat()}",
    )
    return {"uid": request.uid, "active": request.active}
