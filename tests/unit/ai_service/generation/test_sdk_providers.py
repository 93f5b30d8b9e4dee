"""The SDK providers end to end: real SDK -> HTTP -> a fake server speaking the provider's wire."""

from __future__ import annotations

import time

import pytest

from ai_service.generation.base import (
    ChatMessage,
    GenerationRequest,
    Provider,
    ProviderError,
    Role,
)
from tests.fakes.llm_servers import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    VERTEX_LOCATION,
    VERTEX_PROJECT,
    VERTEX_TOKEN,
    DeltaCollector,
    FakeLLMServer,
    Kind,
    Reply,
    build_provider,
    refused_base_url,
)

TEXT = "Octopuses have three hearts and blue blood."


def provider_for(server: FakeLLMServer, *, timeout_s: float = 5.0) -> Provider:
    return build_provider(server.kind, server.base_url, timeout_s=timeout_s)


def test_streams_deltas_and_reports_usage(
    llm_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    llm_server.script(Reply(text=TEXT, chunks=4, input_tokens=37, output_tokens=11))
    collector = DeltaCollector()

    result = provider_for(llm_server).generate(chat_request, collector)

    assert len(collector.pieces) == 4
    assert collector.text == TEXT
    assert result.text == TEXT
    assert result.provider == llm_server.kind
    assert (result.input_tokens, result.output_tokens) == (37, 11)
    assert len(llm_server.requests) == 1


def test_openai_request_on_the_wire(
    openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply(text=TEXT, model="gpt-4.1-mini-2025-04-14"))

    result = provider_for(openai_server).generate(chat_request, DeltaCollector())

    (sent,) = openai_server.requests
    assert sent.method == "POST"
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.headers["x-stainless-retry-count"] == "0"
    assert sent.body["model"] == "gpt-4.1-mini"
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_completion_tokens"] == 64
    assert sent.body["temperature"] == 0.2
    assert sent.body["messages"] == [
        {"role": "system", "content": "You are Aura. Be brief."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a fun fact."},
    ]
    assert result.model == "gpt-4.1-mini-2025-04-14"  # the snapshot the API reported
    assert result.finish_reason == "stop"


def test_openai_reasoning_models_get_effort_not_temperature(
    openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    request = chat_request.model_copy(update={"model": "gpt-5.4-mini"})

    provider_for(openai_server).generate(request, DeltaCollector())

    body = openai_server.requests[0].body
    assert body["model"] == "gpt-5.4-mini"
    assert "temperature" not in body
    assert body["reasoning_effort"] == "low"


def test_anthropic_request_on_the_wire(
    anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    anthropic_server.script(Reply(text=TEXT))

    result = provider_for(anthropic_server).generate(chat_request, DeltaCollector())

    (sent,) = anthropic_server.requests
    assert sent.path == "/v1/messages"
    assert sent.headers["authorization"] == f"Bearer {ANTHROPIC_KEY}"
    assert sent.headers["anthropic-version"]
    assert sent.body["model"] == "claude-haiku-4-5"
    assert sent.body["stream"] is True
    assert sent.body["max_tokens"] == 64
    assert sent.body["system"] == "You are Aura. Be brief."
    assert sent.body["messages"] == [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a fun fact."},
    ]
    assert result.finish_reason == "end_turn"


def test_anthropic_merges_system_history_and_consecutive_turns(
    anthropic_server: FakeLLMServer,
) -> None:
    request = GenerationRequest(
        system="Base prompt.",
        messages=(
            ChatMessage(role=Role.SYSTEM, content="Earlier summary."),
            ChatMessage(role=Role.USER, content="first"),
            ChatMessage(role=Role.USER, content="second"),
        ),
    )

    provider_for(anthropic_server).generate(request, DeltaCollector())

    body = anthropic_server.requests[0].body
    assert body["system"] == "Base prompt.\n\nEarlier summary."
    assert body["messages"] == [{"role": "user", "content": "first\n\nsecond"}]


def test_vertex_request_on_the_wire(
    vertex_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    vertex_server.script(Reply(text=TEXT, model="gemini-3.1-flash-lite-001"))

    result = provider_for(vertex_server).generate(chat_request, DeltaCollector())

    (sent,) = vertex_server.requests
    assert sent.path == (
        f"/v1beta1/projects/{VERTEX_PROJECT}/locations/{VERTEX_LOCATION}"
        "/publishers/google/models/gemini-3.1-flash-lite:streamGenerateContent"
    )
    assert sent.query == {"alt": ["sse"]}
    assert sent.headers["authorization"] == f"Bearer {VERTEX_TOKEN}"
    assert sent.body["systemInstruction"]["parts"] == [{"text": "You are Aura. Be brief."}]
    assert sent.body["contents"] == [
        {"role": "user", "parts": [{"text": "Hi there"}]},
        {"role": "model", "parts": [{"text": "Hello! How can I help?"}]},
        {"role": "user", "parts": [{"text": "Tell me a fun fact."}]},
    ]
    assert sent.body["generationConfig"]["maxOutputTokens"] == 64
    assert sent.body["generationConfig"]["temperature"] == 0.2
    assert result.model == "gemini-3.1-flash-lite-001"
    assert result.finish_reason == "STOP"


def test_stops_early_when_on_delta_returns_false(
    llm_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    text = "".join(f"word{i} " for i in range(40))
    llm_server.script(Reply(text=text, chunks=40, chunk_delay_s=0.02))
    collector = DeltaCollector(stop_after=2)

    result = provider_for(llm_server).generate(chat_request, collector)

    assert len(collector.pieces) == 2
    assert result.text == collector.text
    assert result.finish_reason == "cancelled"
    assert result.output_tokens > 0  # estimated: a cancelled stream has no final usage
    # The response was closed mid-stream (not read to its end): the server's next writes hit
    # a closed connection. (No wall-clock bound: a busy machine makes one flaky.)
    assert llm_server.wait_for_disconnects(1) == 1


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(429, True), (500, True), (503, True), (400, False), (401, False), (403, False), (404, False)],
)
def test_http_errors_map_to_provider_errors(
    llm_server: FakeLLMServer, chat_request: GenerationRequest, status: int, retryable: bool
) -> None:
    llm_server.script(Reply.fail(status))

    with pytest.raises(ProviderError) as caught:
        provider_for(llm_server).generate(chat_request, DeltaCollector())

    assert caught.value.retryable is retryable
    assert caught.value.provider == llm_server.kind
    assert str(status) in caught.value.message
    assert len(llm_server.requests) == 1  # the SDK's own retries are off


def test_timeout_is_retryable(llm_server: FakeLLMServer, chat_request: GenerationRequest) -> None:
    llm_server.script(Reply.hang(3.0))

    provider = provider_for(llm_server, timeout_s=0.3)  # (SDK import outside the clock)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        provider.generate(chat_request, DeltaCollector())

    assert caught.value.retryable is True
    assert time.monotonic() - started < 2.0  # gave up long before the server's 3 s answer


@pytest.mark.parametrize("kind", ["openai", "anthropic", "vertex"])
def test_connection_refused_is_retryable(kind: Kind, chat_request: GenerationRequest) -> None:
    base_url = refused_base_url()
    if kind == "openai":
        base_url += "/v1"
    provider = build_provider(kind, base_url, timeout_s=1.0)

    with pytest.raises(ProviderError) as caught:
        provider.generate(chat_request, DeltaCollector())

    assert caught.value.retryable is True


def test_error_inside_the_stream_is_retryable(
    llm_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    llm_server.script(Reply.break_after(2))
    collector = DeltaCollector()

    with pytest.raises(ProviderError) as caught:
        provider_for(llm_server).generate(chat_request, collector)

    assert len(collector.pieces) == 2  # the caller saw the start of the reply
    assert caught.value.retryable is True
