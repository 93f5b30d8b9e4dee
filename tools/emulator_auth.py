"""Auth emulator sign-up and sign-in over its REST API (the calls the Firebase JS SDK makes)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import requests

_API_KEY = "fake-api-key"  # the emulator accepts any key


@dataclass(frozen=True, slots=True)
class SignedInUser:
    uid: str
    email: str
    id_token: str
    refresh_token: str


class AuthRefused(Exception):
    """The Auth emulator (or a blocking function) refused; `reason` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _base() -> str:
    host = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    return f"http://{host}/identitytoolkit.googleapis.com/v1"


# The Functions emulator starts a blocking function's Python runtime at its first call (and
# again after recycling one); on a busy machine that can outlast the Auth emulator's deadline for
# it, and the call is refused whole. A runtime recycled under a call hangs up instead
# (ECONNRESET: seen in 2 of 3 full runs on 2026-12-03, under the callable fuzz). Both are
# emulator artefacts, so such a call is tried again.
_EMULATOR_ARTEFACTS = ("Deadline exceeded", "ECONNRESET")
_ATTEMPTS = 3


def _post(endpoint: str, body: dict[str, object]) -> SignedInUser:
    for attempt in range(1, _ATTEMPTS + 1):
        response = requests.post(f"{_base()}/{endpoint}?key={_API_KEY}", json=body, timeout=60)
        payload = response.json()
        if response.ok:
            return SignedInUser(
                uid=payload["localId"],
                email=payload.get("email", ""),
                id_token=payload["idToken"],
                refresh_token=payload["refreshToken"],
            )
        reason = str(payload.get("error", {}).get("message", response.text))
        if attempt > 1 and endpoint == "accounts:signUp" and reason.startswith("EMAIL_EXISTS"):
            # The account was created, only its sign-in's blocking function timed out.
            return _post("accounts:signInWithPassword", body)
        if not any(artefact in reason for artefact in _EMULATOR_ARTEFACTS) or attempt == _ATTEMPTS:
            raise AuthRefused(reason)
    raise AssertionError("unreachable")


def sign_up(email: str, password: str) -> SignedInUser:
    """Create an account (runs before_user_created, then before_user_signed_in)."""
    return _post(
        "accounts:signUp", {"email": email, "password": password, "returnSecureToken": True}
    )


def sign_in(email: str, password: str) -> SignedInUser:
    return _post(
        "accounts:signInWithPassword",
        {"email": email, "password": password, "returnSecureToken": True},
    )
