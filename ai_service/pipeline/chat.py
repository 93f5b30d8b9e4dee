"""One chat turn: claim -> moderate -> understand -> skill or model -> stream -> complete."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore
from opentelemetry.trace import Span

from shared.errors import InvalidInput, Transient
from shared.events import ChatRequested
from shared.models.assistant import PendingAction, ToolCall
from shared.models.chat import Conversation, TurnError, TurnState, Usage
from shared.models.flags import FeatureFlags
from shared.tracing import tracer

from .. import domain
from ..generation.base import (
    ChatMessage,
    GenerationRequest,
    GenerationResult,
    OnDelta,
    ProviderError,
    Role,
    ToolRunner,
)
from ..generation.tokens import count_tokens
from ..memory.service import MemoryService, acknowledge
from ..nlu.analysis import Analyzer, Embedder
from ..stores.assistant import TurnSetting
from ..stores.conversations import ConversationStore
from ..stores.memory import MemoryStore, StoredMemory
from ..stores.turns import Claim, TurnAnswer, TurnStore
from ..tools.planner import CAPABILITIES
from ..tools.registry import ToolContext
from ..tools.service import ToolAnswer, ToolTurns
from .context import extend_summary, load_context, rebased_window, stable_window
from .moderation import moderate

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Aura, the assistant inside AuraOS. Answer in one to three short sentences, plainly "
    "and kindly. Never invent live or personal data (weather, news, prices, the user's calendar); "
    "say you don't have it. If unsure, say so. What you can do, and nothing more: "
    + CAPABILITIES
    + " Anything else (booking, ordering, calling, messaging, payments, music), say you can't "
    "do yet."
)
TOOLS_PROMPT = (
    " Use the tools for the user's reminders, lists, notes, calendar, the time and arithmetic; "
    "report what a tool returned and never claim an action no tool confirmed."
)
# Every turn's system text starts so: the local model reads it into its slots at load.
STANDING_SYSTEM_PROMPT = SYSTEM_PROMPT + TOOLS_PROMPT

SKILLS_PROVIDER = "skills"  # a turn answered without a model: a tool, or a fixed answer
PAUSED_MESSAGE = "Chat is paused for maintenance. Please try again in a little while."
UNEXPECTED_FAILURE_MESSAGE = "Something went wrong while answering. Please try again."


class ReplyGenerator(Protocol):
    """The provider router, as the pipeline sees it."""

    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None,
        run_tool: ToolRunner | None = None,
    ) -> GenerationResult: ...

    def cost(self, result: GenerationResult) -> float: ...

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None: ...


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
        tools: ToolTurns,
        memory: MemoryStore | None = None,
        embedder: Embedder | None = None,
        flags: Callable[[], FeatureFlags] = FeatureFlags,
    ) -> None:
        self._turns = TurnStore(db)
        self._conversations = ConversationStore(db)
        self._tools = tools
        self._memory = memory
        self._embedder = embedder
        self._flags = flags
        self._analyzer = analyzer
        self._generator = generator
        self._settings = settings
        self._clock = clock

    def run(self, *, message: ChatRequested, event_id: str) -> TurnOutcome:
        """Process one delivery of a ChatRequested message; safe to call any number of times."""
        with _span("turn.claim") as span:
            claim = self._claim(message, event_id=event_id)
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

    def _claim(self, message: ChatRequested, *, event_id: str) -> Claim | None:
        """Claim the message's turn for its attempt: one read and one conditional write; None
        when it is not ours to take (taken, ended, stale, or no turn at all)."""
        try:
            ref = message.turn
        except InvalidInput:
            return None  # ids that can name no turn: nothing here to claim
        stored = self._turns.read_queued(ref=ref)
        if stored is None or not domain.claimable(stored.turn, attempt=message.attempt):
            return None
        status = domain.claimed_status(
            attempt=message.attempt,
            event_id=event_id,
            now=self._clock(),
            lease=self._settings.lease,
        )
        return self._turns.claim(stored=stored, status=status)

    def _answer(self, claim: Claim) -> TurnOutcome:
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
            domain.require_move(claim.state, TurnState.BLOCKED)
            if self._turns.complete(
                claim=claim,
                response=verdict.reply,
                answer=None,
                usage=usage,
                state=TurnState.BLOCKED,
                now=self._clock(),
            ):
                return TurnOutcome.BLOCKED
            return self._settle_lost_write(claim, response="", answer=None, usage=usage)
        with _span("turn.nlu") as span:
            analysis = self._analyzer.analyze([prompt])[0]
            span.set_attribute("auraos.intent", analysis.intent.name)
        now = self._clock()
        setting, memory, tool_ctx, answer = self._answer_without_model(
            claim, prompt=prompt, intent=analysis.intent.name, now=now
        )
        if answer is not None:
            result = GenerationResult(
                text=answer.text,
                provider=SKILLS_PROVIDER,
                model=answer.kind,
                input_tokens=count_tokens(prompt),
                output_tokens=count_tokens(answer.text),
            )
            cost, conversation, interrupted = 0.0, setting.conversation, False
            calls, pending, memory_ids = answer.calls, answer.pending, answer.memory_ids
        else:
            recalled = self._recall(memory, uid=claim.ref.uid, embedding=analysis.embedding)
            result, conversation, interrupted, calls, pending = self._generate(
                claim, tool_ctx, setting, recalled
            )
            cost = self._generator.cost(result)
            memory_ids = tuple(stored.id for stored in recalled)
        self._tools.keep_pending(
            uid=claim.ref.uid, cid=claim.ref.conversation_id, before=setting.pending, after=pending
        )
        usage = Usage(
            provider=result.provider,
            model=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_ms=int((time.monotonic() - started) * 1000),
            cost=cost,
        )
        answered = TurnAnswer(
            intent=analysis.intent,
            sentiment=analysis.sentiment,
            entities=analysis.entities,
            tool_calls=calls,
            memory_ids=memory_ids,
            embedding=analysis.embedding,
        )
        if interrupted:  # a streaming write failed: stopped by its owner, or the claim is lost
            text = result.text.strip()
            outcome = self._settle_lost_write(claim, response=text, answer=answered, usage=usage)
        else:
            text = result.text.strip() or "Sorry, I have no answer to that."
            domain.require_move(claim.state, TurnState.COMPLETED)
            with _span("turn.complete"):
                completed = self._turns.complete(
                    claim=claim,
                    response=text,
                    answer=answered,
                    usage=usage,
                    state=TurnState.COMPLETED,
                    now=self._clock(),
                )
            outcome = (
                TurnOutcome.COMPLETED
                if completed
                else self._settle_lost_write(claim, response=text, answer=answered, usage=usage)
            )
        if outcome in (TurnOutcome.COMPLETED, TurnOutcome.STOPPED):
            summary = self._update_conversation(
                claim, conversation, prompt=prompt, reply=text, usage=usage
            )
            if memory is not None and memory_ids:
                memory.mark_used(uid=claim.ref.uid, memory_ids=memory_ids, now=now)
            if outcome is TurnOutcome.COMPLETED and summary and conversation is not None:
                self._read_ahead(setting, conversation, summary=summary, prompt=prompt, reply=text)
        return outcome

    def _answer_without_model(
        self, claim: Claim, *, prompt: str, intent: str, now: datetime
    ) -> tuple[TurnSetting, MemoryService | None, ToolContext, ToolAnswer | None]:
        """The turn's setting, memory and tools, and the answer a tool or a memory gives (None
        leaves the turn to the model). What the prompt states is learned first, so that
        "Actually I moved to Lisbon" is remembered whatever answers it."""
        ref = claim.ref
        setting = self._tools.setting(uid=ref.uid, cid=ref.conversation_id)
        memory = self._memory_for(setting)
        tool_ctx = self._tools.context(
            uid=ref.uid,
            cid=ref.conversation_id,
            turn_id=ref.turn_id,
            time_zone=setting.time_zone,
            now=now,
            memory=memory,
        )
        learned: list[StoredMemory] = []
        if memory is not None:
            with _span("turn.memory.learn") as span:
                learned = memory.learn(uid=ref.uid, text=prompt, source_turn=ref.path, now=now)
                span.set_attribute("auraos.learned", len(learned))
        with _span("turn.tools") as span:
            answer = self._tools.answer(
                tool_ctx, text=prompt, intent=intent, pending=setting.pending
            )
            if answer is None and memory is not None:
                answer = _from_memory(memory, uid=ref.uid, prompt=prompt, learned=learned)
            span.set_attribute("auraos.tool", answer.kind if answer else "")
        return setting, memory, tool_ctx, answer

    def _memory_for(self, setting: TurnSetting) -> MemoryService | None:
        """Memory for this turn: only with the user's personalisation consent and an encoder."""
        if not domain.may_personalise(setting.consent):
            return None
        if self._memory is None or self._embedder is None:
            return None
        return MemoryService(store=self._memory, embedder=self._embedder)

    def _recall(
        self, memory: MemoryService | None, *, uid: str, embedding: tuple[float, ...] | None
    ) -> list[StoredMemory]:
        if memory is None or embedding is None:
            return []
        with _span("turn.memory.recall") as span:
            recalled = memory.recall(uid=uid, vector=embedding)
            span.set_attribute("auraos.recalled", len(recalled))
        return recalled

    def _settle_lost_write(
        self, claim: Claim, *, response: str, answer: TurnAnswer | None, usage: Usage
    ) -> TurnOutcome:
        """A write of ours failed: end the turn as STOPPED if its owner stopped it (one read and
        one write), else leave it to whoever holds it now."""
        with _span("turn.stop") as span:
            seen = self._turns.status(claim=claim)
            if seen is None or not domain.stopped_by_owner(
                seen.status, event_id=claim.event_id, attempt=claim.attempt
            ):
                span.set_attribute("auraos.stopped", False)
                return TurnOutcome.SKIPPED
            # The owner's STOP changed the document: adopt its update time to end the turn.
            claim.version, claim.state = seen.version, TurnState.STOP
            domain.require_move(claim.state, TurnState.STOPPED)
            stopped = self._turns.stop(
                claim=claim,
                response=response,
                answer=answer,
                usage=usage,
                now=self._clock(),
            )
            span.set_attribute("auraos.stopped", stopped)
        log.info("turn stopped by its owner", extra={"turnId": claim.ref.turn_id, "ended": stopped})
        return TurnOutcome.STOPPED if stopped else TurnOutcome.SKIPPED

    def _generate(
        self,
        claim: Claim,
        tool_ctx: ToolContext,
        setting: TurnSetting,
        recalled: Sequence[StoredMemory],
    ) -> tuple[GenerationResult, Conversation, bool, tuple[ToolCall, ...], PendingAction | None]:
        """Stream the model's reply into the turn: (result, the conversation as read, whether a
        streaming write failed, which stopped the provider's stream where it was, the tools the
        model called, and what they left pending)."""
        with _span("turn.context") as span:
            context = load_context(
                store=self._conversations,
                ref=claim.ref,
                turn=claim.turn,
                max_turns=self._settings.history_turns,
                token_budget=self._settings.history_token_budget,
                conversation=setting.conversation,
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
        session = self._tools.for_model(tool_ctx)
        request = GenerationRequest(
            system=self._system_text(setting, recalled=recalled, earlier=earlier),
            messages=(*window, ChatMessage(role=Role.USER, content=claim.turn.prompt)),
            max_tokens=self._settings.max_output_tokens,
            tools=session.specs,
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
                    domain.require_move(claim.state, TurnState.STREAMING)
                    with _span("turn.stream_write"):
                        written = self._turns.stream_partial(
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
                request,
                on_delta,
                preferred_model=context.conversation.settings.model,
                run_tool=session.runner,
            )
            generation.set_attributes(
                {
                    "gen_ai.system": result.provider,
                    "gen_ai.response.model": result.model,
                    "gen_ai.usage.input_tokens": result.input_tokens,
                    "gen_ai.usage.output_tokens": result.output_tokens,
                }
            )
        return result, context.conversation, bool(state["lost"]), session.calls, session.pending

    def _system_text(
        self, setting: TurnSetting, *, recalled: Sequence[StoredMemory], earlier: str | None
    ) -> str:
        local_now = self._clock().astimezone(ZoneInfo(setting.time_zone))
        # The day, not the minute: the clock sits before the conversation in the prompt, and a
        # minute's change made every conversation's next prompt miss the model's prompt cache.
        # The time itself is the time tool's; "in two hours" is read on the server's clock.
        system = (
            STANDING_SYSTEM_PROMPT + f" Today is {local_now:%A %d %B %Y} ({setting.time_zone})."
        )
        if recalled:
            known = "\n".join(f"- {stored.memory.text}" for stored in recalled)
            system += f"\nWhat the user told you before (use it only where it helps):\n{known}"
        if earlier:
            system += f"\nEarlier in this conversation:\n{earlier}"
        return system

    def _read_ahead(
        self,
        setting: TurnSetting,
        conversation: Conversation,
        *,
        summary: str,
        prompt: str,
        reply: str,
    ) -> None:
        """When the next turn re-bases its window, have the model read that turn's prompt up to
        its message now, while the user reads this reply: that turn would otherwise re-read the
        whole conversation (measured: 180 prompt tokens, 2.5 s, every `history_turns` turns).

        Memories the next message recalls are not known yet: a turn that recalls some does not
        extend the read-ahead (idle work lost; the slot it took was saved to the host cache)."""
        if conversation.branches:  # a branch's prompt follows its path, not the running summary
            return
        upcoming = rebased_window(
            summary=summary,
            prompt=prompt,
            reply=reply,
            completed_turns=conversation.usage.turns + 1,
            block=self._settings.history_turns,
        )
        if upcoming is None:
            return
        earlier, window = upcoming
        request = GenerationRequest(
            system=self._system_text(setting, recalled=(), earlier=earlier),
            messages=window,
            max_tokens=1,
        )
        self._generator.read_ahead(request, preferred_model=conversation.settings.model)

    def _update_conversation(
        self,
        claim: Claim,
        known: Conversation | None,
        *,
        prompt: str,
        reply: str,
        usage: Usage,
    ) -> str | None:
        """The summary, updatedAt and usage totals, and the title a conversation's first
        answered turn gives it. The summary written, None where there was none to write or the
        conversation is gone."""
        if known is None:  # not read earlier in the turn: read just what is needed
            known = self._conversations.summary(turn=claim.ref)
        summary = None
        if reply:  # a turn stopped before its first token adds nothing to remember
            summary = extend_summary(
                known.summary, number=known.usage.turns + 1, prompt=prompt, reply=reply
            )
        if not self._conversations.record_turn(
            turn=claim.ref,
            summary=summary,
            usage=usage,
            now=self._clock(),
            title=domain.title_to_set(known, prompt=prompt),
            created=known.created_at is not None,
        ):
            log.info("conversation gone before its turn ended", extra={"turnId": claim.ref.turn_id})
            return None
        return summary

    def _fail(self, claim: Claim, code: str, message: str) -> None:
        if not self._may_move(claim, TurnState.ERROR):
            return
        self._turns.fail(
            claim=claim, error=TurnError(code=code, message=message), now=self._clock()
        )

    def _release(self, claim: Claim) -> None:
        """Give the turn back to the queue so Pub/Sub's redelivery can claim it again."""
        if self._may_move(claim, TurnState.QUEUED):
            self._turns.release(claim=claim)

    @staticmethod
    def _may_move(claim: Claim, target: TurnState) -> bool:
        """Whether an error path may still move the turn (one that ended stays ended)."""
        if domain.may_move(claim.state, target):
            return True
        log.warning(
            "turn already ended; left as it is",
            extra={"turnId": claim.ref.turn_id, "state": claim.state.value, "to": target.value},
        )
        return False


def _from_memory(
    memory: MemoryService, *, uid: str, prompt: str, learned: Sequence[StoredMemory]
) -> ToolAnswer | None:
    """A question a memory answers, or a statement just learned, answered without a model."""
    answered = memory.answer(uid=uid, text=prompt)
    if answered is not None:
        return ToolAnswer(
            text=answered.text,
            kind="memory",
            memory_ids=tuple(stored.id for stored in answered.memories),
        )
    if learned and "?" not in prompt:
        return ToolAnswer(text=acknowledge(learned), kind="memory")
    return None
