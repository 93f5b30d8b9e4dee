"""Rules for users/{uid}/conversations/{cid}."""

from __future__ import annotations

import pytest

from .client import Emulator, assert_allowed, assert_denied, request_time_like, result_ids
from .factories import ALICE, BOB, T0, Actor, Expect, actor, check, conversation, profile

pytestmark = pytest.mark.emulators

CONVERSATIONS = f"users/{ALICE}/conversations"
CONV = f"{CONVERSATIONS}/c1"
NEW = f"{CONVERSATIONS}/c2"


@pytest.fixture(autouse=True)
def _conversation(db: Emulator) -> None:
    db.seed(f"users/{ALICE}", profile(ALICE))  # an active account (test_account_state: others)
    db.seed(CONV, conversation())


# ------------------------------------------------------------------------- read


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "allow"), ("other", "deny"), ("anonymous", "deny"), ("admin", "deny")],
)
def test_get_conversation(db: Emulator, who: Actor, expected: Expect) -> None:
    """Only the owner reads a conversation."""
    check(actor(db, who).get(CONV), expected)


def test_owner_lists_own_conversations(db: Emulator) -> None:
    """The owner's collection query returns their conversations."""
    db.seed(NEW, conversation())
    outcome = db.as_user(ALICE).query(CONVERSATIONS)
    assert_allowed(outcome)
    assert result_ids(outcome) == ["c1", "c2"]


def test_other_user_cannot_list_conversations(db: Emulator) -> None:
    """Another user's query over Alice's conversations is rejected."""
    assert_denied(db.as_user(BOB).query(CONVERSATIONS))


# ----------------------------------------------------------------------- create

ALLOWED_CREATES: dict[str, dict[str, object]] = {
    "title-and-settings": {"title": "New chat", "settings": {"model": "gemini-1.5-pro"}},
    "createdAt-only": {},
    "title-120": {"title": "t" * 120},
    "empty-settings": {"settings": {}},
    "model-64": {"settings": {"model": "m" * 64}},
}


@pytest.mark.parametrize("data", list(ALLOWED_CREATES.values()), ids=list(ALLOWED_CREATES))
def test_owner_creates_conversation(db: Emulator, data: dict[str, object]) -> None:
    """title/settings are optional; createdAt must be request.time."""
    assert_allowed(db.as_user(ALICE).create(NEW, data, server_time_fields=["createdAt"]))
    stored = db.read(NEW)
    assert stored is not None
    assert request_time_like(stored.pop("createdAt"))
    assert stored == data


DENIED_CREATES: dict[str, dict[str, object]] = {
    "title-121": {"title": "t" * 121},
    "title-not-string": {"title": 7},
    "settings-not-map": {"settings": "gemini"},
    "settings-extra-key": {"settings": {"model": "m", "temperature": 2}},
    "model-65": {"settings": {"model": "m" * 65}},
    "model-not-string": {"settings": {"model": True}},
    "server-summary": {"summary": "x"},
    "server-usage": {"usage": {"inputTokens": 0}},
    "server-updatedAt": {"updatedAt": T0},
    "server-turnCount": {"turnCount": 0},
}


@pytest.mark.parametrize("data", list(DENIED_CREATES.values()), ids=list(DENIED_CREATES))
def test_owner_cannot_create_invalid_conversation(db: Emulator, data: dict[str, object]) -> None:
    """Over-long, mistyped or server-only fields are rejected."""
    assert_denied(db.as_user(ALICE).create(NEW, data, server_time_fields=["createdAt"]))
    assert db.read(NEW) is None


@pytest.mark.parametrize("created_at", ["missing", "client-clock"])
def test_create_requires_server_created_at(db: Emulator, created_at: str) -> None:
    """createdAt is mandatory and must equal request.time."""
    data: dict[str, object] = {"title": "x"}
    if created_at == "client-clock":
        data["createdAt"] = T0
    assert_denied(db.as_user(ALICE).create(NEW, data))


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_creates_conversation(db: Emulator, who: Actor) -> None:
    """Nobody else can create a conversation under Alice."""
    outcome = actor(db, who).create(NEW, {"title": "x"}, server_time_fields=["createdAt"])
    assert_denied(outcome)


# ----------------------------------------------------------------------- update


@pytest.mark.parametrize(
    "changes",
    [{"title": "Renamed"}, {"settings": {"model": "gemini-1.5-pro"}}],
    ids=["title", "settings"],
)
def test_owner_updates_title_and_settings(db: Emulator, changes: dict[str, object]) -> None:
    """title and settings are the only client-editable conversation fields."""
    assert_allowed(db.as_user(ALICE).update(CONV, changes))
    stored = db.read(CONV)
    assert stored is not None
    assert stored == {**conversation(), **changes}


DENIED_CONV_UPDATES: dict[str, dict[str, object]] = {
    "title-121": {"title": "t" * 121},
    "settings-extra-key": {"settings": {"model": "m", "topK": 3}},
    "summary": {"summary": "rewritten"},
    "usage": {"usage": {"inputTokens": 0}},
    "updatedAt": {"updatedAt": T0.replace(year=2030)},
    "turnCount": {"turnCount": 0},
    "createdAt": {"createdAt": T0.replace(year=2030)},
}


@pytest.mark.parametrize(
    "changes", list(DENIED_CONV_UPDATES.values()), ids=list(DENIED_CONV_UPDATES)
)
def test_owner_cannot_update_server_fields(db: Emulator, changes: dict[str, object]) -> None:
    """Server-managed fields and invalid values cannot be written."""
    assert_denied(db.as_user(ALICE).update(CONV, changes))
    assert db.read(CONV) == conversation()


@pytest.mark.parametrize("who", ["other", "admin"])
def test_only_owner_updates_conversation(db: Emulator, who: Actor) -> None:
    """Other users and admins cannot rename Alice's conversation."""
    assert_denied(actor(db, who).update(CONV, {"title": "pwned"}))


# ----------------------------------------------------------------------- delete


def test_owner_deletes_conversation(db: Emulator) -> None:
    """The owner may delete a conversation."""
    assert_allowed(db.as_user(ALICE).delete(CONV))
    assert db.read(CONV) is None


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_deletes_conversation(db: Emulator, who: Actor) -> None:
    """Nobody else can delete it."""
    assert_denied(actor(db, who).delete(CONV))
    assert db.read(CONV) is not None
