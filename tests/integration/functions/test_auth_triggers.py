"""Blocking auth triggers on the Auth emulator: claims, profile upsert, sessions, refusals."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import firestore

from shared import paths
from tools.emulator_auth import AuthRefused, SignedInUser, sign_in


def token_claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_sign_up_gives_role_claim_profile_and_session(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user("ann@example.com")

    assert token_claims(user.id_token)["role"] == "user"
    profile = db.document(paths.user(user.uid)).get().to_dict()
    assert profile is not None
    assert profile["email"] == "ann@example.com"
    assert profile["role"] == "user"
    assert profile["isActive"] is True
    assert profile["consent"] == {"analytics": False, "personalization": False}
    sessions = list(db.collection(paths.user(user.uid) + "/sessions").stream())
    assert len(sessions) == 1
    session = sessions[0].to_dict() or {}
    assert session["expiresAt"] > session["createdAt"]


def test_second_sign_in_updates_last_login_and_adds_a_session(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user("bob@example.com")
    first = db.document(paths.user(user.uid)).get().to_dict()
    assert first is not None

    sign_in("bob@example.com", "secret-pass-1")

    second = db.document(paths.user(user.uid)).get().to_dict()
    assert second is not None
    assert second["createdAt"] == first["createdAt"]
    assert second["lastLoginAt"] > first["lastLoginAt"]
    assert len(list(db.collection(paths.user(user.uid) + "/sessions").stream())) == 2


def test_blocked_domain_is_refused_with_its_message(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    db.document(paths.FLAGS_DOC).set({"blockedEmailDomains": ["spam.example"]})

    with pytest.raises(AuthRefused, match=r"spam\.example are not allowed"):
        new_user("eve@mail.spam.example")


def test_deactivated_user_cannot_sign_in(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user("carl@example.com")
    db.document(paths.user(user.uid)).update({"isActive": False})

    with pytest.raises(AuthRefused, match="deactivated"):
        sign_in("carl@example.com", "secret-pass-1")
