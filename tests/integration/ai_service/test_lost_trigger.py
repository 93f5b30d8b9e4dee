"""A turn whose created trigger never ran (an invocation that crashed or was dropped: created
triggers are not retried) is queued by the sweeper and answered, once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import requests
from google.cloud import firestore

from auraos_functions import domain
from auraos_functions.services import chat as functions_chat
from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import completed_turn


@contextmanager
def _triggers_dropped() -> Iterator[None]:
    """The Functions emulator drops every event it is sent meanwhile (the hub's switch for it),
    as production loses the event of an invocation that died."""
    hub = "http://" + os.environ.get("FIREBASE_EMULATOR_HUB", "127.0.0.1:4400")
    requests.put(f"{hub}/functions/disableBackgroundTriggers", timeout=60).raise_for_status()
    try:
        yield
    finally:
        requests.put(f"{hub}/functions/enableBackgroundTriggers", timeout=120).raise_for_status()


def _turn(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    return db.document(paths.turn(uid, "c1", turn_id)).get().to_dict() or {}


def _written_while_triggers_drop(
    db: firestore.Client, user: SignedInUser, turn_id: str, prompt: str
) -> None:
    """The user's write, through the rules as the PWA makes it, whose trigger is lost."""
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    with _triggers_dropped():
        as_user.document(paths.turn(user.uid, "c1", turn_id)).create(
            {"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP}
        )
        time.sleep(3)  # the emulator's event reaches the dropped trigger, not a re-enabled one
    assert "status" not in _turn(db, user.uid, turn_id), "the trigger ran: nothing was lost"


def _completed(db: firestore.Client, uid: str, turn_id: str, *, timeout_s: float) -> dict[str, Any]:
    return completed_turn(
        db, paths.turn(uid, "c1", turn_id), timeout_s=timeout_s, what="the lost turn to be answered"
    )


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_turn_whose_trigger_was_lost_is_queued_by_the_sweep_once(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _written_while_triggers_drop(db, user, "lost", "what is 6 * 7")
    sweep_at = utc_now() + domain.UNQUEUED_GRACE + timedelta(seconds=1)

    def sweep() -> functions_chat.SweepReport:
        return functions_chat.sweep_turns(
            db=db, now=sweep_at, max_attempts=3, stale_after=timedelta(minutes=5)
        )

    too_early = functions_chat.sweep_turns(
        db=db, now=utc_now(), max_attempts=3, stale_after=timedelta(minutes=5)
    )
    assert too_early.queued == 0, "a turn younger than the grace may still have its trigger"
    assert "status" not in _turn(db, user.uid, "lost")

    assert sweep().queued == 1
    assert sweep().queued == 0, "a second sweep finds it queued and leaves it"
    turn = _completed(db, user.uid, "lost", timeout_s=120)
    assert turn["status"]["attempt"] == 1
    assert "42" in turn["response"]
    conversation = db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}
    assert conversation["turnCount"] == 1, "queued once: the bookkeeping was done once"


def test_a_lost_trigger_is_made_good_by_the_local_scheduler_alone(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """No sweep by hand: the local stack's scheduled sweeper, as in production, finds the turn
    within the grace plus a sweep period (each minute) and it is answered."""
    user = new_user()
    _written_while_triggers_drop(db, user, "orphan", "what is 6 * 7")

    turn = _completed(db, user.uid, "orphan", timeout_s=150)
    assert turn["status"]["attempt"] == 1
    assert "42" in turn["response"]
