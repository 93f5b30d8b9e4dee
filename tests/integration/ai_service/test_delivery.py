"""At-least-once delivery: duplicates, racing workers, a killed worker, a failing provider."""

from __future__ import annotations

import base64
import concurrent.futures
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from google.cloud import firestore

from auraos_functions.services import chat as functions_chat
from shared import paths
from shared.events import ChatRequested, Envelope
from shared.models.base import utc_now
from tests.fakes.llm_servers import FakeLLMServer, Reply
from tools.emulator_auth import SignedInUser

from ..conftest import AI_SERVICE
from ..helpers import completed_turn, wait_for
from ..workers import Worker, push, start_worker

LONG_PROMPT = "Write three friendly sentences about autumn walks in the park."


def _queued(db: firestore.Client, uid: str, turn_id: str, prompt: str) -> None:
    # Written with a status so the trigger leaves the delivery to the test; the conversation as
    # the trigger would have left it.
    db.document(paths.conversation(uid, "c1")).set({"createdAt": utc_now()}, merge=True)
    db.document(paths.turn(uid, "c1", turn_id)).set(
        {
            "prompt": prompt,
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1},
        }
    )


def _push_body(uid: str, turn_id: str, *, message_id: str, attempt: int = 1) -> dict[str, Any]:
    envelope = Envelope(
        idempotency_key=f"{paths.turn(uid, 'c1', turn_id)}#{attempt}",
        data=ChatRequested(uid=uid, conversation_id="c1", turn_id=turn_id, attempt=attempt),
    )
    return {
        "message": {"messageId": message_id, "data": base64.b64encode(envelope.encode()).decode()}
    }


def _turn(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    return db.document(paths.turn(uid, "c1", turn_id)).get().to_dict() or {}


def _generations(db: firestore.Client, uid: str) -> int:
    usage = (db.document(paths.conversation(uid, "c1")).get().to_dict() or {}).get("usage", {})
    return int(usage.get("turns", 0))


@pytest.fixture(scope="module")
def second_worker() -> Iterator[Worker]:
    worker = start_worker()
    yield worker
    worker.kill()


def test_five_deliveries_of_one_message_make_one_generation(
    db: firestore.Client, new_user: Callable[..., SignedInUser], second_worker: Worker
) -> None:
    user = new_user()
    _queued(db, user.uid, "t5", "what is 5 * 5")
    bodies = [_push_body(user.uid, "t5", message_id=f"m{i}") for i in range(5)]

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda b: second_worker.push(b).status_code, bodies))

    assert statuses == [204] * 5
    assert _turn(db, user.uid, "t5")["status"]["state"] == "COMPLETED"
    assert _generations(db, user.uid) == 1


def test_two_workers_racing_on_one_turn_make_one_generation(
    db: firestore.Client, new_user: Callable[..., SignedInUser], second_worker: Worker
) -> None:
    user = new_user()
    _queued(db, user.uid, "race", "Say hello in five words.")
    body = _push_body(user.uid, "race", message_id="m1")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda url: push(url, body).status_code, [AI_SERVICE, second_worker.url])
        )

    assert results == [204, 204]
    turn = _turn(db, user.uid, "race")
    assert turn["status"]["state"] == "COMPLETED"
    assert _generations(db, user.uid) == 1


def _killed_mid_stream(db: firestore.Client, uid: str, turn_id: str) -> None:
    """A worker with a 2 s lease claims the turn, starts streaming, and is SIGKILLed."""
    _queued(db, uid, turn_id, LONG_PROMPT)
    doomed = start_worker(env={"AURAOS_TURN_LEASE_S": "2", "AURAOS_STREAM_MIN_INTERVAL_MS": "0"})
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(doomed.push, _push_body(uid, turn_id, message_id="m1"))
            wait_for(
                lambda: _turn(db, uid, turn_id).get("status", {}).get("state") == "STREAMING",
                what="the doomed worker to start streaming",
            )
            doomed.kill()
    finally:
        doomed.kill()


