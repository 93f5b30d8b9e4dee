"""The provider interface: one streaming call, typed request and result, typed failures."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

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


class GenerationRequest(Frozen):
    """What every provider receives; `model` None means the provider's default."""

    system: str
    messages: tuple[ChatMessage, ...]
    model: str | None = None
    max_tokens: int = Field(default=256, gt=0, le=4096)
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)


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

    def generate(self, request: GenerationRequest, on_delta: OnDelta) -> GenerationResult: ...
