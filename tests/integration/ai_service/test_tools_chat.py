"""Aura acts, driven as the PWA drives it: the user sets a time zone through updateProfile, writes
turns through the rules and reads what the tools stored through its own listeners' reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function, wait_for
from .test_chat_flow import write_turn_and_watch

LISBON = "Europe/Lisbon"


def _user_in(new_user: Callable[..., SignedInUser], time_zone: str) -> SignedInUser:
    user = new_user()
    answer = call_function("updateProfile", {"timeZone": time_zone}, id_token=user.id_token)
    assert answer.status_code == 200, answer.text
    return user


def _items(db: firestore.Client, uid: str, collection: str) -> dict[str, dict[str, Any]]:
    return {
        snapshot.id: snapshot.to_dict() or {}
        for snapshot in db.collection(f"{paths.user(uid)}/{collection}").stream()
    }


def test_a_reminder_set_by_chat_is_stored_at_the_local_time_said(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _user_in(new_user, LISBON)
    asked_at = datetime.now(ZoneInfo(LISBON))

    turn = write_turn_and_watch(user, "c1", "t1", "Remind me to water the plants at 6pm").final

    assert turn["status"]["state"] == "COMPLETED", turn
    call = turn["toolCalls"][0]
    assert (call["name"], call["status"]) == ("create_reminder", "ok")
    assert turn["usage"]["provider"] == "skills"  # no model was asked
    reminders = _items(db, user.uid, paths.REMINDERS)
    assert len(reminders) == 1
    reminder = next(iter(reminders.values()))
    due = reminder["dueAt"].astimezone(ZoneInfo(LISBON))
    expected_day = asked_at.date() + timedelta(days=1 if asked_at.hour >= 18 else 0)
    assert (due.date(), f"{due:%H:%M}") == (expected_day, "18:00")
    assert reminder["status"] == "scheduled"
    assert reminder["text"] == "water the plants"
    assert reminder["sourceTurn"] == paths.turn(user.uid, "c1", "t1")
    day = "tomorrow" if asked_at.hour >= 18 else "today"
    assert turn["response"] == f"Okay, I'll remind you to water the plants {day} at 18:00."


def test_a_redelivered_or_retried_turn_creates_one_reminder(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _user_in(new_user, "UTC")
    first = write_turn_and_watch(user, "c1", "t1", "Remind me to call mum tomorrow at 9am").final
    assert first["toolCalls"][0]["status"] == "ok"

    # The owner regenerates the turn: the same call of the same turn writes the same document.
    turn_ref = db.document(paths.turn(user.uid, "c1", "t1"))

    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(turn_ref.path).update({"status.state": "RETRY"})

    def retried() -> bool:
        status = (turn_ref.get().to_dict() or {}).get("status") or {}
        return bool(status.get("attempt", 0) >= 1 and status.get("state") == "COMPLETED")

    wait_for(retried, what="the retried turn to complete", timeout_s=120)

    assert len(_items(db, user.uid, paths.REMINDERS)) == 1


def test_lists_and_a_question_that_the_next_turn_answers(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _user_in(new_user, LISBON)

    added = write_turn_and_watch(user, "c1", "t1", "Add milk to my shopping list").final
    listed = write_turn_and_watch(user, "c1", "t2", "What's on my shopping list?").final
    asked = write_turn_and_watch(user, "c1", "t3", "Remind me tomorrow").final
    pending = (db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}).get(
        "pendingAction"
    )
    answered = write_turn_and_watch(user, "c1", "t4", "to call the plumber").final

    assert added["response"] == "Added milk to your shopping list."
    tasks = list(_items(db, user.uid, paths.TASKS).values())
    assert [(t["text"], t["list"], t["done"]) for t in tasks] == [("milk", "shopping", False)]
    assert listed["response"] == "Your shopping list: milk."
    assert listed["toolCalls"][0]["name"] == "list_tasks"
    assert asked["response"] == "What should I remind you about?"
    assert asked["toolCalls"][0]["status"] == "needs_input"
    assert pending is not None
    assert pending["tool"] == "create_reminder"
    assert answered["toolCalls"][0]["status"] == "ok"
    assert answered["response"] == "Okay, I'll remind you to call the plumber tomorrow at 09:00."
    assert [r["text"] for r in _items(db, user.uid, paths.REMINDERS).values()] == [
        "call the plumber"
    ]
    conversation = db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}
    assert "pendingAction" not in conversation


def test_a_destructive_action_waits_for_the_users_yes(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _user_in(new_user, "UTC")
    write_turn_and_watch(user, "c1", "t1", "Remind me to renew the passport tomorrow at 10am")

    asked = write_turn_and_watch(user, "c1", "t2", "Cancel the reminder to renew the passport")
    still = [r["status"] for r in _items(db, user.uid, paths.REMINDERS).values()]
    kept = write_turn_and_watch(user, "c1", "t3", "no").final
    write_turn_and_watch(user, "c1", "t4", "cancel my passport reminder")
    confirmed = write_turn_and_watch(user, "c1", "t5", "yes").final

    assert asked.final["toolCalls"][0]["status"] == "needs_confirmation"
    assert asked.final["response"].endswith("Say yes or no.")
    assert still == ["scheduled"]
    assert kept["response"] == "Okay, I'll keep it."
    assert confirmed["response"] == "Cancelled the reminder to renew the passport."
    assert [r["status"] for r in _items(db, user.uid, paths.REMINDERS).values()] == ["cancelled"]


def test_a_reminder_fires_once_into_a_notification_on_the_running_stack(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """The local scheduler fires `fire_reminders` every minute, as Cloud Scheduler would."""
    user = _user_in(new_user, LISBON)
    turn = write_turn_and_watch(user, "c1", "t1", "Remind me to stretch in 1 minute").final
    reminder_id = turn["toolCalls"][0]["result"]["reminderId"]
    due = datetime.fromisoformat(turn["toolCalls"][0]["args"]["dueAt"])

    notification = wait_for(
        lambda: next(iter(_items(db, user.uid, paths.NOTIFICATIONS).values()), None),
        what="the reminder's notification",
        timeout_s=180,
    )

    fired = db.document(paths.reminder(user.uid, reminder_id)).get().to_dict() or {}
    assert fired["status"] == "fired"
    assert fired["firedAt"] >= due
    # within 90 s of being due (the scheduler ticks every minute)
    assert notification["createdAt"] - due < timedelta(seconds=90)
    assert notification["body"] == "stretch"
    assert notification["ref"] == paths.reminder(user.uid, reminder_id)
    assert len(_items(db, user.uid, paths.NOTIFICATIONS)) == 1
    assert datetime.now(UTC) > due


def test_notes_are_found_by_their_words_and_by_their_meaning(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _user_in(new_user, "UTC")
    write_turn_and_watch(user, "c1", "t1", "Take a note: the car is parked on level 3")
    write_turn_and_watch(user, "c1", "t2", "Note that the wifi password is on the router")

    by_word = write_turn_and_watch(user, "c1", "t3", "Search my notes for wifi").final
    by_meaning = write_turn_and_watch(user, "c1", "t4", "Search my notes for parking").final
    nothing = write_turn_and_watch(user, "c1", "t5", "Search my notes for cake recipes").final

    notes = _items(db, user.uid, paths.NOTES)
    assert all("embedding" in note for note in notes.values())
    assert by_word["response"] == ("I found 1 note about wifi: the wifi password is on the router.")
    assert by_meaning["response"] == ("I found 1 note about parking: the car is parked on level 3.")
    assert nothing["response"] == "I found no notes about cake recipes."
