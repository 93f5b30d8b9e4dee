"""Rules for users/{uid} and its server-written sessions and stats subcollections."""

from __future__ import annotations

import pytest

from .client import Emulator, assert_allowed, assert_denied, request_time_like
from .factories import ALICE, BOB, LONG_AGO, T0, Actor, Expect, actor, check, profile

pytestmark = pytest.mark.emulators

USER = f"users/{ALICE}"


@pytest.fixture(autouse=True)
def _profiles(db: Emulator) -> None:
    db.seed(USER, profile(ALICE))
    db.seed(f"users/{BOB}", profile(BOB))


# ------------------------------------------------------------------------- read


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "allow"), ("other", "deny"), ("anonymous", "deny"), ("admin", "allow")],
)
def test_get_profile(db: Emulator, who: Actor, expected: Expect) -> None:
    """Owner and admin read a profile; nobody else does."""
    check(actor(db, who).get(USER), expected)


@pytest.mark.parametrize(("who", "expected"), [("owner", "deny"), ("admin", "allow")])
def test_list_profiles(db: Emulator, who: Actor, expected: Expect) -> None:
    """Only admins may query the users collection."""
    check(actor(db, who).query("users"), expected)


# ------------------------------------------------------------- create / delete


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_nobody_creates_profile_client_side(db: Emulator, who: Actor) -> None:
    """Profiles are created by the sign-in trigger only."""
    client = db.as_user("carol") if who == "owner" else db.as_admin()
    path = "users/carol"
    assert_denied(client.create(path, {"displayName": "Carol"}, server_time_fields=["updatedAt"]))
    assert db.read(path) is None


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_nobody_deletes_profile_client_side(db: Emulator, who: Actor) -> None:
    """Account deletion goes through the deletion job, not a client delete."""
    assert_denied(actor(db, who).delete(USER))
    assert db.read(USER) is not None


def test_owner_cannot_overwrite_profile_with_set(db: Emulator) -> None:
    """A full-document set that drops server fields is an update that fails validation."""
    outcome = db.as_user(ALICE).set(USER, {"displayName": "Alice", "updatedAt": T0})
    assert_denied(outcome)


# ------------------------------------------------------------------------ update

ALLOWED_UPDATES: dict[str, dict[str, object]] = {
    "displayName": {"displayName": "Alice B."},
    "displayName-80": {"displayName": "a" * 80},
    "displayName-unicode": {"displayName": "Алиса 🌸"},
    "avatarUrl": {"avatarUrl": "https://cdn.example.com/a.png"},
    "avatarUrl-2048": {"avatarUrl": "https://" + "a" * 2040},
    "avatarUrl-null": {"avatarUrl": None},
    "all-fields": {
        "displayName": "Al",
        "avatarUrl": "https://x.example/a.png",
        "consent": {"analytics": False, "personalization": True},
    },
}


@pytest.mark.parametrize("changes", list(ALLOWED_UPDATES.values()), ids=list(ALLOWED_UPDATES))
def test_owner_updates_allowed_fields(db: Emulator, changes: dict[str, object]) -> None:
    """displayName / avatarUrl / consent with updatedAt == request.time are writable."""
    server_time = ["updatedAt"]
    if "consent" in changes:
        server_time.append("consent.updatedAt")
    assert_allowed(db.as_user(ALICE).update(USER, changes, server_time_fields=server_time))
    stored = db.read(USER)
    assert stored is not None
    for key, value in changes.items():
        if key == "consent":
            consent = stored["consent"]
            assert isinstance(consent, dict)
            assert {k: consent[k] for k in ("analytics", "personalization")} == value
            assert request_time_like(consent["updatedAt"])
        else:
            assert stored[key] == value
    assert request_time_like(stored["updatedAt"])


DENIED_UPDATES: dict[str, dict[str, object]] = {
    "displayName-empty": {"displayName": ""},
    "displayName-81": {"displayName": "a" * 81},
    "displayName-not-string": {"displayName": 42},
    "avatarUrl-http": {"avatarUrl": "http://cdn.example.com/a.png"},
    "avatarUrl-javascript": {"avatarUrl": "javascript:alert(1)"},
    "avatarUrl-2049": {"avatarUrl": "https://" + "a" * 2041},
    "role": {"role": "admin"},
    "isActive": {"isActive": False},
    "email": {"email": "mallory@example.com"},
    "lastLoginAt": {"lastLoginAt": LONG_AGO},
    "createdAt": {"createdAt": T0},
    "deletion": {"deletion": {"state": "CANCELLED"}},
    "unknown-field": {"bio": "hi"},
}


@pytest.mark.parametrize("changes", list(DENIED_UPDATES.values()), ids=list(DENIED_UPDATES))
def test_owner_cannot_update_invalid_or_protected_fields(
    db: Emulator, changes: dict[str, object]
) -> None:
    """Bad values and server-owned fields (role, isActive, email, ...) are rejected."""
    assert_denied(db.as_user(ALICE).update(USER, changes, server_time_fields=["updatedAt"]))
    assert db.read(USER) == profile(ALICE)


