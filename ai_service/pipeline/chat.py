"""One chat turn: claim -> moderate -> understand -> skill or model -> stream -> complete."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from google.api_core import exceptions as gexc
from google.cloud import firestore
from opentelemetry.trace import Span

from shared import paths
from shared.errors import Transient
from shared.events import ChatRequested
from shared.models.chat import Conversation, TurnError, TurnState, Usage
from shared.models.flags import FeatureFlags
from shared.tracing import tracer

from ..generation.base import (
    ChatMessage,
    GenerationRequest,
    GenerationResult,
    OnDelta,
    ProviderError,
    Role,
)
from ..generation.skills import (
    answer_from_recommendations,
    answer_with_skill,
    asks_for_own_recommendations,
)
from ..generation.tokens import count_tokens
from ..nlu.analysis import Analyzer
from . import turns
from .context import extend_summary, load_context, stable_window
from .moderation import moderate

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Aura, the assistant inside AuraOS. Answer in one to three short sentences, plainly "
    "and kindly. Never invent live or personal data (weather, news, prices, the user's calendar); "
    "say you don't have it. If unsure, say so."
)


PAUSED_MESSAGE = "Chat is paused for maintenance. Please try again in a little while."
UNEXPECTED_FAILURE_MESSAGE = "Something went wrong while answering. Please try again."


class ReplyGenerator(Protocol):
    """The provider router, as the pipeline sees it."""

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, preferred_model: str | None
    ) -> GenerationResult: ...

    def cost(self, result: GenerationResult) -> float: ...


def _span(name: str) -> AbstractContextManager[Span]:
    """A child of the turn's span (started by the push handler from the envelope's context)."""
    return tracer().start_as_current_span(name)


class TurnOutcome(StrEnum):
    COMPLETED = "completed"
    BLOCKED = "blocked"
    FAILED = "failed"
    STOPPED = "stopped"  # its owner stopped it: ended with what was generated so far
    SKIPPED = "skipped"  # not ours: duplicate delivery, racing worker, stale attempt, or lost claim


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    lease: timedelta
    stream_interval_s: float
    history_turns: int
    # Room for a whole window (up to 4 turns of 200-token replies): a window cut by the budget
    # slides, and every prompt of the block misses the local model's prompt cache.
    history_token_budget: int = 1200
    max_output_tokens: int = 200


class ChatPipeline:
    """Runs turns; holds the loaded models and clients (built once per process)."""

    def __init__(
        self,
        *,
        db: firestore.Client,
        analyzer: Analyzer,
        generator: ReplyGenerator,
        settings: PipelineSettings,
        clock: Callable[[], datetime],
        flags: Callable[[], FeatureFlags] = FeatureFlags,
    ) -> None:
        self._db = db
        self._flags = flags
        self._analyzer = analyzer
        self._generator = generator
        self._settings = settings
        self._clock = clock

    def run(self, *, message: ChatRequested, event_id: str) -> TurnOutcome:
        """Process one delivery of a ChatRequested message; safe to call any number of times."""
        with _span("turn.claim") as span:
            claim = turns.claim_turn(
                db=self._db,
                uid=message.uid,
                cid=message.conversation_id,
                turn_id=message.turn_id,
                attempt=message.attempt,
                event_id=event_id,
                now=self._clock(),
                lease=self._settings.lease,
            )
            span.set_attribute("auraos.claimed", claim is not None)
        if claim is None:
            log.info("turn not claimable; skipping", extra={"turnId": message.turn_id})
            return TurnOutcome.SKIPPED
        try:
            return self._answer(claim)
        except ProviderError as error:
            if error.retryable:
                self._release(claim)
                raise Transient(f"generation failed: {error.message}") from error
            self._fail(claim, "generation-failed", "The assistant could not answer right now.")
            return TurnOutcome.FAILED
        except (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError) as error:
            self._release(claim)
            raise Transient("Firestore unavailable") from error
        except Exception:
            # Anything else is a defect of ours, not of the turn: end it readably (the user can
            # regenerate) instead of leaving it claimed, and redelivered, until its lease runs out.
            log.exception("turn failed unexpectedly", extra={"turnId": message.turn_id})
            self._fail(claim, "internal", UNEXPECTED_FAILURE_MESSAGE)
            return TurnOutcome.FAILED

    def _answer(self, claim: turns.Claim) -> TurnOutcome:
        flags = self._flags()
        if not flags.chat_enabled:  # an operator paused chat: say so instead of queueing forever
            self._fail(claim, "unavailable", flags.maintenance_message or PAUSED_MESSAGE)
            return TurnOutcome.FAILED
        prompt = claim.turn.prompt
        started = time.monotonic()
        with _span("turn.moderation"):
            verdict = moderate(prompt)
        if verdict is not None:
            usage = Usage(
                provider="moderation",
                model=verdict.category,
                input_tokens=0,
                output_tokens=0,
                latency_ms=0,
            )
            if turns.complete_turn(
                db=self._db,
                claim=claim,
                response=verdict.reply,
                analysis={},
                usage=usage,
                state=TurnState.BLOCKED,
                now=self._clock(),
            ):
                return TurnOutcome.BLOCKED
            return self._settle_lost_write(claim, response="", analysis={}, usage=usage)
        with _span("turn.nlu") as span:
            analysis = self._analyzer.analyze([prompt])[0]
            span.set_attribute("auraos.intent", analysis.intent.name)
        now = self._clock()
        skill = answer_with_skill(intent=analysis.intent.name, text=prompt, now=now)
        if skill is None and asks_for_own_recommendations(intent=analysis.intent.name, text=prompt):
            stored = self._db.document(paths.recommendations(claim.uid)).get(["items"]).to_dict()
            skill = answer_from_recommendations((stored or {}).get("items"))
        if skill is not None:
            result = GenerationResult(
                text=skill.text,
                provider="skills",
                model=skill.skill,
                input_tokens=count_tokens(prompt),
                output_tokens=count_tokens(skill.text),
            )
            cost, conversation, interrupted = 0.0, None, False
        else:
            result, conversation, interrupted = self._generate(claim)
            cost = self._generator.cost(result)
        usage = Usage(
            provider=result.provider,
            model=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_ms=int((time.monotonic() - started) * 1000),
            cost=cost,
        )
        fields = analysis.to_turn_fields()
        if interrupted:  # a streaming write failed: stopped by its owner, or the claim is lost
            text = result.text.strip()
            outcome = self._settle_lost_write(claim, response=text, analysis=fields, usage=usage)
        else:
            text = result.text.strip() or "Sorry, I have no answer to that."
            with _span("turn.complete"):
                completed = turns.complete_turn(
                    db=self._db,
                    claim=claim,
                    response=text,
                    analysis=fields,
                    usage=usage,
                    state=TurnState.COMPLETED,
                    now=self._clock(),
                )
            outcome = (
                TurnOutcome.COMPLETED
                if completed
                else self._settle_lost_write(claim, response=text, analysis=fields, usage=usage)
            )
        if outcome in (TurnOutcome.COMPLETED, TurnOutcome.STOPPED):
            self._update_conversation(claim, conversation, prompt=prompt, reply=text, usage=usage)
        return outcome

    def _settle_lost_write(
        self, claim: turns.Claim, *, response: str, analysis: dict[str, Any], usage: Usage
    ) -> TurnOutcome:
        """A write of ours failed: end the turn as STOPPED if its owner stopped it (one read and
        one write), else leave it to whoever holds it now."""
        with _span("turn.stop") as span:
            if not turns.stopped_by_owner(db=self._db, claim=claim):
                span.set_attribute("auraos.stopped", False)
                return TurnOutcome.SKIPPED
            stopped = turns.stop_turn(
                db=self._db,
                claim=claim,
                response=response,
                analysis=analysis,
                usage=usage,
                now=self._clock(),
            )
            span.set_attribute("auraos.stopped", stopped)
        log.info("turn stopped by its owner", extra={"turnId": claim.turn_id, "ended": stopped})
        return TurnOutcome.STOPPED if stopped else TurnOutcome.SKIPPED

    def _generate(self, claim: turns.Claim) -> tuple[GenerationResult, Conversation, bool]:
        """Stream the model's reply into the turn: (result, the conversation as read, whether a
        streaming write failed, which stopped the provider's stream where it was)."""
        with _span("turn.context") as span:
            context = load_context(
                db=self._db,
                uid=claim.uid,
                cid=claim.cid,
                turn_id=claim.turn_id,
                turn=claim.turn,
                max_turns=self._settings.history_turns,
                token_budget=self._settings.history_token_budget,
            )
            span.set_attribute("auraos.history_messages", len(context.history))
        if context.branched:  # the path's own turns; the running summary is the main thread's
            earlier, window = context.path_summary, context.history
        else:
            earlier, window = stable_window(
                history=context.history,
                summary=context.conversation.summary,
                completed_turns=context.conversation.usage.turns,
                block=self._settings.history_turns,
            )
        system = SYSTEM_PROMPT + f" Today is {self._clock():%A %d %B %Y}."
        if earlier:
            system += f"\nEarlier in this conversation:\n{earlier}"
        request = GenerationRequest(
            system=system,
            messages=(*window, ChatMessage(role=Role.USER, content=claim.turn.prompt)),
            max_tokens=self._settings.max_output_tokens,
        )
        streamed: list[str] = []
        state = {"last_write": 0.0, "lost": False}

        with _span("turn.generate") as generation:

            def on_delta(piece: str) -> bool:
                if not streamed:
                    generation.add_event("first_token")
                streamed.append(piece)
                now = time.monotonic()
                if now - state["last_write"] >= self._settings.stream_interval_s:
                    state["last_write"] = now
                    with _span("turn.stream_write"):
                        written = turns.stream_partial(
                            db=self._db,
                            claim=claim,
                            response="".join(streamed),
                            now=self._clock(),
                            lease=self._settings.lease,
                        )
                    if not written:
                        state["lost"] = True
                        return False
                return True

            result = self._generator.generate(
                request, on_delta, preferred_model=context.conversation.settings.model
            )
            generation.set_attributes(
                {
                    "gen_ai.system": result.provider,
                    "gen_ai.response.model": result.model,
                    "gen_ai.usage.input_tokens": result.input_tokens,
                    "gen_ai.usage.output_tokens": result.output_tokens,
                }
            )
        return result, context.conversation, bool(state["lost"])

    def _update_conversation(
        self,
        claim: turns.Claim,
        known: Conversation | None,
        *,
        prompt: str,
        reply: str,
        usage: Usage,
    ) -> None:
        """Title is set when the turn was queued; here the summary, updatedAt and usage totals."""
        ref = self._db.document(paths.conversation(claim.uid, claim.cid))
        if known is None:  # skills answer without loading context: read just what is needed
            known = Conversation.from_document(ref.get(["summary", "usage.turns"]).to_dict() or {})
        update: dict[str, Any] = {"updatedAt": self._clock()}
        if reply:  # a turn stopped before its first token adds nothing to remember
            update["summary"] = extend_summary(
                known.summary, number=known.usage.turns + 1, prompt=prompt, reply=reply
            )
        try:
            # An update, never a merge: a conversation its owner deleted mid-turn stays deleted.
            ref.update(
                {
                    **update,
                    "usage.turns": firestore.Increment(1),
                    "usage.inputTokens": firestore.Increment(usage.input_tokens),
                    "usage.outputTokens": firestore.Increment(usage.output_tokens),
                    "usage.cost": firestore.Increment(usage.cost),
                }
            )
        except gexc.NotFound:
            log.info("conversation gone before its turn ended", extra={"turnId": claim.turn_id})

    def _fail(self, claim: turns.Claim, code: str, message: str) -> None:
        turns.fail_turn(
            db=self._db, claim=claim, error=TurnError(code=code, message=message), now=self._clock()
        )

    def _release(self, claim: turns.Claim) -> None:
        """Give the turn back to the queue so Pub/Sub's redelivery can claim it again."""
        turns.release_turn(db=self._db, claim=claim)
