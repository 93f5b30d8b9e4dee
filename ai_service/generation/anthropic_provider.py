"""Anthropic through the official SDK: a streamed Messages call, usage from its start and end.

With tools and a runner, a message that stops for `tool_use` gets the tools' results as
`tool_result` blocks in the next user turn and is asked again, at most MAX_TOOL_ROUNDS times; the
round after the last one has `tool_choice: none`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import anthropic
from anthropic.types import (
    AssistantMessageParam,
    MessageParam,
    TextBlockParam,
    ToolChoiceParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
    UserMessageParam,
)

from .base import (
    MAX_TOOL_ROUNDS,
    GenerationRequest,
    GenerationResult,
    OnDelta,
    ProviderError,
    Role,
    ToolResult,
    ToolRunner,
    ToolSpec,
)
from .provider_config import is_transient_status
from .tool_rounds import Round, StreamedCall, combined, run_streamed

log = logging.getLogger(__name__)

# Error types Anthropic sends as an `error` event inside a 200 stream that are worth a retry.
_TRANSIENT_STREAM_ERRORS = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
)


@dataclass
class _Round(Round):
    """What one streamed message produced, its `tool_use` blocks by content block index."""

    calls: dict[int, StreamedCall] = field(default_factory=dict)


class AnthropicProvider:
    """Streams one message. `temperature` is not sent: the current SDK no longer accepts it."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 20.0,
        name: str = "anthropic",
    ) -> None:
        self.name = name
        self._model = model
        # max_retries=0: retries and fallback belong to the router.
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def default_model(self) -> str:
        return self._model

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, run_tool: ToolRunner | None = None
    ) -> GenerationResult:
        model = request.model or self._model
        try:
            return self._converse(request, model, on_delta, run_tool)
        except anthropic.AnthropicError as error:
            raise self._map_error(error) from error

    def _converse(
        self,
        request: GenerationRequest,
        model: str,
        on_delta: OnDelta,
        run_tool: ToolRunner | None,
    ) -> GenerationResult:
        """Messages until one ends without tool use (or the round bound, or a cancel)."""
        tools = [_tool(spec) for spec in request.tools] if run_tool is not None else []
        system, messages = _messages(request)
        rounds: list[_Round] = []
        for number in range(1, MAX_TOOL_ROUNDS + 2):
            may_call = number <= MAX_TOOL_ROUNDS
            turn = self._stream(
                request,
                model,
                system=system,
                messages=messages,
                tools=tools,
                may_call=may_call,
                on_delta=on_delta,
            )
            rounds.append(turn)
            # A cancelled round's calls are not run: the caller asked to stop.
            if (
                run_tool is None
                or not may_call
                or not turn.calls
                or turn.finish_reason == "cancelled"
            ):
                break
            calls = [turn.calls[index] for index in sorted(turn.calls)]
            results = [run_streamed(call, run_tool) for call in calls]
            messages.append(_assistant_calls(turn, calls))
            messages.append(
                UserMessageParam(role="user", content=[_result_block(r) for r in results])
            )
        return combined(request, rounds, provider=self.name)

    def _stream(
        self,
        request: GenerationRequest,
        model: str,
        *,
        system: str,
        messages: list[MessageParam],
        tools: list[ToolParam],
        may_call: bool,
        on_delta: OnDelta,
    ) -> _Round:
        choice: ToolChoiceParam = {"type": "auto"} if may_call else {"type": "none"}
        # The raw event stream, not `messages.stream()`: its helper parses tool input as it
        # arrives and raises on malformed JSON, which must instead go back to the model.
        stream = self._client.messages.create(
            model=model,
            max_tokens=request.max_tokens,
            system=system if system else anthropic.omit,
            messages=messages,
            stream=True,
            # The tools stay listed after the last round: the history refers to them.
            tools=tools or anthropic.omit,
            tool_choice=choice if tools else anthropic.omit,
        )
        turn = _Round(model=model)
        with stream:
            for event in stream:
                if event.type == "message_start":
                    turn.model = event.message.model or turn.model
                    turn.input_tokens = event.message.usage.input_tokens
                elif event.type == "message_delta":
                    turn.output_tokens = event.usage.output_tokens
                    turn.finish_reason = event.delta.stop_reason or turn.finish_reason
                elif event.type == "content_block_start" and event.content_block.type == "tool_use":
                    block = event.content_block
                    turn.calls[event.index] = StreamedCall(call_id=block.id, name=block.name)
                elif event.type == "content_block_delta":
                    if event.delta.type == "input_json_delta" and event.index in turn.calls:
                        turn.calls[event.index].arguments += event.delta.partial_json
                    if event.delta.type != "text_delta" or not event.delta.text:
                        continue
                    piece = event.delta.text
                    turn.pieces.append(piece)
                    if not on_delta(piece):
                        # Leaving the `with` closes the response, so generation stops upstream.
                        turn.finish_reason = "cancelled"
                        break
        return turn

    def _map_error(self, error: anthropic.AnthropicError) -> ProviderError:
        retryable: bool
        status: int | None = None
        if isinstance(error, anthropic.APIConnectionError):  # includes APITimeoutError
            retryable = True
        elif isinstance(error, anthropic.APIStatusError):
            status = error.status_code
            if status < 400:
                # An `error` event in a 200 stream: judge it by its type, not the HTTP status.
                retryable = _stream_error_type(error.body) in _TRANSIENT_STREAM_ERRORS
            else:
                retryable = is_transient_status(status)
        else:
            retryable = False
        log.warning(
            "anthropic call failed",
            extra={"provider": self.name, "status": status, "error": type(error).__name__},
        )
        return ProviderError(
            f"anthropic: {type(error).__name__}" + (f" ({status})" if status else ""),
            provider=self.name,
            retryable=retryable,
        )


