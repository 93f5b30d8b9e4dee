"""Pub/Sub push to the locally running ai_service: acknowledged work, refused garbage."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from google.cloud import firestore

from shared import paths
from shared.events import ChatRequested, Envelope, Topic
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID

from ..conftest import AI_SERVICE
from ..helpers import wait_for


def _publish(envelope: Envelope, topic: Topic = Topic.CHAT_REQUESTED) -> None:
    import os

    base = "http://" + os.environ["PUBSUB_EMULATOR_HOST"]
    data = base64.b64encode(envelope.encode()).decode()
    response = requests.post(
        f"{base}/v1/projects/{PROJECT_ID}/topics/{topic.value}:publish",
        json={"messages": [{"data": data}]},
        timeout=10,
    )
    response.raise_for_status()


def _queued_turn(db: firestore.Client, uid: str, turn_id: str, prompt: str) -> None:
    # Written with `status` already set, so the Firestore trigger leaves it to this test.
    db.document(paths.turn(uid, "c1", turn_id)).set(
        {
            "prompt": prompt,
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1},
        }
    )


def test_a_published_chat_request_is_pushed_processed_and_acknowledged(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _queued_turn(db, user.uid, "t-push", "what is 6 * 7?")

    _publish(
        Envelope(
            idempotency_key=f"{paths.turn(user.uid, 'c1', 't-push')}#1",
            data=ChatRequested(uid=user.uid, conversation_id="c1", turn_id="t-push", attempt=1),
        )
    )

    def completed() -> dict[str, Any] | None:
        turn = db.document(paths.turn(user.uid, "c1", "t-push")).get().to_dict() or {}
        return turn if turn.get("status", {}).get("state") == "COMPLETED" else None

    turn = wait_for(completed, what="ai_service to complete the pushed turn")
    assert turn["response"] == "6 * 7 = 42"
    assert turn["intent"]["name"] == "arithmetic"
    assert turn["usage"]["provider"] == "skills"


def test_malformed_push_bodies_get_400_and_unknown_health_is_ok() -> None:
    assert requests.get(f"{AI_SERVICE}/healthz", timeout=5).json() == {"status": "ok"}
    assert requests.get(f"{AI_SERVICE}/readyz", timeout=5).status_code == 200

    garbage = requests.post(f"{AI_SERVICE}/pubsub/push", data=b"not json", timeout=5)
    bad_envelope = requests.post(
        f"{AI_SERVICE}/pubsub/push",
        json={"message": {"messageId": "1", "data": base64.b64encode(b"{}").decode()}},
        timeout=5,
    )

    assert garbage.status_code == 400
    assert bad_envelope.status_code == 400
    assert bad_envelope.json()["error"] == "invalid-argument"


def test_a_dead_lettered_chat_request_fails_the_turn_visibly(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    db.document(paths.turn(user.uid, "c1", "t-dead")).set(
        {
            "prompt": "hello",
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "PROCESSING", "attempt": 1, "eventId": "elsewhere"},
        }
    )

    _publish(
        Envelope(
            idempotency_key="dead#1",
            data=ChatRequested(uid=user.uid, conversation_id="c1", turn_id="t-dead", attempt=1),
        ),
        topic=Topic.DEAD_LETTER,
    )

    def failed() -> dict[str, Any] | None:
        status = (db.document(paths.turn(user.uid, "c1", "t-dead")).get().to_dict() or {}).get(
            "status", {}
        )
        return status if status.get("state") == "ERROR" else None

    status = wait_for(failed, what="the dead-letter function")
    assert status["error"]["message"].startswith("The assistant could not answer")


def _dead_letter(uid: str, turn_id: str) -> None:
    _publish(
        Envelope(
            idempotency_key=f"{paths.turn(uid, 'c1', turn_id)}#1",
            data=ChatRequested(uid=uid, conversation_id="c1", turn_id=turn_id, attempt=1),
        ),
        topic=Topic.DEAD_LETTER,
    )


def _status(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    turn = db.document(paths.turn(uid, "c1", turn_id)).get().to_dict() or {}
    return dict(turn.get("status") or {})


def test_a_dead_lettered_turn_nobody_claimed_is_sent_again_and_answered(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """The service was unreachable until Pub/Sub gave up: the turn waits for the sweeper (every
    minute on the local stack too) instead of failing, and is answered once it is re-published."""
    user = new_user()
    db.document(paths.conversation(user.uid, "c1")).set({"createdAt": firestore.SERVER_TIMESTAMP})
    db.document(paths.turn(user.uid, "c1", "t-lost")).set(
        {
            "prompt": "what is 8 * 8",
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1, "queuedAt": firestore.SERVER_TIMESTAMP},
        }
    )

    _dead_letter(user.uid, "t-lost")
    deferred = wait_for(
        lambda: (
            _status(db, user.uid, "t-lost").get("deadLetteredAt")
            and _status(db, user.uid, "t-lost")
        ),
        what="the dead-letter function to defer the turn",
    )
    answered = wait_for(
        lambda: _status(db, user.uid, "t-lost").get("state") == "COMPLETED",
        timeout_s=150,
        interval_s=1,
        what="the sweeper to re-publish the turn and ai_service to answer it",
    )

    assert deferred["state"] == "QUEUED"
    assert answered
    turn = db.document(paths.turn(user.uid, "c1", "t-lost")).get().to_dict() or {}
    assert turn["response"] == "8 * 8 = 64"


def test_a_turn_dead_lettered_for_too_long_ends_with_a_readable_error(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    long_ago = utc_now() - timedelta(minutes=11)  # the give-up bound is 10 minutes
    db.document(paths.turn(user.uid, "c1", "t-gone")).set(
        {
            "prompt": "hello",
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {
                "state": "QUEUED",
                "attempt": 1,
                "queuedAt": long_ago,
                "deadLetteredAt": long_ago,
            },
        }
    )

    _dead_letter(user.uid, "t-gone")
    status = wait_for(
        lambda: (
            _status(db, user.uid, "t-gone").get("state") == "ERROR"
            and _status(db, user.uid, "t-gone")
        ),
        what="the dead-letter function to give up",
    )

    assert status["error"]["message"].startswith("The assistant was unavailable for too long")
