"""OpenAI through the official SDK: streaming Chat Completions with usage in the last chunk.

With tools and a runner, one reply may take several completions: each that ends in tool calls
gets the tools' results appended (an assistant message with `tool_calls`, one `tool` message per
call) and is asked again, at most MAX_TOOL_ROUNDS times; the round after the last one has
`tool_choice: none`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionUserMessageParam,
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

# Reasoning families reject `temperature` and spend completion tokens on hidden reasoning, so
# they get the lowest common reasoning effort instead (a chat reply is short).
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "gpt-6")


@dataclass
class _Round(Round):
    """What one streamed completion produced, its tool calls by index."""

    calls: dict[int, StreamedCall] = field(default_factory=dict)


class OpenAIProvider:
    """Streams one chat completion; the router, not the SDK, decides about retries."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 20.0,
        name: str = "openai",
    ) -> None:
        self.name = name
        self._model = model
        # max_retries=0: a retry inside the SDK would hide failures from the router's backoff
        # and fallback. base_url None means the public endpoint.
        self._client = openai.OpenAI(
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
        except openai.OpenAIError as error:
            raise self._map_error(error) from error

    def _converse(
        self,
        request: GenerationRequest,
        model: str,
        on_delta: OnDelta,
        run_tool: ToolRunner | None,
    ) -> GenerationResult:
        """Completions until one ends without tool calls (or the round bound, or a cancel)."""
        tools = [_tool(spec) for spec in request.tools] if run_tool is not None else []
        messages = _messages(request)
        rounds: list[_Round] = []
        for number in range(1, MAX_TOOL_ROUNDS + 2):
            may_call = number <= MAX_TOOL_ROUNDS
            turn = self._stream(
                request, model, messages=messages, tools=tools, may_call=may_call, on_delta=on_delta
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
            messages.append(_assistant_calls(turn, calls))
            messages.extend(_tool_message(run_streamed(call, run_tool)) for call in calls)
        return combined(request, rounds, provider=self.name)

    def _stream(
        self,
        request: GenerationRequest,
        model: str,
        *,
        messages: list[ChatCompletionMessageParam],
        tools: list[ChatCompletionFunctionToolParam],
        may_call: bool,
        on_delta: OnDelta,
    ) -> _Round:
        reasoning = model.startswith(_REASONING_PREFIXES)
        choice: Literal["auto", "none"] = "auto" if may_call else "none"
        stream = self._client.chat.completions.create(
            model=model,
            messages=messages,
            max_completion_tokens=request.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
            temperature=openai.omit if reasoning else request.temperature,
            reasoning_effort="low" if reasoning else openai.omit,
            # The tools stay listed after the last round: the history refers to them.
            tools=tools or openai.omit,
            tool_choice=choice if tools else openai.omit,
        )
        turn = _Round(model=model)
        with stream:
            for chunk in stream:
                turn.model = chunk.model or turn.model
                if chunk.usage is not None:
                    turn.input_tokens = chunk.usage.prompt_tokens
                    turn.output_tokens = chunk.usage.completion_tokens
                first = [c for c in chunk.choices if c.index == 0]
                turn.finish_reason = next(
                    (c.finish_reason for c in first if c.finish_reason), turn.finish_reason
                )
                for delta in (c.delta for c in first):
                    for part in delta.tool_calls or ():
                        call = turn.calls.setdefault(part.index, StreamedCall())
                        call.call_id = part.id or call.call_id
                        if part.function is not None:
                            call.name += part.function.name or ""
                            call.arguments += part.function.arguments or ""
                piece = "".join(c.delta.content or "" for c in first)
                if not piece:
                    continue
                turn.pieces.append(piece)
                if not on_delta(piece):
                    # Leaving the `with` closes the HTTP response, which stops the server
                    # generating (and billing) the rest of the reply.
                    turn.finish_reason = "cancelled"
                    break
        return turn

    def _map_error(self, error: openai.OpenAIError) -> ProviderError:
        retryable: bool
        if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
            retryable = True
        elif isinstance(error, openai.APIStatusError):
            retryable = is_transient_status(error.status_code)
        elif isinstance(error, openai.APIError):
            # An error event inside a 200 stream: the server gave up mid-reply (overload).
            retryable = True
        else:
            retryable = False
        status = getattr(error, "status_code", None)
        log.warning(
            "openai call failed",
            extra={"provider": self.name, "status": status, "error": type(error).__name__},
        )
        return ProviderError(
            f"openai: {type(error).__name__}" + (f" ({status})" if status else ""),
            provider=self.name,
            retryable=retryable,
        )


def _tool(spec: ToolSpec) -> ChatCompletionFunctionToolParam:
    # Not `strict`: strict mode wants every property required, and pydantic's optional fields
    # (with defaults) are not.
    return ChatCompletionFunctionToolParam(
        type="function",
        function={
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        },
    )


def _assistant_calls(
    turn: _Round, calls: list[StreamedCall]
) -> ChatCompletionAssistantMessageParam:
    return ChatCompletionAssistantMessageParam(
        role="assistant",
        content="".join(turn.pieces) or None,
        tool_calls=[
            ChatCompletionMessageFunctionToolCallParam(
                id=call.call_id,
                type="function",
                # Malformed arguments go back as "{}" (the API may refuse invalid JSON here);
                # the tool's error result quotes what the model wrote.
                function={
                    "name": call.name,
                    "arguments": call.arguments if call.parsed() is not None else "{}",
                },
            )
            for call in calls
        ],
    )


def _tool_message(result: ToolResult) -> ChatCompletionToolMessageParam:
    """Chat Completions has no error flag: an error result says so in an `error` key."""
    content = _error_content(result.content) if result.is_error else result.content
    return ChatCompletionToolMessageParam(role="tool", tool_call_id=result.call_id, content=content)


def _error_content(content: str) -> str:
    try:
        value: Any = json.loads(content)
    except ValueError:
        value = content
    if isinstance(value, dict) and "error" in value:
        return content
    return json.dumps({"error": value})


def _messages(request: GenerationRequest) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = []
    if request.system:
        messages.append(ChatCompletionSystemMessageParam(role="system", content=request.system))
    for message in request.messages:
        if message.role is Role.USER:
            messages.append(ChatCompletionUserMessageParam(role="user", content=message.content))
        elif message.role is Role.ASSISTANT:
            messages.append(
                ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
            )
        else:
            messages.append(
                ChatCompletionSystemMessageParam(role="system", content=message.content)
            )
    return messages
