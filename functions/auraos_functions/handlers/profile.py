"""Callables over the caller's own profile and consent."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from shared.models.base import utc_now
from shared.models.callable_requests import ConsentUpdate
from shared.models.users import Consent, ProfileUpdate, UserProfile

from ..clients import firestore_client
from ..services import profile
from ..services.requests import parse_request
from .boundary import callable_function, caller_uid


def _profile(uid: str, stored: UserProfile) -> dict[str, Any]:
    return {"uid": uid, **stored.to_json_dict()}


def _consent(consent: Consent) -> dict[str, Any]:
    return {"consent": consent.model_dump(include={"analytics", "personalization"})}


@callable_function
def getProfile(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    uid = caller_uid(request)
    return _profile(uid, profile.get_profile(db=firestore_client(), uid=uid))


@callable_function
def updateProfile(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    uid = caller_uid(request)
    update = parse_request(ProfileUpdate, request.data)
    stored = profile.update_profile(db=firestore_client(), uid=uid, update=update, now=utc_now())
    return _profile(uid, stored)


@callable_function
def setConsent(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    update = parse_request(ConsentUpdate, request.data)
    consent = profile.set_consent(
        db=firestore_client(), uid=caller_uid(request), update=update, now=utc_now()
    )
    return _consent(consent)
