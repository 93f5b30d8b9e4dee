"""Stop a reply and edit a prompt into a branch, as the PWA does it (through the rules).

The stack's own worker (:8081, local model) answers turns the trigger publishes; the model tests
push to a second worker whose chain is a wire-format OpenAI fake, so that what the model received
and whether its stream was closed can be asserted.
"""

from __future__ import annotations

import base64
import concurrent.futures
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
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import wait_for
from ..workers import Worker, start_worker

CID = "c1"
LONG_TEXT = " ".join(f"word{i}" for i in range(200))


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("openai") as server:
        yield server


@pytest.fixture(scope="module")
def openai_worker(fake_openai: FakeLLMServer) -> Iterator[Worker]:
    worker = start_worker(
        env={
            "AURAOS_LLM_OPENAI_API_KEY": "sk-test-integration",
            "AURAOS_LLM_OPENAI_BASE_URL": fake_openai.base_url,
            "AURAOS_LLM_CHAIN": "openai",
            "AURAOS_STREAM_MIN_INTERVAL_MS": "50",
        }
    )
    yield worker
    worker.kill()


def _turn(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    return db.document(paths.turn(uid, CID, turn_id)).get().to_dict() or {}


def _state(db: firestore.Client, uid: str, turn_id: str) -> str | None:
    return (_turn(db, uid, turn_id).get("status") or {}).get("state")


def _queued(db: firestore.Client, uid: str, turn_id: str, prompt: str, **fields: Any) -> None:
    """A turn as the trigger leaves it (queued, attempt 1), written here so that the test, not
    the stack's publish, decides which worker answers it."""
    db.document(paths.turn(uid, CID, turn_id)).set(
        {
            "prompt": prompt,
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1},
            **fields,
        }
    )


def _push_body(uid: str, turn_id: str) -> dict[str, Any]:
    envelope = Envelope(
        idempotency_key=f"{paths.turn(uid, CID, turn_id)}#1",
        data=ChatRequested(uid=uid, conversation_id=CID, turn_id=turn_id, attempt=1),
    )
    return {"message": {"messageId": turn_id, "data": base64.b64encode(envelope.encode()).decode()}}


def _as_owner(user: SignedInUser) -> Any:
    return user_client(project=PROJECT_ID, id_token=user.id_token)


