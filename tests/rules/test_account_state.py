"""Rules: only a usable account writes under users/{uid} (and logs analytics events).

The state is the server's, in users/{uid}: `isActive` (setUserActive), `deletion`
(deleteMyAccount) and the document itself (gone once the deletion job finished). Each row is
checked against `shared.models.users.account_state`, so the rules and the model cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.models.users import AccountState, account_state

from .client import Emulator, FirestoreClient, Outcome
from .factories import ALICE, T0, check, conversation, event, profile, turn

pytestmark = pytest.mark.emulators

USER = f"users/{ALICE}"
CONV = f"{USER}/conversations/c1"
TURN = f"{CONV}/messages/t1"


def _profile(state: str) -> dict[str, object] | None:
    stored = profile(ALICE)
    if state == "deactivated":
        stored["isActive"] = False
    elif state in ("PENDING", "DELETING"):
        stored["deletion"] = state
    elif state == "gone":
        return None
    return stored


STATES = ["active", "no-isActive-field", "deactivated", "PENDING", "DELETING", "gone"]


def _flip(stored: str, to: str) -> dict[str, object]:
    """The owner's status change of a turn stored in state `stored` (RETRY or STOP)."""
    status = turn(stored)["status"]
    assert isinstance(status, dict)
    return {"status": {**status, "state": to}}


Write = Callable[[FirestoreClient], Outcome]
WRITES: dict[str, Write] = {
    "create-conversation": lambda c: c.create(
        f"{USER}/conversations/c2", {"title": "New"}, server_time_fields=["createdAt"]
    ),
    "rename-conversation": lambda c: c.update(CONV, {"title": "Renamed"}),
    "delete-conversation": lambda c: c.delete(CONV),
    "create-turn": lambda c: c.create(
        f"{CONV}/messages/t2", {"prompt": "hello"}, server_time_fields=["createTime"]
    ),
    "retry-turn": lambda c: c.update(TURN, _flip("COMPLETED", "RETRY")),
    "stop-turn": lambda c: c.update(f"{CONV}/messages/t3", _flip("STREAMING", "STOP")),
    "log-analytics-event": lambda c: c.create(
        "analytics_events/evt-00000001", event(), server_time_fields=["createTime"]
    ),
}


def _arrange(db: Emulator, state: str) -> None:
    stored = _profile(state)
    if state == "no-isActive-field" and stored is not None:
        del stored["isActive"]
    if stored is not None:
        db.seed(USER, stored)
    db.seed(CONV, conversation())
    db.seed(TURN, turn())
    db.seed(f"{CONV}/messages/t3", turn("STREAMING"))


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("state", STATES)
def test_only_a_usable_account_writes(db: Emulator, state: str, write: str) -> None:
    """Deactivated, being deleted or gone: every owner write is refused; active: allowed."""
    _arrange(db, state)
    stored = db.read(USER)
    usable = account_state(stored) is AccountState.ACTIVE
    assert usable == (state in ("active", "no-isActive-field"))  # the model agrees with the table

    check(WRITES[write](db.as_user(ALICE)), "allow" if usable else "deny")


@pytest.mark.parametrize("state", ["active", "deactivated", "PENDING", "DELETING"])
def test_the_profile_update_follows_the_account_state(db: Emulator, state: str) -> None:
    """The profile's own update reads its stored state (`resource`, no extra read)."""
    _arrange(db, state)
    outcome = db.as_user(ALICE).update(
        USER, {"displayName": "Al"}, server_time_fields=["updatedAt"]
    )
    check(outcome, "allow" if state == "active" else "deny")


def test_a_gone_account_recreates_nothing(db: Emulator) -> None:
    """After the deletion job: a still-valid token writes no conversation, turn or profile."""
    client = db.as_user(ALICE)
    new_conversation = f"{USER}/conversations/c9"

    outcomes = [
        client.create(new_conversation, {}, server_time_fields=["createdAt"]),
        client.create(
            f"{new_conversation}/messages/t1", {"prompt": "hi"}, server_time_fields=["createTime"]
        ),
        client.merge(USER, {"displayName": "Back"}, server_time_fields=["updatedAt"]),
    ]

    assert [o.denied for o in outcomes] == [True, True, True]
    assert db.read(new_conversation) is None
    assert db.read(f"{new_conversation}/messages/t1") is None
    assert db.read(USER) is None


def test_reactivation_restores_writes(db: Emulator) -> None:
    """isActive back to true (setUserActive(true)): the same token writes again."""
    _arrange(db, "deactivated")
    client = db.as_user(ALICE)
    refused = client.update(CONV, {"title": "Renamed"})
    db.seed(USER, {**profile(ALICE), "updatedAt": T0})

    allowed = client.update(CONV, {"title": "Renamed"})

    check(refused, "deny")
    check(allowed, "allow")
