"""A turn's tools: the NLU path's deterministic answer, or a runner for a provider's calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.models.assistant import PendingAction, ToolCall, ToolCallStatus

from ..generation.base import ToolRunner, ToolSpec
from ..memory.service import MemoryService
from ..nlu.analysis import Embedder
from ..stores.assistant import AssistantStore, TurnSetting
from .builtin import default_registry
from .planner import Ask, Call, Say, plan_turn
from .registry import Executed, ToolContext, ToolRegistry


@dataclass(frozen=True, slots=True)
class ToolAnswer:
    """A turn answered without a model: the reply, what was done, what is now pending."""

    text: str
    kind: str  # the tool's name, or "capabilities" / "cannot" / "declined"
    calls: tuple[ToolCall, ...] = ()
    pending: PendingAction | None = None
    memory_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class ModelToolSession:
    """The tools offered to a provider for one turn, and the calls it made."""

    specs: tuple[ToolSpec, ...]
    runner: ToolRunner
    executed: list[Executed] = field(default_factory=list)

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(done.record for done in self.executed)

    @property
    def pending(self) -> PendingAction | None:
        for done in reversed(self.executed):
            if done.output.pending is not None:
                return done.output.pending
        return None


class ToolTurns:
    def __init__(
        self,
        *,
        store: AssistantStore,
        registry: ToolRegistry | None = None,
        embedder: Embedder | None = None,
        weather_configured: bool = False,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._registry = registry or default_registry()
        self._weather_configured = weather_configured

    def setting(self, *, uid: str, cid: str) -> TurnSetting:
        return self._store.turn_setting(uid=uid, cid=cid)

    def context(
        self,
        *,
        uid: str,
        cid: str,
        turn_id: str,
        time_zone: str,
        now: datetime,
        memory: MemoryService | None = None,
    ) -> ToolContext:
        return ToolContext(
            uid=uid,
            cid=cid,
            turn_id=turn_id,
            time_zone=time_zone,
            now=now,
            store=self._store,
            weather_configured=self._weather_configured,
            memory=memory,
            embedder=self._embedder,
        )

    def answer(
        self, ctx: ToolContext, *, text: str, intent: str, pending: PendingAction | None
    ) -> ToolAnswer | None:
        """The deterministic answer to this turn, or None when the model should answer."""
        plan = plan_turn(text=text, intent=intent, pending=pending)
        if plan is None:
            return None
        if isinstance(plan, Say):
            return ToolAnswer(text=plan.text, kind=plan.kind)
        if isinstance(plan, Ask):
            asked = PendingAction(
                tool=plan.tool,
                args=plan.args,
                missing=plan.missing,
                question=plan.question,
                turn_id=ctx.turn_id,
                created_at=ctx.now,
            )
            record = ToolCall(
                name=plan.tool,
                args=plan.args,
                status=ToolCallStatus.NEEDS_INPUT,
                result={"missing": plan.missing},
            )
            return ToolAnswer(text=plan.question, kind=plan.tool, calls=(record,), pending=asked)
        assert isinstance(plan, Call)
        ctx.confirmed = plan.confirmed
        done = self._registry.call(ctx, plan.tool, plan.args)
        if plan.soft and done.record.status is ToolCallStatus.ERROR:
            return None  # the rule matched loosely; let the model answer instead
        return ToolAnswer(
            text=done.output.say,
            kind=plan.tool,
            calls=(done.record,),
            pending=done.output.pending,
        )

    def for_model(self, ctx: ToolContext) -> ModelToolSession:
        executed: list[Executed] = []
        return ModelToolSession(
            specs=self._registry.specs(),
            runner=self._registry.runner(ctx, executed),
            executed=executed,
        )

    def keep_pending(
        self, *, uid: str, cid: str, before: PendingAction | None, after: PendingAction | None
    ) -> None:
        """Store the conversation's new pending action (or drop the old one); no write when
        nothing changed."""
        if before == after:
            return
        self._store.set_pending(uid=uid, cid=cid, pending=after)
