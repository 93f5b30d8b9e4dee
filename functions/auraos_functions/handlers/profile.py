"""Callables over the caller's own profile and consent."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from shared.models.base import utc_now

from ..clients import firestore_client
from ..services import profile
from .boundary import callable_function, caller_uid


@callable_function
def getProfile(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return profile.get_profile(db=firestore_client(), uid=caller_uid(request))


@callable_function
def updateProfile(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return profile.update_profile(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def setConsent(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return profile.set_consent(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )
