"""What the providers' tool loops share: a streamed call, a round's usage, and the sum.

Each provider speaks its own wire format; the bookkeeping around the rounds is the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import GenerationRequest, GenerationResult, ToolInvocation, ToolResult, ToolRunner
from .tokens import count_request_tokens, count_tokens

log = logging.getLogger(__name__)


@dataclass
class StreamedCall:
    """One tool call as it streamed in: its arguments are the model's raw JSON text."""

    call_id: str = ""
    name: str = ""
    arguments: str = ""

    def parsed(self) -> dict[str, Any] | None:
        """The arguments as an object; None when the model's JSON does not parse to one."""
        try:
            value: Any = json.loads(self.arguments or "{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class Round:
    """What one streamed model call produced; usage None where the round was cut off before
    its provider reported it (then it is estimated)."""

    model: str
    pieces: list[str] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None


def run_streamed(call: StreamedCall, run_tool: ToolRunner) -> ToolResult:
    """The runner's result, or an error for the model when its arguments are not an object."""
    arguments = call.parsed()
    if arguments is None:
        log.info("model sent malformed tool arguments", extra={"tool": call.name})
        error = (
            f"the arguments were not a JSON object ({call.arguments[:200]!r}); "
            "call the tool again with valid JSON"
        )
        return ToolResult(
            call_id=call.call_id,
            name=call.name,
            content=json.dumps({"error": error}),
            is_error=True,
        )
    return run_tool(ToolInvocation(call_id=call.call_id, name=call.name, arguments=arguments))


def combined(
    request: GenerationRequest, rounds: Sequence[Round], *, provider: str
) -> GenerationResult:
    """The reply over all rounds: its text, the last model and finish, usage summed."""
    input_tokens = output_tokens = 0
    for turn in rounds:
        input_tokens += (
            turn.input_tokens if turn.input_tokens is not None else count_request_tokens(request)
        )
        output_tokens += (
            turn.output_tokens
            if turn.output_tokens is not None
            else count_tokens("".join(turn.pieces))
        )
    return GenerationResult(
        text="".join(piece for turn in rounds for piece in turn.pieces),
        provider=provider,
        model=rounds[-1].model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        finish_reason=rounds[-1].finish_reason,
    )