def _ask(user: SignedInUser, turn_id: str, prompt: str, **placement: str) -> None:
    """What the PWA writes for a new turn or an edit (the rules check it)."""
    _as_owner(user).document(paths.turn(user.uid, CID, turn_id)).create(
        {"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP, **placement}
    )


def _answered(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    wait_for(
        lambda: _state(db, uid, turn_id) in {"COMPLETED", "ERROR", "STOPPED"},
        timeout_s=120,
        what=f"turn {turn_id} to end",
    )
    return _turn(db, uid, turn_id)


# --------------------------------------------------------------------------------- stop


def test_stop_while_streaming_keeps_the_partial_reply_and_closes_the_stream(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fake_openai: FakeLLMServer,
    openai_worker: Worker,
) -> None:
    user = new_user()
    fake_openai.script(Reply(text=LONG_TEXT, chunks=100, chunk_delay_s=0.05, output_tokens=200))
    _queued(db, user.uid, "t-stop", "Tell me a long story.")
    disconnects_before = fake_openai.disconnects

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pushed = pool.submit(openai_worker.push, _push_body(user.uid, "t-stop"))
        wait_for(
            lambda: len(_turn(db, user.uid, "t-stop").get("response") or "") > 20,
            what="the reply to start streaming",
        )
        _as_owner(user).document(paths.turn(user.uid, CID, "t-stop")).update(
            {"status.state": "STOP"}
        )
        assert pushed.result(timeout=60).status_code == 204

    turn = _turn(db, user.uid, "t-stop")
    assert turn["status"]["state"] == "STOPPED"
    assert turn["status"]["stoppedAt"] is not None
    partial = turn["response"]
    assert 20 < len(partial) < len(LONG_TEXT)
    assert LONG_TEXT.startswith(partial)
    # Usage counts what was generated up to the stop, not the reply the server would have sent.
    assert 0 < turn["usage"]["outputTokens"] < 200
    assert turn["usage"]["provider"] == "openai"
    # The worker closed the provider's stream: the fake saw the client leave mid-reply.
    assert fake_openai.wait_for_disconnects(disconnects_before + 1) == disconnects_before + 1


def test_regenerate_works_from_stopped(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fake_openai: FakeLLMServer,
    openai_worker: Worker,
) -> None:
    user = new_user()
    fake_openai.script(Reply(text=LONG_TEXT, chunks=100, chunk_delay_s=0.05))
    _queued(db, user.uid, "t-again", "Tell me a story about a fox.")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pushed = pool.submit(openai_worker.push, _push_body(user.uid, "t-again"))
        wait_for(
            lambda: len(_turn(db, user.uid, "t-again").get("response") or "") > 20,
            what="the reply to start streaming",
        )
        ref = _as_owner(user).document(paths.turn(user.uid, CID, "t-again"))
        ref.update({"status.state": "STOP"})
        pushed.result(timeout=60)
    assert _state(db, user.uid, "t-again") == "STOPPED"

    ref.update({"status.state": "RETRY"})  # the stack's trigger and worker take it from here

    def regenerated() -> dict[str, Any] | None:
        turn = _turn(db, user.uid, "t-again")
        return turn if turn["status"]["state"] in {"COMPLETED", "ERROR"} else None

    turn = wait_for(regenerated, timeout_s=120, what="the regenerated attempt")
    assert turn["status"]["state"] == "COMPLETED"
    assert turn["status"]["attempt"] == 2
    [earlier] = turn["attempts"]
    assert earlier["state"] == "STOPPED"
    assert earlier["response"]


def test_a_turn_stopped_before_it_was_claimed_is_never_generated(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fake_openai: FakeLLMServer,
    openai_worker: Worker,
) -> None:
    user = new_user()
    requests_before = len(fake_openai.requests)
    _queued(db, user.uid, "t-early", "Tell me a long story.")

    _as_owner(user).document(paths.turn(user.uid, CID, "t-early")).update({"status.state": "STOP"})
    wait_for(
        lambda: _state(db, user.uid, "t-early") == "STOPPED",
        what="the trigger to end the unclaimed turn",
    )
    # The delivery that was already on its way finds nothing to claim.
    assert openai_worker.push(_push_body(user.uid, "t-early")).status_code == 204

    turn = _turn(db, user.uid, "t-early")
    assert turn["status"]["state"] == "STOPPED"
    assert "response" not in turn
    assert "usage" not in turn
    assert len(fake_openai.requests) == requests_before


@pytest.mark.usefixtures("background_sweeps_paused")
def test_a_stopped_turn_whose_worker_died_is_ended_by_the_sweeper(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    db.document(paths.turn(user.uid, CID, "t-orphan")).set(
        {
            "prompt": "Tell me a long story.",
            "createTime": firestore.SERVER_TIMESTAMP,
            "response": "Once upon",
            "status": {
                "state": "STOP",
                "attempt": 1,
                "eventId": "gone-worker",
                "leaseExpiresAt": utc_now() - timedelta(seconds=5),
            },
        }
    )

    functions_chat.sweep_turns(
        db=db, now=utc_now(), max_attempts=3, stale_after=timedelta(minutes=5)
    )

    turn = _turn(db, user.uid, "t-orphan")
    assert turn["status"]["state"] == "STOPPED"
    assert turn["status"]["stoppedAt"] is not None
    assert turn["response"] == "Once upon"  # what the user saw is kept


# ----------------------------------------------------------------------- edit and branch


def _model_sees(
    db: firestore.Client,
    user: SignedInUser,
    fake: FakeLLMServer,
    worker: Worker,
    *,
    turn_id: str,
    prompt: str,
    branch: str,
) -> list[tuple[str, str]]:
    """Queue a turn in `branch`, let the fake answer it; the conversation the fake was sent."""
    fake.script(Reply(text=f"Answer to {turn_id}."))
    _queued(db, user.uid, turn_id, prompt, branch=branch)
    assert worker.push(_push_body(user.uid, turn_id)).status_code == 204
    assert _turn(db, user.uid, turn_id)["response"] == f"Answer to {turn_id}."
    sent = fake.requests[-1].body["messages"]
    return [(m["role"], m["content"]) for m in sent if m["role"] != "system"]


def _ask_and_wait(
    db: firestore.Client, user: SignedInUser, turn_id: str, prompt: str, **placement: str
) -> str:
    """A skill turn through the client path (trigger, Pub/Sub, the stack's worker): its reply."""
    _ask(user, turn_id, prompt, **placement)
    return str(_answered(db, user.uid, turn_id)["response"])


def test_an_edit_starts_a_branch_whose_history_never_includes_the_abandoned_one(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fake_openai: FakeLLMServer,
    openai_worker: Worker,
) -> None:
    user = new_user()
    assert _ask_and_wait(db, user, "t1", "what is 2 + 2") == "2 + 2 = 4"
    assert _ask_and_wait(db, user, "t2", "what is 3 + 3") == "3 + 3 = 6"

    # Edit t2.
    assert _ask_and_wait(db, user, "e1", "what is 5 + 5", parentTurnId="t2", branch="e1") == (
        "5 + 5 = 10"
    )

    assert _turn(db, user.uid, "e1")["branch"] == "e1"
    assert _turn(db, user.uid, "t2")["response"] == "3 + 3 = 6"  # the old branch stays readable
    conversation = db.document(paths.conversation(user.uid, CID)).get().to_dict() or {}
    assert conversation["activeLeaf"] == "e1"
    assert conversation["branches"] == 1
    # The next prompt in the new branch: the model sees t1 and the edit, never t2.
    seen = _model_sees(
        db, user, fake_openai, openai_worker, turn_id="e2", prompt="Say something.", branch="e1"
    )
    assert seen == [
        ("user", "what is 2 + 2"),
        ("assistant", "2 + 2 = 4"),
        ("user", "what is 5 + 5"),
        ("assistant", "5 + 5 = 10"),
        ("user", "Say something."),
    ]
    # Back on the main thread, the branch is the abandoned one.
    seen = _model_sees(
        db, user, fake_openai, openai_worker, turn_id="m3", prompt="Say more.", branch="main"
    )
    assert seen == [
        ("user", "what is 2 + 2"),
        ("assistant", "2 + 2 = 4"),
        ("user", "what is 3 + 3"),
        ("assistant", "3 + 3 = 6"),
        ("user", "Say more."),
    ]


def test_an_edit_of_an_edit_follows_its_path_back_to_the_root(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    fake_openai: FakeLLMServer,
    openai_worker: Worker,
) -> None:
    user = new_user()
    _ask_and_wait(db, user, "t1", "what is 1 + 1")
    _ask_and_wait(db, user, "t2", "what is 2 + 2")
    _ask_and_wait(db, user, "e1", "what is 3 + 3", parentTurnId="t2", branch="e1")
    # Edit the edit.
    assert _ask_and_wait(db, user, "e2", "what is 4 + 4", parentTurnId="e1", branch="e2") == (
        "4 + 4 = 8"
    )

    seen = _model_sees(
        db, user, fake_openai, openai_worker, turn_id="e3", prompt="And now?", branch="e2"
    )

    assert seen == [
        ("user", "what is 1 + 1"),
        ("assistant", "1 + 1 = 2"),
        ("user", "what is 4 + 4"),
        ("assistant", "4 + 4 = 8"),
        ("user", "And now?"),
    ]


def test_a_turn_in_a_branch_no_edit_started_fails_readably(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    _ask(user, "t1", "what is 2 + 2", branch="nowhere")

    turn = _answered(db, user.uid, "t1")
    assert turn["status"]["state"] == "ERROR"
    assert turn["status"]["error"]["code"] == "invalid-branch"
    assert "version of the conversation" in turn["status"]["error"]["message"]
