"""Anthropic through the official SDK: a streamed Messages call, usage from its start and end."""

from __future__ import annotations

import logging
from typing import Literal

import anthropic
from anthropic.types import AssistantMessageParam, MessageParam, UserMessageParam

from .base import GenerationRequest, GenerationResult, OnDelta, ProviderError, Role
from .provider_config import is_transient_status
from .tokens import streamed_result

log = logging.getLogger(__name__)

# Error types Anthropic sends as an `error` event inside a 200 stream that are worth a retry.
_TRANSIENT_STREAM_ERRORS = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
)


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

    def generate(self, request: GenerationRequest, on_delta: OnDelta) -> GenerationResult:
        model = request.model or self._model
        try:
            return self._stream(request, model, on_delta)
        except anthropic.AnthropicError as error:
            raise self._map_error(error) from error

    def _stream(
        self, request: GenerationRequest, model: str, on_delta: OnDelta
    ) -> GenerationResult:
        system, messages = _messages(request)
        pieces: list[str] = []
        answered_model = model
        input_tokens: int | None = None
        output_tokens: int | None = None
        finish_reason: str | None = None
        with self._client.messages.stream(
            model=model,
            max_tokens=request.max_tokens,
            system=system if system else anthropic.omit,
            messages=messages,
        ) as stream:
            for event in stream:
                if event.type == "message_start":
                    answered_model = event.message.model or answered_model
                    input_tokens = event.message.usage.input_tokens
                elif event.type == "message_delta":
                    output_tokens = event.usage.output_tokens
                    finish_reason = event.delta.stop_reason or finish_reason
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    piece = event.delta.text
                    if not piece:
                        continue
                    pieces.append(piece)
                    if not on_delta(piece):
                        # Leaving the `with` closes the response, so generation stops upstream.
                        finish_reason = "cancelled"
                        break
        return streamed_result(
            request=request,
            text="".join(pieces),
            provider=self.name,
            model=answered_model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            finish_reason=finish_reason,
        )

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
