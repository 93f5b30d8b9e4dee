"""A user who stores any rules-valid profile value can still sign in and call every profile
callable (issue #14): the value is written through firestore.rules as the owner, as the PWA
would, then getProfile, updateProfile, setConsent and a new sign-in must all succeed. Values
the shared model cannot read (a whitespace-only name, a URL with a space) are refused by the
rules instead of being stored and breaking the account.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.api_core.exceptions import PermissionDenied
from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser, sign_in
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function

STORABLE: dict[str, dict[str, object]] = {
    "name-80": {"displayName": "a" * 80},
    "name-padded-unicode": {"displayName": "\u3000 Zoë 🎉 שָׁלוֹם \t"},
    "name-40-emoji": {"displayName": "🌸" * 40},
    "name-zero-width": {"displayName": "\u200b"},
    "avatar-2048": {"avatarUrl": "https://" + "a" * 2040},
    "avatar-odd-chars": {
        "avatarUrl": 'https://u:p@x.example:8443/a%20b/(c)[d]{e}|f\\g^h`?q=<1>&r="2"#f\'~!$*,;='
    },
    "avatar-unicode": {"avatarUrl": "https://пример.рф/аватар.png?名=🌸"},
    "avatar-null": {"avatarUrl": None},
    "tz-long": {"timeZone": "America/Argentina/ComodRivadavia"},
    "tz-unknown-but-shaped": {"timeZone": "Mars/Olympus_Mons"},
}
EXPECTED_NAME = {
    "name-padded-unicode": "Zoë 🎉 שָׁלוֹם",
}
EXPECTED_ZONE = {"tz-unknown-but-shaped": "UTC"}

# Stored and unreadable before issue #14: the rules must refuse them now.
UNREADABLE: dict[str, dict[str, object]] = {
    "name-spaces": {"displayName": "   "},
    "name-ideographic-space": {"displayName": "\u3000"},
    "name-nbsp-tab": {"displayName": "\xa0\t"},
    "avatar-space": {"avatarUrl": "https://cdn.example.com/my avatar.png"},
    "avatar-nbsp": {"avatarUrl": "https://cdn.example.com/a\xa0b.png"},
    "avatar-newline-inside": {"avatarUrl": "https://cdn.example.com/a\u2028b"},
}


def _write_as_owner(user: SignedInUser, changes: dict[str, object]) -> None:
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(paths.user(user.uid)).update(
        {**changes, "updatedAt": firestore.SERVER_TIMESTAMP}
    )


@pytest.mark.parametrize("changes", list(STORABLE.values()), ids=list(STORABLE))
def test_every_profile_callable_and_sign_in_work_after_a_rules_valid_edit(
    new_user: Callable[..., SignedInUser],
    changes: dict[str, object],
    request: pytest.FixtureRequest,
) -> None:
    case = request.node.callspec.id
    user = new_user()
    _write_as_owner(user, changes)

    profile = call_function("getProfile", {}, id_token=user.id_token)
    consent = call_function("setConsent", {"analytics": True}, id_token=user.id_token)
    updated = call_function("updateProfile", {"timeZone": "Europe/Lisbon"}, id_token=user.id_token)
    again = sign_in(user.email, "secret-pass-1")

    assert [profile.status_code, consent.status_code, updated.status_code] == [200, 200, 200], (
        profile.text,
        consent.text,
        updated.text,
    )
    result = profile.json()["result"]
    if "displayName" in changes:
        expected = EXPECTED_NAME.get(case, changes["displayName"])
        assert result["displayName"] == expected
    if "avatarUrl" in changes:
        assert result.get("avatarUrl") == changes["avatarUrl"]
    if "timeZone" in changes:
        assert result["timeZone"] == EXPECTED_ZONE.get(case, changes["timeZone"])
    assert consent.json()["result"]["consent"]["analytics"] is True
    assert updated.json()["result"]["timeZone"] == "Europe/Lisbon"
    assert again.uid == user.uid


@pytest.mark.parametrize("changes", list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_a_value_the_model_cannot_read_is_refused_by_the_rules(
    db: firestore.Client, new_user: Callable[..., SignedInUser], changes: dict[str, object]
) -> None:
    user = new_user()
    before = db.document(paths.user(user.uid)).get().to_dict()

    with pytest.raises(PermissionDenied):
        _write_as_owner(user, changes)

    assert db.document(paths.user(user.uid)).get().to_dict() == before
    assert call_function("getProfile", {}, id_token=user.id_token).status_code == 200
