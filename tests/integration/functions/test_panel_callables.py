"""The PWA panels' callables on the emulators: each does its one thing to the caller's own data,
refuses bad input with INVALID_ARGUMENT and a wrong state with FAILED_PRECONDITION (writing
nothing), and answers NOT_FOUND for another user's ids (leaving their data alone)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser

from ..helpers import call_function


def _ok(name: str, data: Any, user: SignedInUser) -> dict[str, Any]:
    response = call_function(name, data, id_token=user.id_token)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def _refused(name: str, data: Any, user: SignedInUser) -> tuple[str, str]:
    response = call_function(name, data, id_token=user.id_token)
    assert response.status_code != 200, response.text
    error = response.json()["error"]
    return str(error["status"]), str(error["message"])


def _tree(db: firestore.Client, uid: str) -> dict[str, dict[str, Any]]:
    """Every document of the user's assistant collections, by path."""
    found: dict[str, dict[str, Any]] = {}
    for collection in paths.ASSISTANT_COLLECTIONS:
        for doc in db.collection(f"{paths.user(uid)}/{collection}").stream():
            found[doc.reference.path] = doc.to_dict() or {}
    return found


def _in(seconds: float) -> str:
    return (utc_now() + timedelta(seconds=seconds)).isoformat()


# A due time a month from now, as the PWA's Date.toISOString() writes it (whole seconds here).
DUE = (utc_now() + timedelta(days=30)).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------- tasks


