"""Anthropic through the official SDK: a streamed Messages call, usage from its start and end.

With tools and a runner, a message that stops for `tool_use` gets the tools' results as
`tool_result` blocks in the next user turn and is asked again, at most MAX_TOOL_ROUNDS times; the
round after the last one has `tool_choice: none`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

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
    ToolInvocation,
    ToolResult,
    ToolRunner,
    ToolSpec,
)
from .provider_config import is_transient_status
from .tokens import count_request_tokens, count_tokens

log = logging.getLogger(__name__)

# Error types Anthropic sends as an `error` event inside a 200 stream that are worth a retry.
_TRANSIENT_STREAM_ERRORS = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
)


@dataclass
class _Call:
    """One `tool_use` block as it streamed in: its input is the model's raw JSON text."""

    call_id: str
    name: str
    arguments: str = ""


@dataclass
class _Round:
    """What one streamed message produced."""

    model: str
    pieces: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)  # by content block index
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None


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
            results = [_run(call, run_tool) for call in calls]
            messages.append(_assistant_calls(turn, calls))
            messages.append(
                UserMessageParam(role="user", content=[_result_block(r) for r in results])
            )
        return _result(request, rounds, provider=self.name)

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
                    turn.calls[event.index] = _Call(call_id=block.id, name=block.name)
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


def _result(request: GenerationRequest, rounds: list[_Round], *, provider: str) -> GenerationResult:
    """The reply over all rounds: its text, the last model and stop reason, usage summed (a
    round cancelled before its usage arrived is estimated)."""
    input_tokens = output_tokens = 0
    for turn in rounds:
        text = "".join(turn.pieces)
        input_tokens += (
            turn.input_tokens if turn.input_tokens is not None else count_request_tokens(request)
        )
        output_tokens += (
            turn.output_tokens if turn.output_tokens is not None else count_tokens(text)
        )
    return GenerationResult(
        text="".join(piece for turn in rounds for piece in turn.pieces),
        provider=provider,
        model=rounds[-1].model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        finish_reason=rounds[-1].finish_reason,
    )


def _arguments(call: _Call) -> dict[str, Any] | None:
    """The call's input as an object; None when the model's JSON does not parse to one."""
    try:
        value: Any = json.loads(call.arguments or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _run(call: _Call, run_tool: ToolRunner) -> ToolResult:
    """The runner's result, or an error for the model when its input is not a JSON object."""
    arguments = _arguments(call)
    if arguments is None:
        log.info("model sent malformed tool input", extra={"tool": call.name})
        error = (
            f"the input was not a JSON object ({call.arguments[:200]!r}); "
            "call the tool again with valid JSON"
        )
        return ToolResult(
            call_id=call.call_id,
            name=call.name,
            content=json.dumps({"error": error}),
            is_error=True,
        )
    return run_tool(ToolInvocation(call_id=call.call_id, name=call.name, arguments=arguments))


def _tool(spec: ToolSpec) -> ToolParam:
    # Anthropic takes JSON Schema as it is (pydantic's included).
    return ToolParam(name=spec.name, description=spec.description, input_schema=spec.parameters)


def _assistant_calls(turn: _Round, calls: list[_Call]) -> AssistantMessageParam:
    """The assistant turn as the model wrote it: its text (if any), then its tool_use blocks."""
    text = "".join(turn.pieces)
    content: list[TextBlockParam | ToolUseBlockParam] = (
        [TextBlockParam(type="text", text=text)] if text else []
    )
    content += [
        # Malformed input goes back as an empty object: the API wants one; the error says why.
        ToolUseBlockParam(type="tool_use", id=c.call_id, name=c.name, input=_arguments(c) or {})
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
