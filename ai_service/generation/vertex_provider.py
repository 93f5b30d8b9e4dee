"""Gemini on Vertex AI through Google's `google-genai` SDK (streamGenerateContent over SSE).

`vertexai.generative_models` in google-cloud-aiplatform is deprecated since June 2025 and due for
removal in June 2026; google-genai is Google's supported SDK for Gemini on Vertex AI.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator

import httpx2
from google import genai
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from .base import GenerationRequest, GenerationResult, OnDelta, ProviderError, Role
from .provider_config import is_transient_status
from .tokens import streamed_result

log = logging.getLogger(__name__)


class VertexProvider:
    """Streams one Gemini reply; authenticates with `credentials` or Application Default ones."""

    def __init__(
        self,
        *,
        project: str,
        location: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 20.0,
        credentials: Credentials | None = None,
        name: str = "vertex",
    ) -> None:
        self.name = name
        self._model = model
        http_options = genai_types.HttpOptions(
            base_url=base_url,
            timeout=max(1, round(timeout_s * 1000)),  # the SDK counts milliseconds
            # One attempt: retries and fallback belong to the router.
            retry_options=genai_types.HttpRetryOptions(attempts=1),
        )
        # With a project given, the client does no I/O here; ADC is resolved on the first call.
        self._client = genai.Client(
            vertexai=True,
            project=project,
            location=location,
            credentials=credentials,
            http_options=http_options,
        )

    def default_model(self) -> str:
        return self._model

    def generate(self, request: GenerationRequest, on_delta: OnDelta) -> GenerationResult:
        model = request.model or self._model
        try:
            return self._stream(request, model, on_delta)
        except genai_errors.APIError as error:
            raise self._failure(error, status=error.code, retryable=None) from error
        except (httpx2.TransportError, auth_exceptions.TransportError) as error:
            raise self._failure(error, status=None, retryable=True) from error
        except auth_exceptions.GoogleAuthError as error:
            # Missing or refused credentials: retrying will not fix the deployment.
            raise self._failure(error, status=None, retryable=False) from error

    def _stream(
        self, request: GenerationRequest, model: str, on_delta: OnDelta
    ) -> GenerationResult:
        stream = self._client.models.generate_content_stream(
            model=model, contents=_contents(request), config=_config(request)
        )
        pieces: list[str] = []
        answered_model = model
        finish_reason: str | None = None
        usage: genai_types.GenerateContentResponseUsageMetadata | None = None
        try:
            for chunk in stream:
                answered_model = chunk.model_version or answered_model
                usage = chunk.usage_metadata or usage
                candidate = chunk.candidates[0] if chunk.candidates else None
                if candidate is None:
                    continue
                if candidate.finish_reason is not None:
                    finish_reason = str(candidate.finish_reason.value)
                parts = candidate.content.parts if candidate.content else None
                piece = "".join(p.text for p in parts or () if p.text and not p.thought)
                if not piece:
                    continue
                pieces.append(piece)
                if not on_delta(piece):
                    finish_reason = "cancelled"
                    break
        finally:
            _close(stream)
        output_tokens = None
        if usage and usage.candidates_token_count is not None:
            # Thinking models bill their hidden thoughts as output tokens.
            output_tokens = usage.candidates_token_count + (usage.thoughts_token_count or 0)
        return streamed_result(
            request=request,
            text="".join(pieces),
            provider=self.name,
            model=answered_model,
            input_tokens=usage.prompt_token_count if usage else None,
            output_tokens=output_tokens,
            finish_reason=finish_reason,
        )

    def _failure(
        self, error: Exception, *, status: int | None, retryable: bool | None
    ) -> ProviderError:
        if retryable is None:
            retryable = status is None or is_transient_status(status)
        log.warning(
            "vertex call failed",
            extra={"provider": self.name, "status": status, "error": type(error).__name__},
        )
        return ProviderError(
            f"vertex: {type(error).__name__}" + (f" ({status})" if status else ""),
            provider=self.name,
            retryable=retryable,
        )


def _close(stream: Iterator[genai_types.GenerateContentResponse]) -> None:
    """Close the SDK's generator so the HTTP response is released (and generation stops)."""
    if isinstance(stream, Generator):
        stream.close()


def _config(request: GenerationRequest) -> genai_types.GenerateContentConfig:
    parts = [request.system] if request.system else []
    parts += [m.content for m in request.messages if m.role is Role.SYSTEM]
    system = "\n\n".join(parts)
    return genai_types.GenerateContentConfig(
        system_instruction=system or None,
        max_output_tokens=request.max_tokens,
        temperature=request.temperature,
        candidate_count=1,
        # No tools are sent; disabling AFC skips the SDK's function-calling loop entirely.
        automatic_function_calling=genai_types.AutomaticFunctionCallingConfig(disable=True),
    )


def _contents(request: GenerationRequest) -> list[genai_types.Content]:
    return [
        genai_types.Content(
            role="user" if m.role is Role.USER else "model",
            parts=[genai_types.Part(text=m.content)],
        )
        for m in request.messages
        if m.role is not Role.SYSTEM
    ]