def _completed(db: firestore.Client, uid: str, turn_id: str, *, timeout_s: float) -> dict[str, Any]:
    return completed_turn(
        db,
        paths.turn(uid, "c1", turn_id),
        timeout_s=timeout_s,
        what="the re-queued attempt to complete",
    )


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_killed_worker_is_recovered_by_the_sweeper(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _killed_mid_stream(db, user.uid, "crash")
    time.sleep(2.5)  # let the 2 s lease run out

    report = functions_chat.sweep_turns(
        db=db, now=utc_now(), max_attempts=3, stale_after=timedelta(minutes=5)
    )

    assert report.requeued == 1
    turn = _completed(db, user.uid, "crash", timeout_s=120)
    assert turn["status"]["attempt"] == 2
    assert len(turn["response"]) > 20


def test_a_worker_killed_mid_stream_is_recovered_by_the_local_scheduler_alone(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """No sweep by hand: on the local stack, as in production, the scheduled sweeper runs every
    minute, so a killed worker's turn completes within one lease plus one sweep (+ its reply)."""
    user = new_user()
    _killed_mid_stream(db, user.uid, "orphan")

    # 2 s lease + a 60 s sweep period + the re-queued reply on the stack's worker.
    turn = _completed(db, user.uid, "orphan", timeout_s=150)
    assert turn["status"]["attempt"] == 2
    assert len(turn["response"]) > 20


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_turn_whose_attempts_are_spent_ends_in_a_readable_error(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    db.document(paths.turn(user.uid, "c1", "spent")).set(
        {
            "prompt": "hi",
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {
                "state": "STREAMING",
                "attempt": 3,
                "eventId": "gone",
                "leaseExpiresAt": utc_now() - timedelta(seconds=5),
            },
        }
    )

    report = functions_chat.sweep_turns(
        db=db, now=utc_now(), max_attempts=3, stale_after=timedelta(minutes=5)
    )

    assert report.failed == 1
    status = _turn(db, user.uid, "spent")["status"]
    assert status["state"] == "ERROR"
    assert status["error"]["message"] == "The assistant did not finish answering. Please try again."


@pytest.mark.parametrize(
    "failure", [Reply.fail(429), Reply.fail(500), Reply.hang(5)], ids=["429", "500", "timeout"]
)
def test_a_failing_provider_falls_back_to_the_next_and_usage_says_which(
    db: firestore.Client, new_user: Callable[..., SignedInUser], failure: Reply
) -> None:
    user = new_user()
    with FakeLLMServer("openai") as openai:
        openai.script(failure)
        worker = start_worker(
            env={
                "AURAOS_LLM_OPENAI_API_KEY": "sk-test-integration",
                "AURAOS_LLM_OPENAI_BASE_URL": openai.base_url,
                "AURAOS_LLM_OPENAI_TIMEOUT_S": "1",
                "AURAOS_LLM_OPENAI_MAX_RETRIES": "1",
                "AURAOS_LLM_CHAIN": "openai,local",
                "AURAOS_LLM_BACKOFF_INITIAL_S": "0.05",
            },
        )
        try:
            _queued(db, user.uid, "fb", "Say hello in five words.")
            assert worker.push(_push_body(user.uid, "fb", message_id="m1")).status_code == 204
        finally:
            worker.kill()
        assert len(openai.requests) >= 1

    turn = _turn(db, user.uid, "fb")
    assert turn["status"]["state"] == "COMPLETED"
    assert turn["usage"]["provider"] == "local"


def test_an_operator_pause_fails_new_turns_with_the_maintenance_message(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    db.document(paths.FLAGS_DOC).set(
        {"chatEnabled": False, "maintenanceMessage": "Back at 10:00 UTC after an upgrade."}
    )
    worker = start_worker(env={"AURAOS_FLAGS_MAX_AGE_S": "0"})
    try:
        _queued(db, user.uid, "paused", "hello?")
        assert worker.push(_push_body(user.uid, "paused", message_id="m1")).status_code == 204
    finally:
        worker.kill()

    status = _turn(db, user.uid, "paused")["status"]
    assert status["state"] == "ERROR"
    assert status["error"] == {
        "code": "unavailable",
        "message": "Back at 10:00 UTC after an upgrade.",
    }
