"""The chat loop as the PWA drives it: write a turn through the rules, watch the reply stream in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function, wait_for

TERMINAL = {"COMPLETED", "ERROR", "BLOCKED"}


class TurnWatcher:
    """Records every snapshot a realtime listener delivers for one turn."""

    def __init__(self) -> None:
        self.snapshots: list[dict[str, Any]] = []
        self.done = threading.Event()

    def __call__(self, docs: list[Any], _changes: object, _read_time: object) -> None:
        for doc in docs:
            data = doc.to_dict() or {}
            self.snapshots.append(data)
            if (data.get("status") or {}).get("state") in TERMINAL:
                self.done.set()

    @property
    def final(self) -> dict[str, Any]:
        return self.snapshots[-1]

    def states(self) -> list[str]:
        seen: list[str] = []
        for snapshot in self.snapshots:
            state = (snapshot.get("status") or {}).get("state")
            if state and (not seen or seen[-1] != state):
                seen.append(state)
        return seen


def write_turn_and_watch(
    user: SignedInUser, cid: str, turn_id: str, prompt: str, *, timeout_s: float = 180
) -> TurnWatcher:
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    ref = as_user.document(paths.turn(user.uid, cid, turn_id))
    watcher = TurnWatcher()
    ref.create({"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
    watch = ref.on_snapshot(watcher)
    try:
        assert watcher.done.wait(timeout_s), f"turn never ended; states {watcher.states()}"
    finally:
        watch.unsubscribe()
    return watcher


def test_reply_streams_through_the_listener_and_completes_with_analysis(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    prompt = "Hi! I love hiking. Suggest one short tip for a first hike tomorrow at 9am."

    watcher = write_turn_and_watch(user, "c1", "t1", prompt)

    final = watcher.final
    assert final["status"]["state"] == "COMPLETED", final
    assert "STREAMING" in watcher.states()
    partials = [s["response"] for s in watcher.snapshots if s.get("response")]
    assert len(partials) >= 2, "the reply should arrive in several pieces"
    assert all(final["response"].startswith(p.rstrip()[:10]) for p in partials)
    assert len(final["response"].split()) >= 3
    assert final["intent"]["name"]
    assert 0 < final["intent"]["confidence"] <= 1
    assert {"type": "time", "text": "9am"}.items() <= next(
        e for e in final["entities"] if e["type"] == "time"
    ).items()
    assert final["sentiment"]["label"] == "positive"
    usage = final["usage"]
    assert usage["provider"] == "local"
    assert usage["inputTokens"] > 0
    assert usage["outputTokens"] > 0
    assert usage["latencyMs"] > 0
    # The conversation's totals are written right after the turn completes.
    conversation = wait_for(
        lambda: (
            (db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}).get("usage")
            and db.document(paths.conversation(user.uid, "c1")).get().to_dict()
        ),
        what="the conversation's usage totals",
    )
    # Titled by its first answered turn; the PWA wrote no conversation, so its createdAt too.
    assert conversation["title"].startswith("Hi! I love hiking")
    assert conversation["createdAt"] >= final["createTime"]
    assert conversation["usage"]["turns"] == 1
    assert conversation["usage"]["outputTokens"] == usage["outputTokens"]
    assert "hiking" in conversation["summary"]


def test_skills_answer_facts_the_model_would_get_wrong(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = new_user()

    arithmetic = write_turn_and_watch(user, "c1", "a1", "what is 123 * 45?").final
    weather = write_turn_and_watch(user, "c1", "w1", "What's the weather in Paris today?").final

    assert arithmetic["response"] == "123 * 45 = 5,535"
    assert arithmetic["usage"]["provider"] == "skills"
    assert "no live weather data" in weather["response"]


def test_owner_retry_regenerates_and_keeps_the_earlier_attempt(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    first = write_turn_and_watch(user, "c1", "t1", "what is 2 + 2?").final
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)

    as_user.document(paths.turn(user.uid, "c1", "t1")).update({"status.state": "RETRY"})

    def second_attempt_done() -> dict[str, Any] | None:
        turn = db.document(paths.turn(user.uid, "c1", "t1")).get().to_dict() or {}
        status = turn.get("status", {})
        return turn if status.get("attempt") == 2 and status.get("state") == "COMPLETED" else None

    turn = wait_for(second_attempt_done, timeout_s=120, what="the regenerated attempt")
    assert turn["response"] == "2 + 2 = 4"
    assert turn["attempts"] == [
        {
            "attempt": 1,
            "response": first["response"],
            "usage": first["usage"],
            "completeTime": first["status"]["completeTime"],
            "state": "COMPLETED",
        }
    ]


def test_send_message_callable_returns_ids_at_once_and_the_turn_completes(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    response = call_function(
        "sendMessage", {"prompt": "what is 7 * 6", "turnId": "fixed-1"}, id_token=user.id_token
    )
    again = call_function(
        "sendMessage",
        {
            "prompt": "what is 7 * 6",
            "turnId": "fixed-1",
            "conversationId": response.json()["result"]["conversationId"],
        },
        id_token=user.id_token,
    )
    invalid = call_function("sendMessage", {"prompt": ""}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    ids = response.json()["result"]
    assert ids["turnId"] == "fixed-1"
    assert again.json()["result"] == ids
    assert invalid.status_code == 400
    assert invalid.json()["error"]["status"] == "INVALID_ARGUMENT"

    def completed() -> dict[str, Any] | None:
        turn = db.document(paths.turn(user.uid, ids["conversationId"], "fixed-1")).get().to_dict()
        return turn if (turn or {}).get("status", {}).get("state") == "COMPLETED" else None

    assert wait_for(completed, what="the callable's turn")["response"] == "7 * 6 = 42"


def test_chat_rate_limit_fails_the_extra_turn_readably(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    # An empty bucket, as after 20 turns within the minute (the default limit).
    db.document(paths.rate_limit(user.uid)).set(
        {"chat": {"tokens": 0.0, "updatedAt": firestore.SERVER_TIMESTAMP}}
    )

    final = write_turn_and_watch(user, "c1", "extra", "one more please").final

    assert final["status"]["state"] == "ERROR"
    assert final["status"]["error"]["code"] == "resource-exhausted"
    assert "try again in" in final["status"]["error"]["message"]
    audits = wait_for(
        lambda: [d.to_dict() or {} for d in db.collection(paths.AUDIT_LOGS).stream()],
        what="the audit entry",
    )
    assert [a["action"] for a in audits] == ["rate_limit_tripped"]
    assert audits[0]["targetUid"] == user.uid
