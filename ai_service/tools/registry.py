"""One registry of tools: typed arguments (JSON Schema from the shared models), one way to run
a call, one record of it on the turn (`toolCalls`).

A tool touches only its caller's data (the context names the user), validates its input like a
callable, and is idempotent per turn: what call number n of a turn creates has an id derived
from the turn's path and n, so a redelivered or retried turn writes the same document again
instead of a second one. Destructive tools act only on a confirmation the user gave in a turn
of their own (`ToolContext.confirmed`), never on a model's say-so.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from shared import paths
from shared.errors import AuraError
from shared.models.assistant import PendingAction, ToolCall, ToolCallStatus

from ..generation.base import ToolInvocation, ToolResult, ToolSpec
from ..memory.service import MemoryService
from ..nlu.analysis import Embedder
from ..stores.assistant import AssistantStore

log = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseModel)


class ToolFailure(AuraError):
    """A tool could not do what was asked (nothing matched, a time has passed): said to the
    user, or to the model, as it is."""

    code = "failed-precondition"


@dataclass(slots=True)
class ToolContext:
    """Whose data a turn's tools act on, and when and where "now" is."""

    uid: str
    cid: str
    turn_id: str
    time_zone: str
    now: datetime
    store: AssistantStore
    # True only while running an action the user confirmed with their own "yes".
    confirmed: bool = False
    weather_configured: bool = False
    # None unless the user turned personalisation on: nothing is remembered without it.
    memory: MemoryService | None = None
    # The encoder, for notes' vectors (None with the baseline analyzer: keyword search only).
    embedder: Embedder | None = None
    _calls: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def turn_path(self) -> str:
        return paths.turn(self.uid, self.cid, self.turn_id)

    def new_item_id(self) -> str:
        """The id for the next document this turn creates (the same on every redelivery)."""
        return paths.tool_item_id(self.turn_path, next(self._calls))


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool did: a status, a result for the record and the model, the reply to say."""

    status: ToolCallStatus
    say: str
    result: Mapping[str, Any] = field(default_factory=dict)
    # Resolved arguments worth recording (e.g. the dueAt that "at 6pm" became).
    resolved: Mapping[str, Any] = field(default_factory=dict)
    pending: PendingAction | None = None


@dataclass(frozen=True, slots=True)
class Tool(Generic[A]):
    name: str
    args: type[A]
    run: Callable[[ToolContext, A], ToolOutput]

    @property
    def description(self) -> str:
        return " ".join((self.args.__doc__ or self.name).split())

    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name, description=self.description, parameters=self.args.model_json_schema()
        )


@dataclass(frozen=True, slots=True)
class Executed:
    """One call, run: its record for the turn and its output."""

    record: ToolCall
    output: ToolOutput


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool[Any]]) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"tool {tool.name!r} registered twice")
            self._tools[tool.name] = tool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(tool.spec() for tool in self._tools.values())

    def call(self, ctx: ToolContext, name: str, arguments: Mapping[str, Any]) -> Executed:
        """Validate and run one call; a bad call or a failing tool is an `error` record, never
        an exception (the model or the user reads what went wrong)."""
        tool = self._tools.get(name)
        if tool is None:
            return _failed(name, dict(arguments), f"There is no tool named {name!r}.")
        try:
            args = tool.args.model_validate(dict(arguments))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in issue['loc']) or 'arguments'}: {issue['msg']}"
                for issue in error.errors()
            )
            return _failed(name, dict(arguments), f"Invalid arguments: {problems}")
        recorded = args.model_dump(by_alias=True, exclude_none=True, mode="json")
        try:
            output = tool.run(ctx, args)
        except ToolFailure as failure:
            return _failed(name, recorded, failure.message)
        record = ToolCall(
            name=name,
            args=_json_safe({**recorded, **output.resolved}),
            status=output.status,
            result=_json_safe(dict(output.result)),
        )
        log.info("tool ran", extra={"tool": name, "status": output.status.value})
        return Executed(record=record, output=output)

    def runner(self, ctx: ToolContext, executed: list[Executed]) -> Callable[..., ToolResult]:
        """A provider's ToolRunner over this registry; every call is appended to `executed`."""

        def run_tool(invocation: ToolInvocation) -> ToolResult:
            done = self.call(ctx, invocation.name, invocation.arguments)
            executed.append(done)
            payload = {
                "status": done.record.status.value,
                "message": done.output.say,
                **(done.record.result or {}),
            }
            return ToolResult(
                call_id=invocation.call_id,
                name=invocation.name,
                content=json.dumps(payload, default=str),
                is_error=done.record.status is ToolCallStatus.ERROR,
            )

        return run_tool


def _failed(name: str, args: dict[str, Any], message: str) -> Executed:
    record = ToolCall(
        name=name[:64] or "unknown",
        args=_json_safe(args),
        status=ToolCallStatus.ERROR,
        result={"error": message},
    )
    return Executed(record=record, output=ToolOutput(status=ToolCallStatus.ERROR, say=message))


def _json_safe(value: Mapping[str, Any]) -> dict[str, object]:
    """What Firestore and the PWA can hold: JSON types only (datetimes as ISO text)."""
    return dict(json.loads(json.dumps(dict(value), default=_encode)))


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
