"""OpenAI through the official SDK: streaming Chat Completions with usage in the last chunk."""

from __future__ import annotations

import logging

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from .base import GenerationRequest, GenerationResult, OnDelta, ProviderError, Role
from .provider_config import is_transient_status
from .tokens import streamed_result

log = logging.getLogger(__name__)

# Reasoning families reject `temperature` and spend completion tokens on hidden reasoning, so
# they get the lowest common reasoning effort instead (a chat reply is short).
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "gpt-6")


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

    def generate(self, request: GenerationRequest, on_delta: OnDelta) -> GenerationResult:
        model = request.model or self._model
        try:
            return self._stream(request, model, on_delta)
        except openai.OpenAIError as error:
            raise self._map_error(error) from error

    def _stream(
        self, request: GenerationRequest, model: str, on_delta: OnDelta
    ) -> GenerationResult:
        reasoning = model.startswith(_REASONING_PREFIXES)
        stream = self._client.chat.completions.create(
            model=model,
            messages=_messages(request),
            max_completion_tokens=request.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
            temperature=openai.omit if reasoning else request.temperature,
            reasoning_effort="low" if reasoning else openai.omit,
        )
        pieces: list[str] = []
        answered_model = model
        finish_reason: str | None = None
        usage: tuple[int, int] | None = None
        with stream:
            for chunk in stream:
                answered_model = chunk.model or answered_model
                if chunk.usage is not None:
                    usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                piece = "".join(c.delta.content or "" for c in chunk.choices if c.index == 0)
                finish_reason = next(
                    (c.finish_reason for c in chunk.choices if c.finish_reason), finish_reason
                )
                if not piece:
                    continue
                pieces.append(piece)
                if not on_delta(piece):
                    # Leaving the `with` closes the HTTP response, which stops the server
                    # generating (and billing) the rest of the reply.
                    finish_reason = "cancelled"
                    break
        return streamed_result(
            request=request,
            text="".join(pieces),
            provider=self.name,
            model=answered_model,
            input_tokens=usage[0] if usage else None,
            output_tokens=usage[1] if usage else None,
            finish_reason=finish_reason,
        )

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
