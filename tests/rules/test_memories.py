"""Rules for what Aura remembers (users/{uid}/memories): the owner reads and deletes, the server
alone writes (only with the personalisation consent), nobody else sees them."""

from __future__ import annotations

import pytest

from shared.models.memory import Memory

from .client import Emulator, assert_allowed, assert_denied
from .factories import ALICE, BOB, T0, Actor, Expect, actor, check, profile

pytestmark = pytest.mark.emulators

PATH = f"users/{ALICE}/memories/m1"
MEMORY = {
    "text": "Lives in Porto",
    "kind": "fact",
    "slot": "home",
    "createdAt": T0,
    "updatedAt": T0,
}


@pytest.fixture(autouse=True)
def _seeded(db: Emulator) -> None:
    db.seed(f"users/{ALICE}", profile(ALICE))
    db.seed(f"users/{BOB}", profile(BOB))
    db.seed(PATH, MEMORY)


def test_the_seeded_document_is_a_valid_memory() -> None:
    assert Memory.from_document(MEMORY).text == "Lives in Porto"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "allow"), ("other", "deny"), ("anonymous", "deny"), ("admin", "deny")],
)
def test_only_the_owner_reads_and_lists_memories(
    db: Emulator, who: Actor, expected: Expect
) -> None:
    check(actor(db, who).get(PATH), expected)
    check(actor(db, who).query(f"users/{ALICE}/memories"), expected)


@pytest.mark.parametrize("who", ["owner", "other", "admin", "anonymous"])
def test_no_client_creates_or_edits_a_memory(db: Emulator, who: Actor) -> None:
    """A client cannot plant a "fact" the assistant would then believe."""
    client = actor(db, who)
    assert_denied(client.create(f"users/{ALICE}/memories/m2", MEMORY))
    assert_denied(client.update(PATH, {"text": "Lives in Mordor"}))
    assert db.read(PATH) == MEMORY


@pytest.mark.parametrize("who", ["other", "admin", "anonymous"])
def test_only_the_owner_deletes_a_memory(db: Emulator, who: Actor) -> None:
    assert_denied(actor(db, who).delete(PATH))
    assert db.read(PATH) == MEMORY
    assert_allowed(db.as_user(ALICE).delete(PATH))
    assert db.read(PATH) is None
