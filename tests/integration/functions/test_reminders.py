"""Reminders fire on the emulators: each due reminder exactly once, however runs overlap, as a
notification document and an FCM message (to the fake FCM server, through the real SDK)."""

from __future__ import annotations

import concurrent.futures
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from auraos_functions.config import settings
from auraos_functions.repositories import reminders
from shared import paths
from shared.models.base import utc_now
from tests.fakes.fcm_server import FakeFCMServer
from tools.emulator_auth import SignedInUser
from tools.local_scheduler import Job, _load_functions, discover, fire

from ..helpers import call_function, wait_for

TOKEN = "fcm-token-of-alices-browser:APA91b-test"


@pytest.fixture
def fcm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFCMServer]:
    """The fake FCM server, and this process's functions pointed at it."""
    with FakeFCMServer() as server:
        monkeypatch.setenv("AURAOS_FCM_EMULATOR_HOST", server.host)
        settings.cache_clear()
        yield server
    settings.cache_clear()


@pytest.fixture(scope="module")
def fire_reminders() -> Job:
    """The scheduled function as the local scheduler finds it (the SDK's own wrapper)."""
    jobs = {job.name: job for job in discover(_load_functions())}
    return jobs["fire_reminders"]


def _run(job: Job, *, times: int = 1) -> None:
    """Run the scheduled function `times` times at once, as overlapping schedules would."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=times) as pool:
        answers = list(pool.map(lambda _: fire(job, now=utc_now()), range(times)))
    assert all(answers), "a run of fire_reminders failed"


def _reminder(db: firestore.Client, uid: str, rid: str, *, due: datetime, **extra: Any) -> str:
    db.document(paths.reminder(uid, rid)).set(
        {
            "text": f"water the plants ({rid})",
            "dueAt": due,
            "timeZone": "Europe/Lisbon",
            "status": "scheduled",
            "createdAt": utc_now() - timedelta(hours=1),
            **extra,
        }
    )
    return rid


def _doc(db: firestore.Client, path: str) -> dict[str, Any] | None:
    return db.document(path).get().to_dict()


def _notifications(db: firestore.Client, uid: str) -> dict[str, dict[str, Any]]:
    collection = db.collection(f"{paths.user(uid)}/{paths.NOTIFICATIONS}")
    return {doc.id: doc.to_dict() or {} for doc in collection.stream()}


def _register(user: SignedInUser, token: str = TOKEN) -> None:
    response = call_function("registerDevice", {"token": token}, id_token=user.id_token)
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("background_sweeps_paused")
def test_due_reminders_fire_exactly_once_when_two_runs_overlap(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user)
    due = utc_now() - timedelta(seconds=5)
    ids = [_reminder(db, user.uid, f"r{i}", due=due - timedelta(seconds=i)) for i in range(5)]

    _run(fire_reminders, times=2)

    for rid in ids:
        reminder = _doc(db, paths.reminder(user.uid, rid)) or {}
        assert reminder["status"] == "fired"
        assert reminder["firedAt"] >= due
    notifications = _notifications(db, user.uid)
    assert set(notifications) == {f"reminder-{rid}" for rid in ids}
    first = notifications["reminder-r0"]
    assert {k: first[k] for k in ("kind", "title", "body", "ref")} == {
        "kind": "reminder",
        "title": "Reminder",
        "body": "water the plants (r0)",
        "ref": paths.reminder(user.uid, "r0"),
    }
    assert first.get("readAt") is None
    assert sorted(sent.message["data"]["notificationId"] for sent in fcm.sent) == sorted(
        f"reminder-{rid}" for rid in ids
    )
    assert {sent.token for sent in fcm.sent} == {TOKEN}
    assert fcm.sent[0].message["notification"]["title"] == "Reminder"


@pytest.mark.usefixtures("background_sweeps_paused")
def test_one_firing_wins_however_many_race_on_a_reminder(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """The transaction on the status alone: eight firings of one reminder at once."""
    user = new_user()
    _reminder(db, user.uid, "contended", due=utc_now() - timedelta(seconds=1))
    now = utc_now()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda _: reminders.fire_reminder(
                    db=db, uid=user.uid, reminder_id="contended", now=now
                ),
                range(8),
            )
        )

    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert winners[0].notification_id == "reminder-contended"
    assert set(_notifications(db, user.uid)) == {"reminder-contended"}


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_later_run_fires_nothing_again(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user)
    _reminder(db, user.uid, "once", due=utc_now() - timedelta(seconds=1))
    _run(fire_reminders)
    fired = _doc(db, paths.reminder(user.uid, "once"))
    notified = _notifications(db, user.uid)

    _run(fire_reminders, times=2)

    assert _doc(db, paths.reminder(user.uid, "once")) == fired
    assert _notifications(db, user.uid) == notified
    assert len(fcm.sent) == 1


@pytest.mark.usefixtures("background_sweeps_paused")
def test_not_yet_due_cancelled_and_done_reminders_do_not_fire(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user)
    now = utc_now()
    _reminder(db, user.uid, "later", due=now + timedelta(minutes=10))
    _reminder(db, user.uid, "cancelled", due=now - timedelta(minutes=1), status="cancelled")
    _reminder(db, user.uid, "done", due=now - timedelta(minutes=1), status="done")
    before = {
        rid: _doc(db, paths.reminder(user.uid, rid)) for rid in ("later", "cancelled", "done")
    }

    _run(fire_reminders)

    assert {rid: _doc(db, paths.reminder(user.uid, rid)) for rid in before} == before
    assert _notifications(db, user.uid) == {}
    assert fcm.sent == []


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_reminder_cancelled_from_the_panel_never_fires(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    due = (utc_now() + timedelta(seconds=2)).isoformat()
    created = call_function(
        "createReminder", {"text": "call mum", "dueAt": due}, id_token=user.id_token
    )
    assert created.status_code == 200, created.text
    rid = created.json()["result"]["id"]
    cancelled = call_function("cancelReminder", {"reminderId": rid}, id_token=user.id_token)
    assert cancelled.status_code == 200, cancelled.text
    wait_for(lambda: utc_now() > datetime.fromisoformat(due), timeout_s=5, what="the due time")

    _run(fire_reminders)

    assert (_doc(db, paths.reminder(user.uid, rid)) or {})["status"] == "cancelled"
    assert _notifications(db, user.uid) == {}


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_token_fcm_says_is_unregistered_is_forgotten(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user, "token-of-an-uninstalled-app")
    _register(user, TOKEN)
    fcm.unregister("token-of-an-uninstalled-app")
    _reminder(db, user.uid, "r1", due=utc_now() - timedelta(seconds=1))

    _run(fire_reminders)

    devices = db.collection(f"{paths.user(user.uid)}/{paths.DEVICES}").stream()
    assert [doc.to_dict()["token"] for doc in devices] == [TOKEN]  # type: ignore[index]
    assert sorted(str(sent.token) for sent in fcm.sent) == sorted(
        ["token-of-an-uninstalled-app", TOKEN]
    )


@pytest.mark.usefixtures("background_sweeps_paused")
def test_an_fcm_outage_neither_unfires_nor_refires_a_reminder(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user)
    _reminder(db, user.uid, "r1", due=utc_now() - timedelta(seconds=1))
    fcm.fail_with(403)

    _run(fire_reminders)
    fcm.fail_with(None)
    _run(fire_reminders)

    assert (_doc(db, paths.reminder(user.uid, "r1")) or {})["status"] == "fired"
    assert set(_notifications(db, user.uid)) == {"reminder-r1"}
    assert [sent.answered for sent in fcm.sent] == [403]  # tried once, never again
    device_id = hashlib.sha256(TOKEN.encode()).hexdigest()[:32]
    assert _doc(db, paths.device(user.uid, device_id)) is not None  # not "unregistered"


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_reminder_of_an_account_being_deleted_is_left_to_the_deletion(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fcm: FakeFCMServer,
    fire_reminders: Job,
) -> None:
    user = new_user()
    _register(user)
    _reminder(db, user.uid, "r1", due=utc_now() - timedelta(seconds=1))
    db.document(paths.user(user.uid)).update({"deletion": "PENDING"})

    _run(fire_reminders)

    assert (_doc(db, paths.reminder(user.uid, "r1")) or {})["status"] == "scheduled"
    assert _notifications(db, user.uid) == {}
    assert fcm.sent == []


def test_the_local_scheduler_fires_a_due_reminder_on_its_own(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """No run by hand: on the local stack, as Cloud Scheduler in production, fire_reminders
    runs every minute, so a due reminder's notification appears within 90 s."""
    user = new_user()
    _reminder(db, user.uid, "r1", due=utc_now())

    wait_for(
        lambda: _notifications(db, user.uid).get("reminder-r1"),
        timeout_s=90,
        interval_s=1,
        what="the local scheduler to fire the reminder",
    )
    assert (_doc(db, paths.reminder(user.uid, "r1")) or {})["status"] == "fired"
