"""Administrator callables; the caller's token must carry the admin role."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from shared.models.base import utc_now
from shared.models.callable_requests import SetActiveRequest, SetRoleRequest

from ..clients import firebase_app, firestore_client
from ..services import admin
from ..services.requests import parse_request
from .boundary import callable_function, require_admin


@callable_function
def setUserRole(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    admin_uid = require_admin(request)
    changed = admin.set_user_role(
        db=firestore_client(),
        app=firebase_app(),
        admin_uid=admin_uid,
        request=parse_request(SetRoleRequest, request.data),
        now=utc_now(),
    )
    return {"uid": changed.uid, "role": changed.role.value}


@callable_function
def setUserActive(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    admin_uid = require_admin(request)
    changed = admin.set_user_active(
        db=firestore_client(),
        app=firebase_app(),
        admin_uid=admin_uid,
        request=parse_request(SetActiveRequest, request.data),
        now=utc_now(),
    )
    return {"uid": changed.uid, "active": changed.active}
