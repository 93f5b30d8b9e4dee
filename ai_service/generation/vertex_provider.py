"""Gemini on Vertex AI through Google's `google-genai` SDK (streamGenerateContent over SSE).

`vertexai.generative_models` in google-cloud-aiplatform is deprecated since June 2025 and due for
removal in June 2026; google-genai is Google's supported SDK for Gemini on Vertex AI.

With tools and a runner, a reply whose parts carry `function_call`s gets one `function_response`
part per call in the next user turn and is asked again, at most MAX_TOOL_ROUNDS times; the round
after the last one has function calling mode NONE. The model's own parts go back as they came:
Gemini 3 signs its calls, and a call without its signature is refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from google import genai
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.genai import errors as genai_errors
from google.genai import types as genai_types

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
from .tool_rounds import Round, combined

log = logging.getLogger(__name__)

_MALFORMED = genai_types.FinishReason.MALFORMED_FUNCTION_CALL
# Formats Gemini's schema accepts, by type; any other `format` is dropped.
_FORMATS = {
    "STRING": frozenset({"enum", "date-time"}),
    "INTEGER": frozenset({"int32", "int64"}),
    "NUMBER": frozenset({"float", "double"}),
}
# JSON Schema keywords carried over as they are (the rest, such as `title`, `default` and
# `additionalProperties`, Gemini refuses or ignores).
_KEPT = {
    "description": "description",
    "minimum": "minimum",
    "maximum": "maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_items",
    "maxItems": "max_items",
    "pattern": "pattern",
}


@dataclass
class _Round(Round):
    """What one streamed reply produced; `parts` are the model's, as they came."""

    parts: list[genai_types.Part] = field(default_factory=list)
    calls: list[genai_types.FunctionCall] = field(default_factory=list)
    malformed: str | None = None  # Gemini's message when it could not produce a valid call

    def count(self, usage: genai_types.GenerateContentResponseUsageMetadata | None) -> None:
        """Take the round's usage from Gemini's metadata (the last one carries the totals)."""
        if usage is None:
            return
        if usage.prompt_token_count is not None:
            self.input_tokens = usage.prompt_token_count
        if usage.candidates_token_count is not None:
            # Thinking models bill their hidden thoughts as output tokens.
            self.output_tokens = usage.candidates_token_count + (usage.thoughts_token_count or 0)


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

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, run_tool: ToolRunner | None = None
    ) -> GenerationResult:
        model = request.model or self._model
        try:
            return self._converse(request, model, on_delta, run_tool)
        except genai_errors.APIError as error:
            raise self._failure(error, status=error.code, retryable=None) from error
        except (httpx2.TransportError, auth_exceptions.TransportError) as error:
            raise self._failure(error, status=None, retryable=True) from error
        except auth_exceptions.GoogleAuthError as error:
            # Missing or refused credentials: retrying will not fix the deployment.
            raise self._failure(error, status=None, retryable=False) from error

    def _converse(
        self,
        request: GenerationRequest,
        model: str,
        on_delta: OnDelta,
        run_tool: ToolRunner | None,
    ) -> GenerationResult:
        """Replies until one makes no function call (or the round bound, or a cancel)."""
        tool = _tool(request.tools) if run_tool is not None and request.tools else None
        contents = _contents(request)
        rounds: list[_Round] = []
        for number in range(1, MAX_TOOL_ROUNDS + 2):
            may_call = number <= MAX_TOOL_ROUNDS
            config = _config(request, tool=tool, may_call=may_call)
            turn = self._stream(model, contents=contents, config=config, on_delta=on_delta)
            rounds.append(turn)
            # A cancelled round's calls are not run: the caller asked to stop.
            if run_tool is None or not may_call or turn.finish_reason == "cancelled":
                break
            if turn.calls:
                replies = [_run(call, run_tool, number, i) for i, call in enumerate(turn.calls)]
            elif turn.malformed is not None:
                # No call to answer: the model is told in a user turn and may try again.
                log.info("model made a malformed function call")
                replies = [genai_types.Part(text=_malformed_note(turn.malformed))]
            else:
                break
            if turn.parts:
                contents.append(genai_types.Content(role="model", parts=turn.parts))
            contents.append(genai_types.Content(role="user", parts=replies))
        return combined(request, rounds, provider=self.name)

    def _stream(
        self,
        model: str,
        *,
        contents: list[genai_types.Content],
        config: genai_types.GenerateContentConfig,
        on_delta: OnDelta,
    ) -> _Round:
        stream = self._client.models.generate_content_stream(
            model=model, contents=contents, config=config
        )
        turn = _Round(model=model)
        try:
            for chunk in stream:
                turn.model = chunk.model_version or turn.model
                turn.count(chunk.usage_metadata)
                candidate = chunk.candidates[0] if chunk.candidates else None
                if candidate is None:
                    continue
                if candidate.finish_reason is not None:
                    turn.finish_reason = str(candidate.finish_reason.value)
                    if candidate.finish_reason == _MALFORMED:
                        turn.malformed = candidate.finish_message or ""
                parts = (candidate.content.parts if candidate.content else None) or []
                turn.parts += parts
                turn.calls += [p.function_call for p in parts if p.function_call is not None]
                piece = "".join(p.text for p in parts if p.text and not p.thought)
                if not piece:
                    continue
                turn.pieces.append(piece)
                if not on_delta(piece):
                    turn.finish_reason = "cancelled"
                    break
        finally:
            _close(stream)
        return turn

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


