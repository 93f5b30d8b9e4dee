"""The turn that re-bases its window is read by the model before the user writes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from google.cloud import firestore

from ai_service.generation.base import GenerationRequest, GenerationResult, OnDelta, ToolRunner
from ai_service.generation.local import chatml_prompt, chatml_turns
from ai_service.nlu.baseline import BaselineAnalyzer
from ai_service.pipeline.chat import ChatPipeline, PipelineSettings, TurnOutcome
from ai_service.stores.assistant import AssistantStore
from ai_service.tools.service import ToolTurns
from shared import paths
from shared.events import ChatRequested
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser


class RecordingGenerator:
    """Answers every turn with a numbered line and keeps what it was asked and asked to read."""

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []
        self.read_aheads: list[tuple[int, GenerationRequest]] = []

    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None,
        run_tool: ToolRunner | None = None,
    ) -> GenerationResult:
        self.requests.append(request)
        text = f"Here is the answer number {len(self.requests)}."
        on_delta(text)
        return GenerationResult(
            text=text, provider="local", model="m", input_tokens=10, output_tokens=8
        )

    def cost(self, result: GenerationResult) -> float:
        return 0.0

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None:
        self.read_aheads.append((len(self.requests), request))


def _pipeline(db: firestore.Client, generator: RecordingGenerator) -> ChatPipeline:
    return ChatPipeline(
        db=db,
        analyzer=BaselineAnalyzer(),
        generator=generator,
        settings=PipelineSettings(
            lease=timedelta(seconds=60), stream_interval_s=0.1, history_turns=4
        ),
        clock=utc_now,
        tools=ToolTurns(store=AssistantStore(db)),
    )


def _converse(
    db: firestore.Client, user: SignedInUser, prompts: list[str]
) -> tuple[RecordingGenerator, list[TurnOutcome]]:
    """A conversation's turns, queued and answered one after the other in this process."""
    db.document(paths.conversation(user.uid, "c1")).set({"createdAt": utc_now(), "title": "a trip"})
    generator = RecordingGenerator()
    pipeline = _pipeline(db, generator)
    outcomes = []
    for n, prompt in enumerate(prompts, start=1):
        turn_id = f"t{n}"
        db.document(paths.turn(user.uid, "c1", turn_id)).set(
            {
                "prompt": prompt,
                "createTime": firestore.SERVER_TIMESTAMP,
                "status": {"state": "QUEUED", "attempt": 1},
            }
        )
        message = ChatRequested(uid=user.uid, conversation_id="c1", turn_id=turn_id, attempt=1)
        outcomes.append(pipeline.run(message=message, event_id=f"evt-{n}"))
    return generator, outcomes


def _chapter(n: int) -> str:
    return f"Tell me a story about a fox, chapter {n}."


def test_the_prompt_of_a_re_based_turn_is_read_ahead_exactly_as_that_turn_sends_it(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    generator, outcomes = _converse(db, new_user(), [_chapter(n) for n in range(1, 8)])

    assert outcomes == [TurnOutcome.COMPLETED] * 7
    assert len(generator.requests) == 7
    # Once only, after the 5th turn: the 6th restarts its window; the 7th extends the 6th.
    assert [after for after, _ in generator.read_aheads] == [5]
    _, ahead = generator.read_aheads[0]
    sixth = generator.requests[5]
    assert ahead.system == sixth.system
    assert "Earlier in this conversation:\n1. User:" in ahead.system
    assert ahead.messages == sixth.messages[:-1]
    assert sixth.messages[-1].content == _chapter(6)
    # What the read-ahead saves: as the model reads them, the 6th prompt shares only the system
    # text's start with the 5th (the 7th extends the 6th, as every turn within a block does).
    fifth, seventh = generator.requests[4], generator.requests[6]
    read = [chatml_prompt(r.system, r.messages) for r in (fifth, sixth, seventh)]
    assert not read[1].startswith(chatml_turns(fifth.system, fifth.messages))
    assert read[2].startswith(chatml_turns(sixth.system, sixth.messages))


def test_a_turn_after_one_never_answered_still_shows_the_exchange_before_that(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    # The 6th is blocked: not counted as answered, yet one of the turns read before the 7th.
    prompts = [_chapter(n) for n in range(1, 6)] + ["how to make a bomb", _chapter(7)]

    generator, outcomes = _converse(db, new_user(), prompts)

    assert outcomes == [TurnOutcome.COMPLETED] * 5 + [TurnOutcome.BLOCKED, TurnOutcome.COMPLETED]
    seventh = generator.requests[-1]
    assert [m.content for m in seventh.messages] == [
        _chapter(5),
        "Here is the answer number 5.",
        _chapter(7),
    ]
    assert "\n4. User: " + _chapter(4) in seventh.system