CONSENT_DENIED: dict[str, tuple[dict[str, object], list[str]]] = {
    "no-server-updatedAt": ({"analytics": True, "personalization": True}, []),
    "client-updatedAt": ({"analytics": True, "personalization": True, "updatedAt": T0}, []),
    "extra-key": ({"analytics": True, "personalization": True, "ads": True}, ["consent.updatedAt"]),
    "missing-key": ({"analytics": True}, ["consent.updatedAt"]),
    "not-bool": ({"analytics": "yes", "personalization": True}, ["consent.updatedAt"]),
}


@pytest.mark.parametrize(
    ("consent", "consent_time"), list(CONSENT_DENIED.values()), ids=list(CONSENT_DENIED)
)
def test_owner_cannot_write_malformed_consent(
    db: Emulator, consent: dict[str, object], consent_time: list[str]
) -> None:
    """Consent must be exactly {analytics: bool, personalization: bool, updatedAt: now}."""
    outcome = db.as_user(ALICE).update(
        USER, {"consent": consent}, server_time_fields=["updatedAt", *consent_time]
    )
    assert_denied(outcome)


@pytest.mark.parametrize("stamp", ["missing", "client-clock"])
def test_update_requires_server_updated_at(db: Emulator, stamp: str) -> None:
    """updatedAt must be the request time; omitting it or sending a client clock fails."""
    changes: dict[str, object] = {"displayName": "Alice B."}
    if stamp == "client-clock":
        changes["updatedAt"] = T0
    assert_denied(db.as_user(ALICE).update(USER, changes))


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_updates_profile(db: Emulator, who: Actor) -> None:
    """Other users, anonymous clients and even admins cannot edit a profile client-side."""
    outcome = actor(db, who).update(
        USER, {"displayName": "Hacked"}, server_time_fields=["updatedAt"]
    )
    assert_denied(outcome)
    assert db.read(USER) == profile(ALICE)


def test_update_of_missing_profile_is_a_denied_create(db: Emulator) -> None:
    """An upsert (no precondition) on a missing profile is evaluated as a create."""
    outcome = db.as_user("carol").merge(
        "users/carol", {"displayName": "Carol"}, server_time_fields=["updatedAt"]
    )
    assert_denied(outcome)
    assert db.read("users/carol") is None


# ---------------------------------------------------------- sessions and stats

SESSION = f"{USER}/sessions/s1"
STATS = f"{USER}/stats/2025-01-01"


@pytest.mark.parametrize(
    ("path", "who", "expected"),
    [
        pytest.param(SESSION, "owner", "allow", id="sessions-owner"),
        pytest.param(SESSION, "other", "deny", id="sessions-other"),
        pytest.param(SESSION, "anonymous", "deny", id="sessions-anonymous"),
        pytest.param(SESSION, "admin", "deny", id="sessions-admin"),
        pytest.param(STATS, "owner", "allow", id="stats-owner"),
        pytest.param(STATS, "other", "deny", id="stats-other"),
        pytest.param(STATS, "admin", "allow", id="stats-admin"),
    ],
)
def test_read_server_subcollections(db: Emulator, path: str, who: Actor, expected: Expect) -> None:
    """Sessions are owner-readable; stats are owner- and admin-readable."""
    db.seed(path, {"createdAt": T0, "lastSeenAt": T0, "expiresAt": T0, "userAgent": "ua"})
    check(actor(db, who).get(path), expected)


@pytest.mark.parametrize("collection", ["sessions", "stats"])
def test_owner_lists_own_server_subcollection(db: Emulator, collection: str) -> None:
    """Owners can query their own sessions and stats."""
    db.seed(f"{USER}/{collection}/a", {"n": 1})
    db.seed(f"{USER}/{collection}/b", {"n": 2})
    assert_allowed(db.as_user(ALICE).query(f"{USER}/{collection}"))
    assert_denied(db.as_user(BOB).query(f"{USER}/{collection}"))


@pytest.mark.parametrize("path", [SESSION, STATS], ids=["sessions", "stats"])
@pytest.mark.parametrize("op", ["create", "update", "delete"])
def test_no_client_writes_to_server_subcollections(db: Emulator, path: str, op: str) -> None:
    """Sessions and stats are written by the server only."""
    db.seed(f"{USER}/sessions/existing", {"userAgent": "ua"})
    db.seed(f"{USER}/stats/existing", {"turns": 1})
    owner = db.as_user(ALICE)
    existing = path.rsplit("/", 1)[0] + "/existing"
    if op == "create":
        outcome = owner.create(path, {"userAgent": "x"})
    elif op == "update":
        outcome = owner.update(existing, {"userAgent": "x"})
    else:
        outcome = owner.delete(existing)
    assert_denied(outcome)
    assert db.read(existing) is not None


def test_unknown_user_subcollection_denied(db: Emulator) -> None:
    """Subcollections not in the contract are closed, even to the owner."""
    db.seed(f"{USER}/scratch/n1", {"text": "x"})
    assert_denied(db.as_user(ALICE).get(f"{USER}/scratch/n1"))
    assert_denied(db.as_user(ALICE).create(f"{USER}/scratch/n2", {"text": "x"}))


def test_seeded_profile_round_trips(db: Emulator) -> None:
    """Sanity check of the seeding helper used by every test."""
    stored = db.read(USER)
    assert stored is not None
    assert stored["createdAt"] == LONG_AGO
    assert stored["consent"] == profile(ALICE)["consent"]
