"""Admin callables: refused to users; roles reach the next token; deactivation blocks sign-in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.cloud import firestore

from shared import paths
from tools.emulator_auth import AuthRefused, SignedInUser, sign_in

from ..helpers import call_function, make_admin
from .test_auth_triggers import token_claims


@pytest.mark.parametrize("name", ["setUserRole", "setUserActive"])
def test_non_admins_are_refused(new_user: Callable[..., SignedInUser], name: str) -> None:
    user = new_user()
    other = new_user()

    response = call_function(
        name, {"uid": other.uid, "role": "admin", "active": False}, id_token=user.id_token
    )

    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_a_role_change_shows_in_the_users_next_token_and_is_audited(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    admin = make_admin(new_user("root@example.com"))
    user = new_user("ann@example.com")

    response = call_function(
        "setUserRole", {"uid": user.uid, "role": "admin"}, id_token=admin.id_token
    )

    assert response.status_code == 200, response.text
    assert token_claims(user.id_token)["role"] == "user"
    assert token_claims(sign_in("ann@example.com", "secret-pass-1").id_token)["role"] == "admin"
    assert (db.document(paths.user(user.uid)).get().to_dict() or {})["role"] == "admin"
    entries = [d.to_dict() or {} for d in db.collection(paths.AUDIT_LOGS).stream()]
    assert [(e["action"], e["actorUid"], e["targetUid"], e["details"]) for e in entries] == [
        ("role_changed", admin.uid, user.uid, {"from": "user", "to": "admin"})
    ]


def test_a_deactivated_user_cannot_sign_in_until_reactivated(
    new_user: Callable[..., SignedInUser],
) -> None:
    admin = make_admin(new_user("root@example.com"))
    user = new_user("bob@example.com")

    off = call_function(
        "setUserActive", {"uid": user.uid, "active": False}, id_token=admin.id_token
    )
    with pytest.raises(AuthRefused):
        sign_in("bob@example.com", "secret-pass-1")
    on = call_function("setUserActive", {"uid": user.uid, "active": True}, id_token=admin.id_token)

    assert off.status_code == 200
    assert on.status_code == 200
    assert sign_in("bob@example.com", "secret-pass-1").uid == user.uid


def test_unknown_users_and_bad_roles_are_clear_errors(
    new_user: Callable[..., SignedInUser],
) -> None:
    admin = make_admin(new_user("root@example.com"))

    missing = call_function(
        "setUserRole", {"uid": "nobody", "role": "admin"}, id_token=admin.id_token
    )
    bad_role = call_function(
        "setUserRole", {"uid": admin.uid, "role": "superuser"}, id_token=admin.id_token
    )

    assert missing.json()["error"]["status"] == "NOT_FOUND"
    assert bad_role.json()["error"]["status"] == "INVALID_ARGUMENT"
