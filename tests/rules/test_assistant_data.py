"""Rules for what Aura keeps and acts on: reminders, tasks, notes, events, notifications and
devices under users/{uid} (the owner reads, nobody writes from a client), and the profile's
`timeZone` (the owner's validated write, like displayName)."""

from __future__ import annotations

import pytest

from .client import Emulator, assert_allowed, assert_denied, request_time_like
from .factories import ALICE, BOB, T0, Actor, Expect, actor, check, profile

pytestmark = pytest.mark.emulators

USER = f"users/{ALICE}"
DOCUMENTS: dict[str, dict[str, object]] = {
    "reminders": {
        "text": "water the plants",
        "dueAt": T0,
        "timeZone": "Europe/Lisbon",
        "status": "scheduled",
        "createdAt": T0,
    },
    "tasks": {"text": "milk", "list": "shopping", "done": False, "createdAt": T0},
    "notes": {"text": "door code 1234", "createdAt": T0, "updatedAt": T0},
    "events": {"title": "Dentist", "startAt": T0, "endAt": T0, "timeZone": "UTC"},
    "notifications": {
        "kind": "reminder",
        "title": "Reminder",
        "body": "water the plants",
        "createdAt": T0,
        "ref": f"{USER}/reminders/r1",
    },
    "devices": {"token": "tok-1", "createdAt": T0, "lastSeenAt": T0},
}
COLLECTIONS = list(DOCUMENTS)


def _path(collection: str, uid: str = ALICE) -> str:
    return f"users/{uid}/{collection}/item-1"


@pytest.fixture(autouse=True)
def _seeded(db: Emulator) -> None:
    db.seed(USER, profile(ALICE))
    db.seed(f"users/{BOB}", profile(BOB))
    for collection, data in DOCUMENTS.items():
        db.seed(_path(collection), data)


# ------------------------------------------------------------------------- read


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "allow"), ("other", "deny"), ("anonymous", "deny"), ("admin", "deny")],
)
def test_only_the_owner_reads_an_item(
    db: Emulator, collection: str, who: Actor, expected: Expect
) -> None:
    """The panels' listeners read the owner's items; nobody else does, admins included."""
    check(actor(db, who).get(_path(collection)), expected)


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize(("who", "expected"), [("owner", "allow"), ("other", "deny")])
def test_only_the_owner_lists_a_collection(
    db: Emulator, collection: str, who: Actor, expected: Expect
) -> None:
    check(actor(db, who).query(f"{USER}/{collection}"), expected)


# ------------------------------------------------------------------------ write


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("who", ["owner", "other", "admin", "anonymous"])
def test_no_client_creates_an_item(db: Emulator, collection: str, who: Actor) -> None:
    """Items are made by the assistant's tools and the panels' callables (Admin SDK) only."""
    path = f"{USER}/{collection}/item-2"
    assert_denied(actor(db, who).create(path, DOCUMENTS[collection]))
    assert db.read(path) is None


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("who", ["owner", "other", "admin"])
def test_no_client_changes_or_deletes_an_item(db: Emulator, collection: str, who: Actor) -> None:
    """The owner cannot fire, complete or mark read by a write either: the callables do it."""
    path = _path(collection)
    client = actor(db, who)
    change = {"status": "fired"} if collection == "reminders" else {"createdAt": None}
    assert_denied(client.update(path, change))
    assert_denied(client.set(path, {**DOCUMENTS[collection], "extra": 1}))
    assert_denied(client.delete(path))
    assert db.read(path) == DOCUMENTS[collection]


def test_the_owner_cannot_put_an_item_into_another_users_tree(db: Emulator) -> None:
    path = f"users/{BOB}/reminders/planted"
    assert_denied(db.as_user(ALICE).create(path, DOCUMENTS["reminders"]))
    assert db.read(path) is None


# ------------------------------------------------------------- profile timeZone

ACCEPTED_ZONES = ["Europe/Lisbon", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC", "a" * 64]


@pytest.mark.parametrize("zone", ACCEPTED_ZONES)
def test_the_owner_sets_an_iana_shaped_time_zone(db: Emulator, zone: str) -> None:
    """As the PWA sends Intl.DateTimeFormat().resolvedOptions().timeZone (with updatedAt)."""
    outcome = db.as_user(ALICE).update(USER, {"timeZone": zone}, server_time_fields=["updatedAt"])

    assert_allowed(outcome)
    stored = db.read(USER)
    assert stored is not None
    assert stored["timeZone"] == zone
    assert request_time_like(stored["updatedAt"])


def test_the_time_zone_goes_with_the_other_profile_fields(db: Emulator) -> None:
    changes = {"displayName": "Alice B.", "timeZone": "Asia/Tokyo"}
    assert_allowed(db.as_user(ALICE).update(USER, changes, server_time_fields=["updatedAt"]))


REFUSED_ZONES: dict[str, object] = {
    "empty": "",
    "too-long": "a" * 65,
    "space": "Europe/ Lisbon",
    "dot-dot": "../etc/passwd",
    "not-string": 42,
    "null": None,
    "map": {"name": "UTC"},
    "newline": "UTC\n",
}


@pytest.mark.parametrize("zone", list(REFUSED_ZONES.values()), ids=list(REFUSED_ZONES))
def test_a_time_zone_that_is_not_iana_shaped_is_refused(db: Emulator, zone: object) -> None:
    outcome = db.as_user(ALICE).update(USER, {"timeZone": zone}, server_time_fields=["updatedAt"])

    assert_denied(outcome)
    assert db.read(USER) == profile(ALICE)


def test_a_time_zone_write_needs_the_server_time(db: Emulator) -> None:
    assert_denied(db.as_user(ALICE).update(USER, {"timeZone": "UTC", "updatedAt": T0}))
    assert_denied(db.as_user(ALICE).update(USER, {"timeZone": "UTC"}))


@pytest.mark.parametrize("who", ["other", "admin", "anonymous"])
def test_only_the_owner_sets_the_time_zone(db: Emulator, who: Actor) -> None:
    outcome = actor(db, who).update(USER, {"timeZone": "UTC"}, server_time_fields=["updatedAt"])
    assert_denied(outcome)
    assert db.read(USER) == profile(ALICE)


def test_a_deactivated_owner_cannot_set_the_time_zone(db: Emulator) -> None:
    db.seed(USER, {**profile(ALICE), "isActive": False})
    outcome = db.as_user(ALICE).update(USER, {"timeZone": "UTC"}, server_time_fields=["updatedAt"])
    assert_denied(outcome)
