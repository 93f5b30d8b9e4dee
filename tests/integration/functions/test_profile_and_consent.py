"""Profile and consent callables: what a user may change, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser

from ..helpers import call_function


def test_update_profile_changes_only_display_name_and_avatar(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    response = call_function(
        "updateProfile",
        {"displayName": "Zoë 🎉", "avatarUrl": "https://cdn.example.com/z.png"},
        id_token=user.id_token,
    )

    assert response.status_code == 200, response.text
    assert response.json()["result"]["displayName"] == "Zoë 🎉"
    stored = db.document(paths.user(user.uid)).get().to_dict() or {}
    assert stored["avatarUrl"] == "https://cdn.example.com/z.png"
    assert stored["role"] == "user"


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"role": "admin"}, "role"),
        ({"displayName": ""}, "displayName"),
        ({"avatarUrl": "http://insecure.example.com/a.png"}, "avatarUrl"),
        ({}, "Nothing to update"),
    ],
    ids=["role", "empty-name", "insecure-avatar", "nothing"],
)
def test_update_profile_refuses_other_fields_and_bad_values(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    payload: dict[str, str],
    complaint: str,
) -> None:
    user = new_user()
    before = db.document(paths.user(user.uid)).get().to_dict()

    response = call_function("updateProfile", payload, id_token=user.id_token)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert complaint in error["message"]
    assert db.document(paths.user(user.uid)).get().to_dict() == before


def test_set_consent_records_choices_with_a_time(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    first = call_function("setConsent", {"analytics": True}, id_token=user.id_token)
    second = call_function("setConsent", {"personalization": True}, id_token=user.id_token)
    invalid = call_function("setConsent", {"analytics": "yes please"}, id_token=user.id_token)

    assert first.json()["result"] == {"consent": {"analytics": True, "personalization": False}}
    assert second.json()["result"] == {"consent": {"analytics": True, "personalization": True}}
    assert invalid.status_code == 400
    consent = (db.document(paths.user(user.uid)).get().to_dict() or {})["consent"]
    assert consent["analytics"] is True
    assert consent["personalization"] is True
    assert consent["updatedAt"] is not None
