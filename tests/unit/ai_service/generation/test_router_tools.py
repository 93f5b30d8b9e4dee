"""The router with tools: the runner reaches the provider, and a tool that ran ends fallback."""

from __future__ import annotations

import json

import pytest

from ai_service.generation.base import (
    GenerationRequest,
    ProviderError,
    ToolInvocation,
    ToolResult,
    ToolSpec,
)
from ai_service.generation.router import ProviderRouter, RetryPolicy
from shared.models.tools import AddTaskArgs
from tests.fakes.llm_servers import (
    RESULT,
    DeltaCollector,
    FakeLLMServer,
    Reply,
    ToolCall,
    build_provider,
)

RETRYING = RetryPolicy(attempts=3, initial_backoff_s=0.0, max_backoff_s=0.0, jitter_s=0.0)
ADD_TASK = ToolSpec(
    name="add_task", description="Add an item to a list", parameters=AddTaskArgs.model_json_schema()
)


class Runner:
    def __init__(self) -> None:
        self.calls: list[ToolInvocation] = []

    def __call__(self, invocation: ToolInvocation) -> ToolResult:
        self.calls.append(invocation)
        return ToolResult(
            call_id=invocation.call_id, name=invocation.name, content=json.dumps({"id": "t1"})
        )


def router_over(*servers: FakeLLMServer) -> ProviderRouter:
    providers = [build_provider(s.kind, s.base_url) for s in servers]
    return ProviderRouter(providers, retry=RETRYING, sleep=lambda _: None)


@pytest.fixture
def tool_request(chat_request: GenerationRequest) -> GenerationRequest:
    return chat_request.model_copy(update={"tools": (ADD_TASK,)})


def test_router_hands_the_runner_to_the_provider(
    openai_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    openai_server.script(
        Reply(text="", tool_calls=(ToolCall("add_task", {"text": "milk"}),), input_tokens=40),
        Reply(text=f"Added: {RESULT}", input_tokens=60),
    )
    runner = Runner()

    result = router_over(openai_server).generate(tool_request, DeltaCollector(), run_tool=runner)

    assert [(c.name, c.arguments) for c in runner.calls] == [("add_task", {"text": "milk"})]
    assert result.text == 'Added: {"id": "t1"}'
    assert result.input_tokens == 100  # both rounds, priced together
    assert result.attempts == 1


def test_no_fallback_or_retry_once_a_tool_ran(
    openai_server: FakeLLMServer,
    anthropic_server: FakeLLMServer,
    tool_request: GenerationRequest,
) -> None:
    # No text before the call: only the tool having run forbids the fallback.
    openai_server.script(
        Reply(text="", tool_calls=(ToolCall("add_task", {"text": "milk"}),)), Reply.fail(503)
    )
    anthropic_server.script(Reply(text="From Claude."))
    runner = Runner()
    collector = DeltaCollector()

    with pytest.raises(ProviderError) as caught:
        router_over(openai_server, anthropic_server).generate(
            tool_request, collector, run_tool=runner
        )

    assert caught.value.provider == "openai"
    assert len(runner.calls) == 1  # the task was added once, not again by a retry or Claude
    assert len(openai_server.requests) == 2  # the 503 was transient, yet not retried
    assert anthropic_server.requests == []
    assert collector.text == ""


def test_failure_before_any_tool_ran_still_falls_back(
    openai_server: FakeLLMServer,
    anthropic_server: FakeLLMServer,
    tool_request: GenerationRequest,
) -> None:
    openai_server.script(Reply.fail(503))
    anthropic_server.script(
        Reply(text="", tool_calls=(ToolCall("add_task", {"text": "milk"}),)),
        Reply(text="Added it."),
    )
    runner = Runner()

    result = router_over(openai_server, anthropic_server).generate(
        tool_request, DeltaCollector(), run_tool=runner
    )

    assert len(openai_server.requests) == RETRYING.attempts
    assert (result.provider, result.text) == ("anthropic", "Added it.")
    assert len(runner.calls) == 1
    assert anthropic_server.requests[0].offered_tools() == ["add_task"]