def _stream_error_type(body: object) -> str | None:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str):
            return str(error["type"])
    return None


def _tool(spec: ToolSpec) -> ToolParam:
    # Anthropic takes JSON Schema as it is (pydantic's included).
    return ToolParam(name=spec.name, description=spec.description, input_schema=spec.parameters)


def _assistant_calls(turn: _Round, calls: list[StreamedCall]) -> AssistantMessageParam:
    """The assistant turn as the model wrote it: its text (if any), then its tool_use blocks."""
    text = "".join(turn.pieces)
    content: list[TextBlockParam | ToolUseBlockParam] = (
        [TextBlockParam(type="text", text=text)] if text else []
    )
    content += [
        # Malformed input goes back as an empty object: the API wants one; the error says why.
        ToolUseBlockParam(type="tool_use", id=c.call_id, name=c.name, input=c.parsed() or {})
        for c in calls
    ]
    return AssistantMessageParam(role="assistant", content=content)


def _result_block(result: ToolResult) -> ToolResultBlockParam:
    return ToolResultBlockParam(
        type="tool_result",
        tool_use_id=result.call_id,
        content=result.content,
        is_error=result.is_error,
    )


def _messages(request: GenerationRequest) -> tuple[str, list[MessageParam]]:
    """Anthropic takes the system prompt apart and wants alternating user/assistant turns."""
    system_parts = [request.system] if request.system else []
    turns: list[tuple[Literal["user", "assistant"], list[str]]] = []
    for message in request.messages:
        if message.role is Role.SYSTEM:
            system_parts.append(message.content)
            continue
        speaker: Literal["user", "assistant"] = "user" if message.role is Role.USER else "assistant"
        if turns and turns[-1][0] == speaker:
            # Consecutive turns of one speaker (e.g. after a failed reply) are merged into one.
            turns[-1][1].append(message.content)
        else:
            turns.append((speaker, [message.content]))
    messages: list[MessageParam] = [
        UserMessageParam(role="user", content="\n\n".join(parts))
        if speaker == "user"
        else AssistantMessageParam(role="assistant", content="\n\n".join(parts))
        for speaker, parts in turns
    ]
    return "\n\n".join(system_parts), messages
