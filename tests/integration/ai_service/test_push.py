"""Pub/Sub push to the locally running ai_service: acknowledged work, refused garbage."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import requests
from google.cloud import firestore

from shared import paths
from shared.events import ChatRequested, Envelope, Topic
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
