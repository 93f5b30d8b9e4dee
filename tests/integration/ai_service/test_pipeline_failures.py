"""A worker exception of any kind never leaves a claimed turn behind: it ends readably, at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from google.cloud import firestore

from ai_service.generation.base import GenerationRequest, GenerationResult, OnDelta, ToolRunner
from ai_service.nlu.analysis import Analysis
from ai_service.nlu.baseline import BaselineAnalyzer
from ai_service.pipeline.chat import (
    UNEXPECTED_FAILURE_MESSAGE,
    ChatPipeline,
    PipelineSettings,
    TurnOutcome,
)
from ai_service.stores.assistant import AssistantStore
from ai_service.tools.service import ToolTurns
from shared import paths
from shared.events import ChatRequested
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser

from .test_chat_flow import write_turn_and_watch


class BrokenAnalyzer:
    """A defect in the NLU pass (or anything else inside the pipeline)."""

    name = "broken"

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        raise RecursionError("maximum recursion depth exceeded")


class NoGenerator:
    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None,
        run_tool: ToolRunner | None = None,
    ) -> GenerationResult:
        raise AssertionError("never reached")

    def cost(self, result: GenerationResult) -> float:
        return 0.0

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None:
        raise AssertionError("never reached")


def _queued_turn(db: firestore.Client, uid: str, turn_id: str, prompt: str) -> Any:
    ref = db.document(paths.turn(uid, "c1", turn_id))
    ref.set(
        {
            "prompt": prompt,
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1},
        }
    )
    return ref


def _pipeline(db: firestore.Client, analyzer: Any) -> ChatPipeline:
    """The pipeline as create_app builds it, in this process, with a generator never reached."""
    return ChatPipeline(
        db=db,
        analyzer=analyzer,
        generator=NoGenerator(),
        settings=PipelineSettings(
            lease=timedelta(seconds=60), stream_interval_s=0.1, history_turns=4
        ),
        clock=utc_now,
        tools=ToolTurns(store=AssistantStore(db)),
    )


def test_an_unexpected_exception_ends_the_claimed_turn_with_a_readable_error(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    ref = _queued_turn(db, user.uid, "t-defect", "hello")
    pipeline = _pipeline(db, BrokenAnalyzer())
    message = ChatRequested(uid=user.uid, conversation_id="c1", turn_id="t-defect", attempt=1)

    outcome = pipeline.run(message=message, event_id="evt-1")

    assert outcome is TurnOutcome.FAILED
    status = (ref.get().to_dict() or {})["status"]
    assert status["state"] == "ERROR"
    assert status["error"] == {"code": "internal", "message": UNEXPECTED_FAILURE_MESSAGE}
    assert status.get("leaseExpiresAt") is None  # nothing left for the sweeper to wait on
    # A redelivery of the same message finds an ended turn: nothing to claim, nothing re-run.
    assert pipeline.run(message=message, event_id="evt-1") is TurnOutcome.SKIPPED


def test_the_prompt_that_recursed_the_arithmetic_skill_now_gets_an_answer(
    new_user: Callable[..., SignedInUser],
) -> None:
    """Before: RecursionError, push 500, the turn PROCESSING for good, Regenerate disabled."""
    user = new_user()
    watcher = write_turn_and_watch(user, "c1", "t-deep", "2*3+" + "-" * 1500 + "1")

    final = watcher.final
    assert final["status"]["state"] == "COMPLETED", final
    assert final["response"]


def test_a_conversation_deleted_mid_turn_is_not_recreated(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    """Before: the pipeline's merge write brought it back as {summary, updatedAt, usage}."""
    user = new_user()
    conversation = db.document(paths.conversation(user.uid, "c1"))
    conversation.set({"createdAt": utc_now(), "title": "to be deleted"})
    turn = _queued_turn(db, user.uid, "t-orphan", "what is 2 + 2")
    pipeline = _pipeline(db, BaselineAnalyzer())
    conversation.delete()  # the owner deletes it while the turn is on its way

    message = ChatRequested(uid=user.uid, conversation_id="c1", turn_id="t-orphan", attempt=1)
    assert pipeline.run(message=message, event_id="evt-2") is TurnOutcome.COMPLETED

    assert (turn.get().to_dict() or {})["response"] == "2 + 2 = 4"
    assert not conversation.get().exists
