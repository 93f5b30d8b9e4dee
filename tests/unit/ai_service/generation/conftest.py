"""Fixtures: fake provider servers on 127.0.0.1, real SDK providers pointed at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ai_service.generation.base import ChatMessage, GenerationRequest, Role
from tests.fakes.llm_servers import FakeLLMServer


@pytest.fixture
def openai_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("openai") as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("anthropic") as server:
        yield server


@pytest.fixture
def vertex_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("vertex") as server:
        yield server


@pytest.fixture(params=["openai", "anthropic", "vertex"])
def llm_server(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    """Each provider's fake in turn, for tests that hold for all three."""
    with FakeLLMServer(request.param) as server:
        yield server


@pytest.fixture
def chat_request() -> GenerationRequest:
    return GenerationRequest(
        system="You are Aura. Be brief.",
        messages=(
            ChatMessage(role=Role.USER, content="Hi there"),
            ChatMessage(role=Role.ASSISTANT, content="Hello! How can I help?"),
            ChatMessage(role=Role.USER, content="Tell me a fun fact."),
        ),
        max_tokens=64,
        temperature=0.2,
    )
