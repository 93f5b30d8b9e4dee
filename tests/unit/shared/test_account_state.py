"""The account-state rule in shared/models/users.py is the one firestore.rules applies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.models.users import (
    ACCOUNT_ACTIVE_FIELD,
    ACCOUNT_DELETION_FIELD,
    AccountState,
    DeletionState,
    account_state,
)

RULES = (Path(__file__).resolve().parents[3] / "firestore.rules").read_text(encoding="utf-8")


def test_the_rules_read_the_models_fields_with_the_models_defaults() -> None:
    usable = re.search(r"function isUsableProfile\(profile\) \{\s*return ([^;]*);", RULES)
    assert usable is not None
    assert usable.group(1).split("&&") == [
        f"profile.get('{ACCOUNT_ACTIVE_FIELD}', true) == true ",
        f" profile.get('{ACCOUNT_DELETION_FIELD}', null) == null",
    ]
    assert account_state({}) is AccountState.ACTIVE  # the rules' defaults: true and null


@pytest.mark.parametrize(
    ("profile", "state"),
    [
        (None, AccountState.GONE),
        ({"isActive": True}, AccountState.ACTIVE),
        ({"isActive": False}, AccountState.DEACTIVATED),
        ({"isActive": "false"}, AccountState.DEACTIVATED),  # the rules want `== true`
        ({"deletion": None}, AccountState.ACTIVE),
        *[({"deletion": s.value}, AccountState.DELETING) for s in DeletionState],
        ({"isActive": False, "deletion": "PENDING"}, AccountState.DELETING),
    ],
)
def test_account_state_of_a_raw_profile(
    profile: dict[str, object] | None, state: AccountState
) -> None:
    assert account_state(profile) is state


def test_every_write_under_a_users_tree_checks_the_account() -> None:
    writes = re.findall(r"allow (?:create|update|delete)[^:]*: if isOwner\(uid\)[^;]*;", RULES)
    assert writes, "no owner writes found"
    for rule in writes:
        assert "isUsableAccount(uid)" in rule or "isUsableProfile(resource.data)" in rule, rule
