"""A cloud provider's function calling through the whole pipeline: the OpenAI SDK in a real
ai_service worker, against the local server that speaks OpenAI's wire format, tool calls
streamed, over the Firestore emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from google.cloud import firestore

from shared import paths
from shared.models.base import utc_now
from tests.fakes.llm_servers import RESULT, FakeLLMServer, Reply, ToolCall
from tools.emulator_auth import SignedInUser

from ..workers import Worker, start_worker
from .test_delivery import _push_body, _queued, _turn

# Nothing the NLU path acts on: the model decides to call a tool.
PROMPT = "Could you jot oat milk down for when I go to the shops?"


@pytest.fixture
def openai() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("openai") as server:
        yield server


@pytest.fixture
def worker(openai: FakeLLMServer) -> Iterator[Worker]:
    worker = start_worker(
        env={
            "AURAOS_LLM_OPENAI_API_KEY": "sk-test-integration",
            "AURAOS_LLM_OPENAI_BASE_URL": openai.base_url,
            "AURAOS_LLM_CHAIN": "openai",
        },
    )
    yield worker
    worker.kill()


def _tasks(db: firestore.Client, uid: str) -> list[dict[str, Any]]:
    return [s.to_dict() or {} for s in db.collection(f"{paths.user(uid)}/{paths.TASKS}").stream()]


def test_a_tool_call_runs_and_the_model_finishes_the_reply_with_its_result(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    openai: FakeLLMServer,
    worker: Worker,
) -> None:
    user = new_user()
    openai.script(
        Reply(
            text="Let me add that. ",
            tool_calls=(ToolCall("add_task", {"text": "oat milk", "list": "shopping"}),),
            input_tokens=120,
            output_tokens=12,
        ),
        Reply(text=f"Done: {RESULT}", input_tokens=150, output_tokens=20),
    )
    _queued(db, user.uid, "t1", PROMPT)

    assert worker.push(_push_body(user.uid, "t1", message_id="m1")).status_code == 204

    turn = _turn(db, user.uid, "t1")
    assert turn["status"]["state"] == "COMPLETED", turn
    assert [(c["name"], c["status"]) for c in turn["toolCalls"]] == [("add_task", "ok")]
    assert turn["toolCalls"][0]["args"] == {"text": "oat milk", "list": "shopping"}
    assert [(t["text"], t["list"]) for t in _tasks(db, user.uid)] == [("oat milk", "shopping")]
    assert turn["response"].startswith("Let me add that. Done: ")
    assert "Added oat milk to your shopping list." in turn["response"]
    assert turn["usage"]["provider"] == "openai"
    assert (turn["usage"]["inputTokens"], turn["usage"]["outputTokens"]) == (270, 32)
    offered = openai.requests[0].offered_tools()
    assert {"create_reminder", "add_task", "search_notes", "get_time"} <= set(offered)
    sent = openai.requests[1].tool_results()
    assert json.loads(sent[0].content)["status"] == "ok"


def test_a_failing_tool_is_reported_to_the_model_and_the_turn_still_completes(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    openai: FakeLLMServer,
    worker: Worker,
) -> None:
    user = new_user()
    openai.script(
        Reply(text="", tool_calls=(ToolCall("complete_task", {"text": "unicorn food"}),)),
        Reply(text=f"Sorry: {RESULT}"),
    )
    _queued(db, user.uid, "t1", PROMPT)

    assert worker.push(_push_body(user.uid, "t1", message_id="m1")).status_code == 204

    turn = _turn(db, user.uid, "t1")
    assert turn["status"]["state"] == "COMPLETED", turn
    assert [(c["name"], c["status"]) for c in turn["toolCalls"]] == [("complete_task", "error")]
    assert "couldn't find" in turn["toolCalls"][0]["result"]["error"]
    assert "couldn't find" in turn["response"]
    sent = json.loads(openai.requests[1].tool_results()[0].content)
    assert "couldn't find" in json.dumps(sent)


def test_a_destructive_call_from_the_model_only_asks_the_user(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    openai: FakeLLMServer,
    worker: Worker,
) -> None:
    """A model cannot confirm for the user: `confirmed: true` from it still only asks."""
    user = new_user()
    db.document(paths.task(user.uid, "k1")).set(
        {"text": "eggs", "list": "shopping", "done": False, "createdAt": firestore.SERVER_TIMESTAMP}
    )
    openai.script(
        Reply(
            text="", tool_calls=(ToolCall("clear_list", {"list": "shopping", "confirmed": True}),)
        ),
        Reply(text=f"{RESULT}"),
    )
    _queued(db, user.uid, "t1", "Get rid of everything I was going to buy, please")

    assert worker.push(_push_body(user.uid, "t1", message_id="m1")).status_code == 204

    turn = _turn(db, user.uid, "t1")
    assert turn["toolCalls"][0]["status"] == "needs_confirmation"
    assert len(_tasks(db, user.uid)) == 1
    conversation = db.document(paths.conversation(user.uid, "c1")).get().to_dict() or {}
    assert conversation["pendingAction"]["tool"] == "clear_list"


def test_a_model_pages_through_the_users_notes(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    openai: FakeLLMServer,
    worker: Worker,
) -> None:
    user = new_user()
    start = utc_now()
    for number, text in enumerate(("wifi at home: 1234", "wifi at work: 9876", "gate code 42")):
        at = start + timedelta(seconds=number)
        db.document(paths.note(user.uid, f"n{number}")).set(
            {"text": text, "createdAt": at, "updatedAt": at}
        )
    first = {"query": "wifi", "limit": 1}
    openai.script(
        Reply(text="", tool_calls=(ToolCall("search_notes", first),)),
        Reply(text="", tool_calls=(ToolCall("search_notes", {**first, "offset": 1}),)),
        Reply(text=f"{RESULT}"),
    )
    _queued(db, user.uid, "t1", "What were those wifi passwords again?")

    assert worker.push(_push_body(user.uid, "t1", message_id="m1")).status_code == 204

    turn = _turn(db, user.uid, "t1")
    pages = [call["result"] for call in turn["toolCalls"]]
    assert [page["notes"] for page in pages] == [["wifi at work: 9876"], ["wifi at home: 1234"]]
    assert [page.get("nextOffset") for page in pages] == [1, None]
    assert all(call["status"] == "ok" for call in turn["toolCalls"])
