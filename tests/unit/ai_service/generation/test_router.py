"""The router over real SDK providers and fake servers: retries, fallback, preference, cost."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from ai_service.generation.base import (
    GenerationRequest,
    GenerationResult,
    OnDelta,
    ProviderError,
    ToolRunner,
)
from ai_service.generation.costs import ModelPrice
from ai_service.generation.provider_config import load_llm_config
from ai_service.generation.router import ProviderRouter, RetryPolicy, RoutedResult, build_router
from tests.fakes.llm_servers import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    DeltaCollector,
    FakeLLMServer,
    Reply,
    build_provider,
    vertex_credentials,
)

FAST = RetryPolicy(attempts=2, initial_backoff_s=0.01, max_backoff_s=0.02, jitter_s=0.0)
ALLOWED = {
    "openai": ["gpt-4.1-mini", "gpt-4.1-nano"],
    "anthropic": ["claude-haiku-4-5"],
    "vertex": ["gemini-3.1-flash-lite", "gemini-3-flash"],
}


def router_over(
    *servers: FakeLLMServer,
    timeout_s: float = 5.0,
    retry: RetryPolicy = FAST,
    prices: dict[str, ModelPrice] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ProviderRouter:
    providers = [build_provider(s.kind, s.base_url, timeout_s=timeout_s) for s in servers]
    return ProviderRouter(
        providers, retry=retry, allowed_models=ALLOWED, prices=prices, sleep=sleep
    )


def test_first_provider_answers(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply(text="From OpenAI."))

    result = router_over(openai_server, anthropic_server).generate(chat_request, DeltaCollector())

    assert isinstance(result, RoutedResult)
    assert (result.provider, result.text, result.attempts) == ("openai", "From OpenAI.", 1)
    assert anthropic_server.requests == []


def test_rate_limited_provider_is_retried_then_falls_back(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.fail(429))
    anthropic_server.script(Reply(text="From Claude."))
    sleeps: list[float] = []
    router = router_over(
        openai_server,
        anthropic_server,
        retry=RetryPolicy(attempts=3, initial_backoff_s=0.01, max_backoff_s=1.0, jitter_s=0.0),
        sleep=sleeps.append,
    )

    collector = DeltaCollector()
    result = router.generate(chat_request, collector)

    assert len(openai_server.requests) == 3  # retried twice
    assert sleeps == [0.01, 0.02]  # exponential backoff between the tries
    assert (result.provider, result.model, result.text) == (
        "anthropic",
        "claude-haiku-4-5",
        "From Claude.",
    )
    assert collector.text == "From Claude."
    assert result.attempts == 4


def test_server_error_falls_back(
    openai_server: FakeLLMServer, vertex_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.fail(500))
    vertex_server.script(Reply(text="From Gemini."))

    result = router_over(openai_server, vertex_server).generate(chat_request, DeltaCollector())

    assert len(openai_server.requests) == FAST.attempts
    assert (result.provider, result.text) == ("vertex", "From Gemini.")


def test_timeout_falls_back(
    anthropic_server: FakeLLMServer, openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    anthropic_server.script(Reply.hang(3.0))
    openai_server.script(Reply(text="Fast answer."))
    router = router_over(
        anthropic_server, openai_server, timeout_s=0.5, retry=RetryPolicy(attempts=1)
    )

    started = time.monotonic()
    result = router.generate(chat_request, DeltaCollector())

    assert result.provider == "openai"
    assert 0.5 <= time.monotonic() - started < 2.0
    assert result.latency_ms >= 500


def test_permanent_error_is_not_retried(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.fail(401))

    result = router_over(openai_server, anthropic_server).generate(chat_request, DeltaCollector())

    assert len(openai_server.requests) == 1
    assert result.provider == "anthropic"


def test_all_transient_failures_raise_retryable(
    openai_server: FakeLLMServer,
    anthropic_server: FakeLLMServer,
    vertex_server: FakeLLMServer,
    chat_request: GenerationRequest,
) -> None:
    openai_server.script(Reply.fail(429))
    anthropic_server.script(Reply.fail(529))
    vertex_server.script(Reply.fail(503))
    router = router_over(openai_server, anthropic_server, vertex_server)

    with pytest.raises(ProviderError) as caught:
        router.generate(chat_request, DeltaCollector())

    assert caught.value.retryable is True
    assert caught.value.provider == "router"
    assert [len(s.requests) for s in (openai_server, anthropic_server, vertex_server)] == [2, 2, 2]


def test_all_permanent_failures_raise_non_retryable(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.fail(400))
    anthropic_server.script(Reply.fail(403))

    with pytest.raises(ProviderError) as caught:
        router_over(openai_server, anthropic_server).generate(chat_request, DeltaCollector())

    assert caught.value.retryable is False


def test_mixed_failures_stay_retryable(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.fail(401))  # misconfigured: will never work
    anthropic_server.script(Reply.fail(429))  # busy: may work on the redelivery

    with pytest.raises(ProviderError) as caught:
        router_over(openai_server, anthropic_server).generate(chat_request, DeltaCollector())

    assert caught.value.retryable is True


def test_no_fallback_after_text_was_streamed(
    openai_server: FakeLLMServer, anthropic_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply.break_after(2))
    collector = DeltaCollector()

    with pytest.raises(ProviderError) as caught:
        router_over(openai_server, anthropic_server).generate(chat_request, collector)

    assert caught.value.provider == "openai"
    assert caught.value.retryable is True  # the pipeline releases the turn; redelivery restarts
    assert len(openai_server.requests) == 1  # a retry would repeat the streamed text
    assert anthropic_server.requests == []
    assert len(collector.pieces) == 2


def test_preferred_model_goes_first_when_allowed(
    openai_server: FakeLLMServer, vertex_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    router = router_over(openai_server, vertex_server)

    result = router.generate(chat_request, DeltaCollector(), preferred_model="gemini-3-flash")

    assert (result.provider, result.model) == ("vertex", "gemini-3-flash")
    assert vertex_server.requests[0].path.endswith("/models/gemini-3-flash:streamGenerateContent")
    assert openai_server.requests == []


def test_preferred_model_of_the_first_provider_is_sent(
    openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    router_over(openai_server).generate(
        chat_request, DeltaCollector(), preferred_model="gpt-4.1-nano"
    )

    assert openai_server.requests[0].body["model"] == "gpt-4.1-nano"


def test_preferred_model_ignored_when_not_allowed(
    openai_server: FakeLLMServer, vertex_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    router = router_over(openai_server, vertex_server)

    result = router.generate(chat_request, DeltaCollector(), preferred_model="gpt-6-astra")

    assert (result.provider, result.model) == ("openai", "gpt-4.1-mini")
    assert openai_server.requests[0].body["model"] == "gpt-4.1-mini"


def test_preferred_provider_failing_falls_back_to_the_chain_with_defaults(
    openai_server: FakeLLMServer, vertex_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    vertex_server.script(Reply.fail(404))

    result = router_over(openai_server, vertex_server).generate(
        chat_request, DeltaCollector(), preferred_model="gemini-3-flash"
    )

    assert result.provider == "openai"
    assert openai_server.requests[0].body["model"] == "gpt-4.1-mini"  # not the Gemini id
    assert len(vertex_server.requests) == 1


def test_cost_comes_from_the_price_table(
    openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(
        Reply(input_tokens=1000, output_tokens=500, model="gpt-4.1-mini-2025-04-14")
    )
    prices = {"gpt-4.1-mini": ModelPrice(input_usd_per_mtok=0.4, output_usd_per_mtok=1.6)}
    router = router_over(openai_server, prices=prices)

    result = router.generate(chat_request, DeltaCollector())

    assert result.cost_usd == pytest.approx(1000 * 0.4e-6 + 500 * 1.6e-6)
    assert router.cost(result) == result.cost_usd
    plain = GenerationResult(**result.model_dump(include=set(GenerationResult.model_fields)))
    assert router.cost(plain) == pytest.approx(result.cost_usd)


def test_unknown_model_costs_zero(
    openai_server: FakeLLMServer, chat_request: GenerationRequest
) -> None:
    openai_server.script(Reply(model="some-unpriced-model"))

    result = router_over(openai_server, prices={}).generate(chat_request, DeltaCollector())

    assert result.cost_usd == 0.0


class StubProvider:
    """A scripted in-process provider, standing in for the local model."""

    def __init__(self, name: str, *, text: str = "", error: Exception | None = None) -> None:
        self.name = name
        self._text = text
        self._error = error
        self.calls = 0

    def default_model(self) -> str:
        return f"{self.name}-model"

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, run_tool: ToolRunner | None = None
    ) -> GenerationResult:
        self.calls += 1
        if self._text:
            on_delta(self._text)
        if self._error is not None:
            raise self._error
        return GenerationResult(
            text=self._text,
            provider=self.name,
            model=request.model or self.default_model(),
            input_tokens=0,
            output_tokens=0,
        )


def test_local_provider_is_free_and_usage_is_estimated(chat_request: GenerationRequest) -> None:
    local = StubProvider("local", text="A short local reply.")

    result = ProviderRouter([local], retry=FAST).generate(chat_request, DeltaCollector())

    assert result.provider == "local"
    assert result.cost_usd == 0.0
    assert result.input_tokens > 0
    assert result.output_tokens > 0


def test_unexpected_exception_falls_back(chat_request: GenerationRequest) -> None:
    broken = StubProvider("openai", error=RuntimeError("bug"))
    local = StubProvider("local", text="ok")

    result = ProviderRouter([broken, local], retry=FAST).generate(chat_request, DeltaCollector())

    assert result.provider == "local"
    assert broken.calls == 1


def test_chain_order_and_missing_names(chat_request: GenerationRequest) -> None:
    first = StubProvider("anthropic", text="a")
    second = StubProvider("local", text="b")
    router = ProviderRouter([first, second], chain=["vertex", "local", "anthropic"], retry=FAST)

    assert router.chain == ("local", "anthropic")
    assert router.generate(chat_request, DeltaCollector()).provider == "local"


def test_no_providers_is_a_permanent_error(chat_request: GenerationRequest) -> None:
    with pytest.raises(ProviderError) as caught:
        ProviderRouter([]).generate(chat_request, DeltaCollector())

    assert caught.value.retryable is False


def test_duplicate_provider_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        ProviderRouter([StubProvider("local"), StubProvider("local")])


def test_build_router_from_environment(
    openai_server: FakeLLMServer,
    anthropic_server: FakeLLMServer,
    vertex_server: FakeLLMServer,
    chat_request: GenerationRequest,
) -> None:
    config = load_llm_config(
        {
            "AURAOS_LLM_CHAIN": "anthropic,openai,vertex,local",
            "AURAOS_LLM_OPENAI_API_KEY": OPENAI_KEY,
            "AURAOS_LLM_OPENAI_BASE_URL": openai_server.base_url,
            "AURAOS_LLM_ANTHROPIC_API_KEY": ANTHROPIC_KEY,
            "AURAOS_LLM_ANTHROPIC_BASE_URL": anthropic_server.base_url,
            "AURAOS_LLM_ANTHROPIC_MAX_RETRIES": "0",
            "AURAOS_LLM_VERTEX_PROJECT": "auraos-test",
            "AURAOS_LLM_VERTEX_LOCATION": "europe-west1",
            "AURAOS_LLM_VERTEX_BASE_URL": vertex_server.base_url,
            "AURAOS_LLM_BACKOFF_INITIAL_S": "0.01",
            "AURAOS_LLM_BACKOFF_MAX_S": "0.02",
        }
    )
    local = StubProvider("local", text="local")
    router = build_router(config, local_provider=local, vertex_credentials=vertex_credentials())
    anthropic_server.script(Reply.fail(503))

    result = router.generate(chat_request, DeltaCollector())

    assert router.chain == ("anthropic", "openai", "vertex", "local")
    assert len(anthropic_server.requests) == 1  # MAX_RETRIES=0
    assert result.provider == "openai"
    assert result.cost_usd > 0


def test_build_router_leaves_out_providers_without_credentials() -> None:
    router = build_router(load_llm_config({}), local_provider=StubProvider("local"))

    assert router.chain == ("local",)


def test_a_local_only_router_imports_no_provider_sdk() -> None:
    # Each SDK takes up to a second to import; a cold start must not pay for unconfigured ones.
    script = (
        "import sys\n"
        "from ai_service.generation.provider_config import load_llm_config\n"
        "from ai_service.generation.router import build_router\n"
        "build_router(load_llm_config({}))\n"
        "print(sorted({'openai', 'anthropic', 'google.genai'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
