"""Callables over the caller's own profile."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from ..clients import firestore_client
from ..services import profile
from .boundary import callable_function, caller_uid


@callable_function
def getProfile(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return profile.get_profile(db=firestore_client(), uid=caller_uid(request))