def test_a_task_is_added_completed_reopened_and_deleted(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    added = _ok("addTask", {"text": "  Milk ", "list": "Shopping"}, user)
    path = paths.task(user.uid, added["id"])
    assert (added["text"], added["list"], added["done"]) == ("Milk", "shopping", False)
    assert db.document(path).get().to_dict() == {
        "text": "Milk",
        "list": "shopping",
        "done": False,
        "createdAt": datetime.fromisoformat(added["createdAt"]),
    }

    done = _ok("completeTask", {"taskId": added["id"]}, user)
    stored = db.document(path).get().to_dict() or {}
    assert done["done"] is True
    assert stored["done"] is True
    assert stored["doneAt"] >= stored["createdAt"]
    assert (
        _ok("completeTask", {"taskId": added["id"], "done": True}, user)["doneAt"]
        == (done["doneAt"])
    )

    reopened = _ok("completeTask", {"taskId": added["id"], "done": False}, user)
    assert reopened["done"] is False
    assert "doneAt" not in reopened
    assert (db.document(path).get().to_dict() or {})["doneAt"] is None

    assert _ok("deleteTask", {"taskId": added["id"]}, user) == {"id": added["id"], "deleted": True}
    assert not db.document(path).get().exists
    assert _refused("deleteTask", {"taskId": added["id"]}, user)[0] == "NOT_FOUND"


def test_a_task_goes_to_the_todo_list_unless_named(new_user: Callable[..., SignedInUser]) -> None:
    assert _ok("addTask", {"text": "call the bank"}, new_user())["list"] == "todo"


# ------------------------------------------------------------------------------ reminders


def test_a_reminder_is_created_in_the_callers_time_zone_and_cancelled_once(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _ok("updateProfile", {"timeZone": "Europe/Lisbon"}, user)

    created = _ok("createReminder", {"text": "water the plants", "dueAt": DUE}, user)
    stored = db.document(paths.reminder(user.uid, created["id"])).get().to_dict() or {}
    assert created["dueAt"] == DUE
    assert created["status"] == "scheduled"
    assert stored["dueAt"] == datetime.fromisoformat(DUE)
    assert (stored["timeZone"], stored["status"], stored["text"]) == (
        "Europe/Lisbon",
        "scheduled",
        "water the plants",
    )

    cancelled = _ok("cancelReminder", {"reminderId": created["id"]}, user)
    assert cancelled["status"] == "cancelled"
    before = _tree(db, user.uid)
    status, message = _refused("cancelReminder", {"reminderId": created["id"]}, user)
    assert status == "FAILED_PRECONDITION"
    assert "cancelled" in message
    assert _tree(db, user.uid) == before


def test_a_fired_reminder_can_be_cancelled_a_done_one_cannot(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    for rid, status in (("fired", "fired"), ("done", "done")):
        db.document(paths.reminder(user.uid, rid)).set(
            {"text": "x", "dueAt": utc_now(), "status": status, "createdAt": utc_now()}
        )

    assert _ok("cancelReminder", {"reminderId": "fired"}, user)["status"] == "cancelled"
    assert _refused("cancelReminder", {"reminderId": "done"}, user)[0] == "FAILED_PRECONDITION"
    assert (db.document(paths.reminder(user.uid, "done")).get().to_dict() or {})["status"] == (
        "done"
    )


@pytest.mark.parametrize(
    "due_at",
    [DUE.removesuffix("Z"), "at 6pm", "tomorrow", 4_000_000_000, None, "2001-01-01T00:00:00Z"],
    ids=["naive", "words", "word", "number", "null", "past"],
)
def test_a_reminder_needs_an_exact_time_from_now_on(
    db: firestore.Client, new_user: Callable[..., SignedInUser], due_at: Any
) -> None:
    user = new_user()

    status, message = _refused("createReminder", {"text": "x", "dueAt": due_at}, user)

    assert status == "INVALID_ARGUMENT"
    assert "dueAt" in message
    assert _tree(db, user.uid) == {}


def test_a_reminder_a_moment_ago_is_accepted_and_due_at_once(
    new_user: Callable[..., SignedInUser],
) -> None:
    """The sending device's clock may be a little behind: it fires at the next run."""
    assert _ok("createReminder", {"text": "now", "dueAt": _in(-20)}, new_user())["status"] == (
        "scheduled"
    )


# ---------------------------------------------------------------------------------- notes


def test_a_note_is_added_and_deleted(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    note = _ok("addNote", {"text": "door code 1234"}, user)
    stored = db.document(paths.note(user.uid, note["id"])).get().to_dict() or {}
    assert stored["text"] == "door code 1234"
    assert stored["createdAt"] == stored["updatedAt"]

    _ok("deleteNote", {"noteId": note["id"]}, user)
    assert not db.document(paths.note(user.uid, note["id"])).get().exists
    assert _refused("deleteNote", {"noteId": note["id"]}, user)[0] == "NOT_FOUND"


# -------------------------------------------------------------------------- notifications


def _notification(db: firestore.Client, uid: str, nid: str, **extra: Any) -> str:
    db.document(paths.notification(uid, nid)).set(
        {"kind": "reminder", "title": "Reminder", "body": "x", "createdAt": utc_now(), **extra}
    )
    return nid


def test_notifications_are_marked_read_once(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    earlier = utc_now() - timedelta(hours=1)
    ids = [_notification(db, user.uid, f"n{i}") for i in range(3)]
    _notification(db, user.uid, "seen", readAt=earlier)

    assert _ok("markNotificationsRead", {"ids": [*ids, "seen", "n0"]}, user) == {"marked": 3}

    for nid in ids:
        assert (db.document(paths.notification(user.uid, nid)).get().to_dict() or {})["readAt"]
    seen = db.document(paths.notification(user.uid, "seen")).get().to_dict() or {}
    assert seen["readAt"] == earlier
    assert _ok("markNotificationsRead", {"ids": ids}, user) == {"marked": 0}


def test_marking_an_unknown_notification_read_marks_none(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _notification(db, user.uid, "n1")
    before = _tree(db, user.uid)

    status, _message = _refused("markNotificationsRead", {"ids": ["n1", "nope"]}, user)

    assert status == "NOT_FOUND"
    assert _tree(db, user.uid) == before


# -------------------------------------------------------------------------------- devices


def test_a_device_is_registered_under_a_hash_of_its_token_and_unregistered(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    token = "dGVzdA:APA91bH-browser_token.1"
    device_id = hashlib.sha256(token.encode()).hexdigest()[:32]

    assert _ok("registerDevice", {"token": token, "userAgent": "Firefox"}, user) == {
        "deviceId": device_id
    }
    first = db.document(paths.device(user.uid, device_id)).get().to_dict() or {}
    assert (first["token"], first["userAgent"]) == (token, "Firefox")
    _ok("registerDevice", {"token": token}, user)
    again = db.document(paths.device(user.uid, device_id)).get().to_dict() or {}
    assert again["createdAt"] == first["createdAt"]
    assert again["lastSeenAt"] >= first["lastSeenAt"]

    assert _ok("unregisterDevice", {"token": token}, user) == {"removed": True}
    assert not db.document(paths.device(user.uid, device_id)).get().exists
    assert _ok("unregisterDevice", {"token": token}, user) == {"removed": False}


# ------------------------------------------------------------------------ profile timeZone


def test_the_profile_time_zone_is_set_and_returned(new_user: Callable[..., SignedInUser]) -> None:
    user = new_user()
    assert _ok("getProfile", {}, user)["timeZone"] == "UTC"

    assert _ok("updateProfile", {"timeZone": "Asia/Tokyo"}, user)["timeZone"] == "Asia/Tokyo"
    assert _ok("getProfile", {}, user)["timeZone"] == "Asia/Tokyo"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", None, 3, "Europe/../Lisbon"])
def test_a_time_zone_that_is_no_iana_zone_is_refused(
    db: firestore.Client, new_user: Callable[..., SignedInUser], zone: Any
) -> None:
    user = new_user()
    before = db.document(paths.user(user.uid)).get().to_dict()

    status, message = _refused("updateProfile", {"timeZone": zone}, user)

    assert status == "INVALID_ARGUMENT"
    assert "timeZone" in message
    assert db.document(paths.user(user.uid)).get().to_dict() == before


# --------------------------------------------------------------- bad input, others' data

BAD_INPUT: list[tuple[str, Any]] = [
    ("addTask", {}),
    ("addTask", {"text": ""}),
    ("addTask", {"text": "x" * 501}),
    ("addTask", {"text": "milk", "list": "x" * 41}),
    ("addTask", {"text": "milk", "uid": "someone-else"}),
    ("completeTask", {"taskId": "__x__"}),
    ("completeTask", {"taskId": "t1", "done": "yes"}),
    ("deleteTask", {"taskId": "a/b"}),
    ("createReminder", {"dueAt": DUE}),
    ("createReminder", {"text": "x", "dueAt": "2999-06-01T18:00Z"}),
    ("cancelReminder", {}),
    ("addNote", {"text": "x" * 4001}),
    ("addNote", [1, 2]),
    ("deleteNote", {"noteId": ""}),
    ("markNotificationsRead", {"ids": []}),
    ("markNotificationsRead", {"ids": ["n"] * 51}),
    ("markNotificationsRead", {"ids": "n1"}),
    ("registerDevice", {"token": "has spaces"}),
    ("registerDevice", {"token": "x" * 4097}),
    ("unregisterDevice", {}),
]


@pytest.mark.parametrize(
    ("name", "data"), BAD_INPUT, ids=[f"{n}-{i}" for i, (n, _d) in enumerate(BAD_INPUT)]
)
def test_bad_input_is_invalid_argument_and_changes_nothing(
    db: firestore.Client, new_user: Callable[..., SignedInUser], name: str, data: Any
) -> None:
    user = new_user()
    task = _ok("addTask", {"text": "keep me"}, user)["id"]
    before = _tree(db, user.uid)

    status, _message = _refused(name, data, user)

    assert status == "INVALID_ARGUMENT"
    assert _tree(db, user.uid) == before
    assert db.document(paths.task(user.uid, task)).get().exists


def test_another_users_ids_are_not_found_and_their_data_is_untouched(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    alice, mallory = new_user(), new_user()
    task = _ok("addTask", {"text": "alice's task"}, alice)["id"]
    note = _ok("addNote", {"text": "alice's note"}, alice)["id"]
    reminder = _ok("createReminder", {"text": "alice's", "dueAt": DUE}, alice)["id"]
    notification = _notification(db, alice.uid, "alices-notification")
    before = _tree(db, alice.uid)

    attempts = [
        ("completeTask", {"taskId": task}),
        ("deleteTask", {"taskId": task}),
        ("deleteNote", {"noteId": note}),
        ("cancelReminder", {"reminderId": reminder}),
        ("markNotificationsRead", {"ids": [notification]}),
    ]
    for name, data in attempts:
        assert _refused(name, data, mallory)[0] == "NOT_FOUND", name

    assert _tree(db, alice.uid) == before
    assert _tree(db, mallory.uid) == {}
