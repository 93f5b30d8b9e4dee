"""The getProfile callable verifies the caller's ID token."""

from __future__ import annotations

from collections.abc import Callable

from tools.emulator_auth import SignedInUser

from ..helpers import call_function


def test_get_profile_answers_the_signed_in_caller(new_user: Callable[..., SignedInUser]) -> None:
    user = new_user("dora@example.com")

    response = call_function("getProfile", {}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    profile = response.json()["result"]
    assert profile["uid"] == user.uid
    assert profile["email"] == "dora@example.com"
    assert profile["role"] == "user"


def test_get_profile_refuses_anonymous_callers() -> None:
    response = call_function("getProfile", {})

    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_get_profile_refuses_a_forged_token() -> None:
    response = call_function("getProfile", {}, id_token="not-a-token")

    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
