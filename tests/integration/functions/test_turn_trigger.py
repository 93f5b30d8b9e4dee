"""The Firestore trigger on a new chat turn: validation, queueing and conversation bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..ai_service.test_chat_flow import TurnWatcher, write_turn_and_watch
from ..helpers import wait_for


def _turn(db: firestore.Client, uid: str, cid: str, turn_id: str) -> dict[str, Any]:
    return db.document(paths.turn(uid, cid, turn_id)).get().to_dict() or {}


def test_a_turn_written_by_the_user_is_queued_and_its_answer_titles_the_conversation(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(paths.conversation(user.uid, "c1")).create(
        {"createdAt": firestore.SERVER_TIMESTAMP}
    )

    as_user.document(paths.turn(user.uid, "c1", "t1")).create(
        {"prompt": "Plan a weekend   in Lisbon", "createTime": firestore.SERVER_TIMESTAMP}
    )

    status = wait_for(
        lambda: _turn(db, user.uid, "c1", "t1").get("status"), what="the trigger to queue the turn"
    )
    assert status["attempt"] == 1
    assert status["state"] in {"QUEUED", "PROCESSING", "STREAMING", "COMPLETED"}
    conversation = wait_for(
        lambda: (
            (db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}).get("turnCount")
            and db.document(paths.conversation(user.uid, "c1")).get().to_dict()
        ),
        what="conversation bookkeeping",
    )
    assert conversation["turnCount"] == 1
    # The queueing transaction writes the conversation without reading it; the title comes with
    # the first answer, as assistants title a chat after its first reply.
    titled = wait_for(
        lambda: (db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}).get(
            "title"
        ),
        timeout_s=180,
        interval_s=0.5,
        what="the answer to title the conversation",
    )
    assert titled == "Plan a weekend in Lisbon"


def test_an_invalid_turn_written_by_a_server_is_failed_readably(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    # The rules refuse this shape from clients; a buggy server path must still not wedge the turn.
    db.document(paths.turn(user.uid, "c1", "bad")).set(
        {"prompt": "", "createTime": firestore.SERVER_TIMESTAMP}
    )

    status = wait_for(lambda: _turn(db, user.uid, "c1", "bad").get("status"), what="the trigger")
    assert status["state"] == "ERROR"
    assert status["error"]["code"] == "invalid-prompt"
    assert "1 to 4,000 characters" in status["error"]["message"]
    # Off the contract on purpose (no client can write it): not left for the contract test.
    db.document(paths.turn(user.uid, "c1", "bad")).delete()


def test_a_too_long_turn_is_told_how_much_to_cut(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    db.document(paths.turn(user.uid, "c1", "long")).set(
        {"prompt": "😀" * 2000 + "ab", "createTime": firestore.SERVER_TIMESTAMP}
    )

    status = wait_for(lambda: _turn(db, user.uid, "c1", "long").get("status"), what="the trigger")
    assert status["state"] == "ERROR"
    assert status["error"]["message"] == (
        "The message is 2 characters too long; the limit is 4,000 (an emoji counts as 2). "
        "Shorten it and send it again."
    )
    # Off the contract on purpose (no client can write it): not left for the contract test.
    db.document(paths.turn(user.uid, "c1", "long")).delete()


def _queued_ahead(watcher: TurnWatcher) -> int:
    queued = [
        s["status"] for s in watcher.snapshots if s.get("status", {}).get("state") == "QUEUED"
    ]
    assert queued, f"the listener saw no QUEUED snapshot: {watcher.states()}"
    return int(queued[0].get("queuedAhead") or 0)


def test_a_queued_turn_tells_its_user_how_many_turns_wait_before_it(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user, other = new_user(), new_user()
    waiting = [db.document(paths.turn(other.uid, "c1", f"w{n}")) for n in range(3)]
    queued_at = datetime.now(UTC) - timedelta(seconds=5)
    for ref in waiting:  # queued and never published: nobody claims them while the test runs
        ref.set(
            {
                "prompt": "waiting",
                "createTime": queued_at,
                "branch": "main",
                "status": {"state": "QUEUED", "attempt": 1, "queuedAt": queued_at},
            }
        )
    try:
        behind_three = _queued_ahead(write_turn_and_watch(user, "c1", "t1", "What time is it?"))
    finally:
        for ref in waiting:
            ref.delete()
    alone = _queued_ahead(write_turn_and_watch(user, "c1", "t2", "What time is it?"))

    assert behind_three >= 3
    assert behind_three - alone == 3  # whatever else the run left queued counts in both
