"""A step's expectations against what the stack did: one `Check` per thing the step names."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .story import NO_TOOL, Expected, Fields, Pattern, StateCheck, Step, TimeSpec
from .timing import describe, local_text, time_matches

SLOT_FIELDS = frozenset({"tool", "args"})


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation: `what` (tool, args.dueAt, reply, state.reminders ...), both sides as
    text for the table, and whether it held."""

    what: str
    expected: str
    got: str
    ok: bool


@dataclass(frozen=True, slots=True)
class Observed:
    """What a turn came to, read from its document and its conversation after it ended."""

    state: str | None  # the turn's status.state; None: it never ended
    reply: str = ""
    intent: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    pending: str | None = None  # pendingAction.tool of the conversation afterwards
    error: str | None = None

    @property
    def first_call(self) -> Mapping[str, Any]:
        return self.tool_calls[0] if self.tool_calls else {}


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    zone: ZoneInfo


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mismatch(expected: Expected, actual: Any, ctx: Context, path: str = "") -> str | None:
    """None when `actual` satisfies `expected`; else where and how it does not."""
    want = expected.root
    if isinstance(want, TimeSpec):
        return _time_mismatch(want, actual, ctx, path)
    if isinstance(want, Pattern):
        return _pattern_mismatch(want, actual, path)
    if isinstance(want, dict):
        return _mapping_mismatch(want, actual, ctx, path)
    if isinstance(want, tuple):
        return _list_mismatch(want, actual, ctx, path)
    if _scalar_equal(want, actual):
        return None
    return f"{path or 'value'}: expected {want!r}, got {_short(actual)}"


def _time_mismatch(want: TimeSpec, actual: Any, ctx: Context, path: str) -> str | None:
    if time_matches(want, actual, now=ctx.now, zone=ctx.zone):
        return None
    got = local_text(actual, zone=ctx.zone)
    return f"{path or 'value'}: expected {describe(want, zone=ctx.zone)}, got {got}"


def _pattern_mismatch(want: Pattern, actual: Any, path: str) -> str | None:
    text = actual if isinstance(actual, str) else "" if actual is None else str(actual)
    if re.search(want.regex, text, re.IGNORECASE | re.DOTALL):
        return None
    return f"{path or 'value'}: expected /{want.regex}/, got {_short(actual)}"


def _mapping_mismatch(want: Fields, actual: Any, ctx: Context, path: str) -> str | None:
    if not isinstance(actual, Mapping):
        return f"{path or 'value'}: expected a mapping, got {_short(actual)}"
    for key, value in want.items():
        inner = f"{path}.{key}" if path else key
        if key not in actual:
            if value.root is None:
                continue
            return f"{inner}: missing (have {', '.join(sorted(actual)) or 'nothing'})"
        problem = mismatch(value, actual[key], ctx, inner)
        if problem:
            return problem
    return None


def _list_mismatch(want: tuple[Expected, ...], actual: Any, ctx: Context, path: str) -> str | None:
    if not isinstance(actual, Sequence) or isinstance(actual, str) or len(actual) != len(want):
        return f"{path or 'value'}: expected {len(want)} item(s), got {_short(actual)}"
    for index, (item, got_item) in enumerate(zip(want, actual, strict=True)):
        problem = mismatch(item, got_item, ctx, f"{path}[{index}]")
        if problem:
            return problem
    return None


def _scalar_equal(want: Any, actual: Any) -> bool:
    if want is None or isinstance(want, bool) or isinstance(actual, bool):
        return bool(want is actual or (want == actual and type(want) is type(actual)))
    if isinstance(want, str):
        return isinstance(actual, str) and _norm(want) == _norm(actual)
    if isinstance(want, int | float) and isinstance(actual, int | float):
        return math.isclose(want, actual, rel_tol=1e-9, abs_tol=1e-9)
    return bool(want == actual)


def _fields_check(what: str, want: Fields, actual: Any, ctx: Context) -> Check:
    problem = mismatch(Expected(want), actual, ctx)
    shown = ", ".join(f"{k}={_show(v, ctx)}" for k, v in want.items())
    return Check(what, shown, problem or "as expected", problem is None)


def _show(value: Expected, ctx: Context) -> str:
    want = value.root
    if isinstance(want, TimeSpec):
        return describe(want, zone=ctx.zone)
    if isinstance(want, Pattern):
        return f"/{want.regex}/"
    if isinstance(want, dict):
        return "{" + ", ".join(f"{k}={_show(v, ctx)}" for k, v in want.items()) + "}"
    if isinstance(want, tuple):
        return "[" + ", ".join(_show(v, ctx) for v in want) + "]"
    return repr(want)


def check_step(step: Step, seen: Observed, ctx: Context) -> list[Check]:
    """The turn-level checks of `step` (its state checks are `check_state`'s)."""
    checks = [Check("turn", step.turn, _turn_text(seen), seen.state == step.turn)]
    if seen.state is None:
        return checks
    call = seen.first_call
    if step.intent is not None:
        checks.append(Check("intent", step.intent, str(seen.intent), seen.intent == step.intent))
    if step.tool is not None:
        got = str(call.get("name", NO_TOOL))
        checks.append(Check("tool", step.tool, got, got == step.tool))
    if step.status is not None:
        got = str(call.get("status"))
        checks.append(Check("status", step.status, got, got == step.status))
    if step.args is not None:
        checks.append(_fields_check("args", step.args, call.get("args") or {}, ctx))
    if step.result is not None:
        checks.append(_fields_check("result", step.result, call.get("result") or {}, ctx))
    if step.reply is not None:
        ok = re.search(step.reply, seen.reply, re.IGNORECASE | re.DOTALL) is not None
        checks.append(Check("reply", f"/{step.reply}/", _short(seen.reply, 200), ok))
    if step.pending is not None:
        got = seen.pending or NO_TOOL
        checks.append(Check("pending", step.pending, got, got == step.pending))
    return checks


def _turn_text(seen: Observed) -> str:
    if seen.state is None:
        return "no terminal status (timed out)"
    return f"{seen.state}: {seen.error}" if seen.error else seen.state


def check_state(
    check: StateCheck, documents: Sequence[Mapping[str, Any]], ctx: Context, *, label: str
) -> Check:
    """Whether `documents` (the collection's) has the documents `check` asks for."""
    matching = [doc for doc in documents if mismatch(Expected(check.where), doc, ctx) is None]
    wanted = f"{'≥1' if check.count is None else check.count} where " + (
        ", ".join(f"{k}={_show(v, ctx)}" for k, v in check.where.items()) or "anything"
    )
    ok = len(matching) >= 1 if check.count is None else len(matching) == check.count
    got = f"{len(matching)} of {len(documents)}"
    if not ok and documents and not matching:
        nearest = mismatch(Expected(check.where), documents[0], ctx)
        got += f" (first: {nearest})"
    return Check(f"{label}.{check.collection}", wanted, got, ok)


@dataclass(frozen=True, slots=True)
class StepResult:
    """A played step: what it said, the checks made, and what the turn was (for reports)."""

    story: str
    index: int  # 1-based; 0 for the story's final-state row
    utterance: str
    checks: tuple[Check, ...]
    expects_call: bool
    reply: str = ""
    turn_path: str | None = None
    seconds: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def slots_filled(self) -> bool:
        """The tool name and every expected argument matched (False for a step without a call)."""
        relevant = [c for c in self.checks if c.what in SLOT_FIELDS]
        return self.expects_call and bool(relevant) and all(c.ok for c in relevant)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)
