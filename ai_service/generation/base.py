"""The provider interface: one streaming call, typed request and result, typed failures."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import Field

from shared.errors import AuraError
from shared.models.base import Frozen


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class ChatMessage(Frozen):
    role: Role
    content: str


class ToolSpec(Frozen):
    """A tool the model may call: its name, what it does, and its input as JSON Schema."""

    name: str
    description: str
    parameters: dict[str, Any]


class GenerationRequest(Frozen):
    """What every provider receives; `model` None means the provider's default.

    `tools` are offered to providers that support function calling (the local model ignores
    them: its turns act through the NLU path instead).
    """

    system: str
    messages: tuple[ChatMessage, ...]
    model: str | None = None
    max_tokens: int = Field(default=256, gt=0, le=4096)
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    tools: tuple[ToolSpec, ...] = ()


class ToolInvocation(Frozen):
    """One call the model asked for; `call_id` is the provider's id, echoed with the result."""

    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResult(Frozen):
    """What a tool answered, as the model reads it (`content` is JSON text)."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


ToolRunner = Callable[[ToolInvocation], ToolResult]
"""Runs one tool call for the turn (validates, executes idempotently, records it); never raises
for a bad call: a tool's failure comes back as a result with `is_error`, for the model to read."""

MAX_TOOL_ROUNDS = 4
"""Model calls that may ask for tools in one turn; the round after the last one gets no tools."""


class GenerationResult(Frozen):
    text: str
    provider: str
    model: str
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    finish_reason: str | None = None


class ProviderError(AuraError):
    """A provider failed; `retryable` tells the router whether to retry it or move on."""

    code = "unavailable"

    def __init__(self, message: str, *, provider: str, retryable: bool) -> None:
        super().__init__(message, details={"provider": provider})
        self.provider = provider
        self.retryable = retryable


OnDelta = Callable[[str], bool]
"""Receives each new piece of text; returns False to stop generating (e.g. the claim was lost)."""


class Provider(Protocol):
    name: str

    def default_model(self) -> str: ...

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, run_tool: ToolRunner | None = None
    ) -> GenerationResult:
        """Stream one reply. With `request.tools` and `run_tool`, a provider that supports function
        calling runs the loop itself: each tool call the model makes goes to `run_tool`, its
        result goes back to the model, at most MAX_TOOL_ROUNDS rounds; the result's text is
        everything streamed, its usage the sum over all rounds."""
        ...


@runtime_checkable
class ReadsAhead(Protocol):
    """A provider that can read the start of a coming request before the request arrives."""

    def read_ahead(self, request: GenerationRequest) -> None:
        """Read `request`'s system text and messages, so that a later request starting with them
        skips them. Best effort: returns at once, never raises, may do nothing (busy)."""
        ...