def _run(
    call: genai_types.FunctionCall, run_tool: ToolRunner, number: int, index: int
) -> genai_types.Part:
    """The function_response part for one call: the runner's result, under the call's id when
    Gemini gave one (else one made up for the runner, and none on the wire)."""
    name = call.name or ""
    result = run_tool(
        ToolInvocation(
            call_id=call.id or f"{name}-{number}-{index}", name=name, arguments=call.args or {}
        )
    )
    return genai_types.Part(
        function_response=genai_types.FunctionResponse(
            id=call.id, name=name, response=_response(result)
        )
    )


def _response(result: ToolResult) -> dict[str, Any]:
    """Gemini reads `output` or `error` keys, or else the whole object as the output."""
    try:
        value: Any = json.loads(result.content)
    except ValueError:
        value = result.content
    if result.is_error:
        return value if isinstance(value, dict) and "error" in value else {"error": value}
    return value if isinstance(value, dict) else {"output": value}


def _malformed_note(message: str) -> str:
    detail = f" ({message})" if message else ""
    return (
        f"Your last function call was malformed{detail}. Call the function again with valid "
        "arguments, or answer in text."
    )


def _tool(specs: tuple[ToolSpec, ...]) -> genai_types.Tool:
    return genai_types.Tool(
        function_declarations=[
            genai_types.FunctionDeclaration(
                name=spec.name,
                description=spec.description,
                parameters=_parameters(spec.parameters),
            )
            for spec in specs
        ]
    )


def _parameters(schema: Mapping[str, Any]) -> genai_types.Schema | None:
    """A function's parameters in Gemini's schema; None for a function without any (Gemini
    refuses an OBJECT with no properties)."""
    if not schema.get("properties"):
        return None
    return _schema(schema, schema.get("$defs") or {})


def _schema(node: Mapping[str, Any], defs: Mapping[str, Any]) -> genai_types.Schema:
    """JSON Schema (as pydantic writes it) in the OpenAPI subset Gemini accepts: `$ref`s are
    inlined, `anyOf` with null becomes `nullable`, refused keywords are dropped."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _schema(defs[ref.rsplit("/", 1)[-1]], defs)
        description = node.get("description")
        return target.model_copy(update={"description": description}) if description else target
    variants = [v for v in node.get("anyOf") or node.get("oneOf") or () if isinstance(v, dict)]
    if variants:
        values = [v for v in variants if v.get("type") != "null"]
        nullable = True if len(values) < len(variants) else None
        if len(values) == 1:
            inner = _schema(values[0], defs)
            description = node.get("description") or inner.description
            return inner.model_copy(update={"nullable": nullable, "description": description})
        return genai_types.Schema(
            any_of=[_schema(v, defs) for v in values],
            nullable=nullable,
            description=node.get("description"),
        )
    kind = node.get("type")
    nullable = None
    if isinstance(kind, list):  # ["string", "null"]
        nullable = True if "null" in kind else None
        kind = next((k for k in kind if k != "null"), None)
    type_ = str(kind).upper() if isinstance(kind, str) else None
    if type_ not in genai_types.Type.__members__:
        type_ = None
    fields: dict[str, Any] = {
        target: node[key] for key, target in _KEPT.items() if node.get(key) is not None
    }
    enum = node.get("enum") if "enum" in node else ([node["const"]] if "const" in node else None)
    if enum and all(isinstance(v, str) for v in enum):
        fields["enum"] = list(enum)
    if type_ and node.get("format") in _FORMATS.get(type_, ()):
        fields["format"] = node["format"]
    if isinstance(node.get("items"), dict):
        fields["items"] = _schema(node["items"], defs)
    properties = node.get("properties")
    if isinstance(properties, dict) and properties:
        fields["properties"] = {name: _schema(p, defs) for name, p in properties.items()}
        required = [name for name in node.get("required") or () if name in properties]
        if required:
            fields["required"] = required
    schema_type = genai_types.Type[type_] if type_ else None
    return genai_types.Schema(type=schema_type, nullable=nullable, **fields)


def _config(
    request: GenerationRequest, *, tool: genai_types.Tool | None, may_call: bool
) -> genai_types.GenerateContentConfig:
    parts = [request.system] if request.system else []
    parts += [m.content for m in request.messages if m.role is Role.SYSTEM]
    system = "\n\n".join(parts)
    mode = (
        genai_types.FunctionCallingConfigMode.AUTO
        if may_call
        else genai_types.FunctionCallingConfigMode.NONE
    )
    return genai_types.GenerateContentConfig(
        system_instruction=system or None,
        max_output_tokens=request.max_tokens,
        temperature=request.temperature,
        candidate_count=1,
        # The tools stay listed after the last round: the history refers to them.
        tools=[tool] if tool is not None else None,
        tool_config=genai_types.ToolConfig(
            function_calling_config=genai_types.FunctionCallingConfig(mode=mode)
        )
        if tool is not None
        else None,
        # Declarations, not Python functions: the loop is ours, not the SDK's.
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
