"""Function calling through each real SDK against the fake servers: the provider's tool loop."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel, Field

from ai_service.generation.base import (
    MAX_TOOL_ROUNDS,
    ChatMessage,
    GenerationRequest,
    Provider,
    Role,
    ToolInvocation,
    ToolResult,
    ToolSpec,
)
from shared.models.base import Frozen
from shared.models.tools import AddTaskArgs, CompleteTaskArgs, ListTasksArgs
from tests.fakes.llm_servers import (
    RESULT,
    SIGNATURE,
    DeltaCollector,
    FakeLLMServer,
    Kind,
    Reply,
    ToolCall,
    build_provider,
)

SHOPPING = {"list": "shopping", "items": ["milk", "eggs"]}


class NoArgs(Frozen):
    """A tool without arguments (Gemini refuses an object schema with no properties)."""


def spec(name: str, model: type[BaseModel]) -> ToolSpec:
    return ToolSpec(
        name=name, description=model.__doc__ or name, parameters=model.model_json_schema()
    )


TOOLS = (
    spec("list_tasks", ListTasksArgs),
    spec("add_task", AddTaskArgs),
    spec("get_time", NoArgs),
)


class Runner:
    """A ToolRunner that records each call and the text the caller had seen at that moment."""

    def __init__(self, collector: DeltaCollector, *, content: Any = SHOPPING, error: bool = False):
        self.calls: list[ToolInvocation] = []
        self.text_at_call: list[str] = []
        self._collector = collector
        self._content = content
        self._error = error

    def __call__(self, invocation: ToolInvocation) -> ToolResult:
        self.calls.append(invocation)
        self.text_at_call.append(self._collector.text)
        return ToolResult(
            call_id=invocation.call_id,
            name=invocation.name,
            content=json.dumps(self._content),
            is_error=self._error,
        )


def provider_for(server: FakeLLMServer) -> Provider:
    return build_provider(server.kind, server.base_url)


@pytest.fixture
def tool_request(chat_request: GenerationRequest) -> GenerationRequest:
    return chat_request.model_copy(update={"tools": TOOLS})


def test_tool_call_gets_the_result_and_the_reply_finishes(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(
            text="Let me look. ",
            tool_calls=(ToolCall("list_tasks", {"list": "shopping"}),),
            input_tokens=30,
            output_tokens=7,
        ),
        Reply(text=f"Your list: {RESULT}", chunks=4, input_tokens=52, output_tokens=12),
    )
    collector = DeltaCollector()
    runner = Runner(collector)

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    (call,) = runner.calls
    assert (call.name, call.arguments) == ("list_tasks", {"list": "shopping"})
    assert runner.text_at_call == ["Let me look. "]  # streamed before the tool ran
    first, follow_up = llm_server.requests
    assert first.offered_tools() == ["list_tasks", "add_task", "get_time"]
    assert first.tool_results() == []
    (sent,) = follow_up.tool_results()
    assert json.loads(sent.content) == SHOPPING
    expected = "Let me look. Your list: " + follow_up_text(llm_server)
    assert collector.text == expected
    assert result.text == expected
    assert len(collector.pieces) > 2  # the second round streamed in pieces too
    assert (result.input_tokens, result.output_tokens) == (30 + 52, 7 + 12)
    assert result.provider == llm_server.kind


def follow_up_text(server: FakeLLMServer) -> str:
    """What the fake says RESULT was in the last request: the result as the model read it."""
    return server.requests[-1].tool_results()[-1].content


def test_call_ids_match_between_call_and_result(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(text="", tool_calls=(ToolCall("get_time", call_id="call-7"), ToolCall("get_time"))),
        Reply(text="It is late."),
    )
    collector = DeltaCollector()
    runner = Runner(collector, content={"time": "23:10"})

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    assert runner.calls[0].call_id == "call-7"
    assert len({c.call_id for c in runner.calls}) == 2  # a made-up id is still unique
    sent = llm_server.requests[1].tool_results()
    assert len(sent) == 2
    if llm_server.kind == "vertex":
        # Gemini matches responses by name (and by id where it gave one).
        assert [(r.call_id, r.name) for r in sent] == [("call-7", "get_time"), (None, "get_time")]
    else:
        assert [r.call_id for r in sent] == [c.call_id for c in runner.calls]
    assert result.text == "It is late."


def test_tool_error_is_reported_and_the_reply_completes(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(text="", tool_calls=(ToolCall("add_task", {"text": "milk", "list": "x" * 41}),)),
        Reply(text=f"Sorry, that failed: {RESULT}"),
    )
    collector = DeltaCollector()
    runner = Runner(collector, content={"error": "list: at most 40 characters"}, error=True)

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    assert len(runner.calls) == 1
    (sent,) = llm_server.requests[1].tool_results()
    assert "list: at most 40 characters" in sent.content
    if llm_server.kind == "anthropic":
        assert sent.is_error is True
    else:  # no error flag on the wire: the result says it under `error`
        assert json.loads(sent.content)["error"] == "list: at most 40 characters"
    assert result.text.startswith("Sorry, that failed: ")
    assert result.finish_reason in {"stop", "end_turn", "STOP"}


def test_malformed_arguments_go_back_to_the_model_as_an_error(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(text="", tool_calls=(ToolCall("add_task", '{"text": milk, "list"'),)),
        Reply(text="Added milk."),
    )
    collector = DeltaCollector()
    runner = Runner(collector)

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    assert runner.calls == []  # nothing ran on arguments that do not parse
    follow_up = llm_server.requests[1]
    if llm_server.kind == "vertex":
        # Gemini sends no call it could not parse (MALFORMED_FUNCTION_CALL): it is told in a turn.
        last = follow_up.body["contents"][-1]
        assert last["role"] == "user"
        assert "malformed" in last["parts"][0]["text"].lower()
    else:
        (sent,) = follow_up.tool_results()
        error = json.loads(sent.content)["error"]
        assert "JSON" in error
        assert '{"text": milk, "list"' in error  # quoted, so the model sees what it wrote
    assert result.text == "Added milk."


def test_tool_rounds_are_bounded(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(
            text="Checking. ", tool_calls=(ToolCall("get_time"),), input_tokens=10, output_tokens=2
        )
    )
    collector = DeltaCollector()
    runner = Runner(collector, content={"time": "09:00"})

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    requests = llm_server.requests
    assert len(requests) == MAX_TOOL_ROUNDS + 1
    assert len(runner.calls) == MAX_TOOL_ROUNDS
    assert [r.tool_choice_none() for r in requests] == [False] * MAX_TOOL_ROUNDS + [True]
    # The last request still lists the tools: the history it carries refers to them.
    assert requests[-1].offered_tools() == ["list_tasks", "add_task", "get_time"]
    assert result.text == "Checking. " * (MAX_TOOL_ROUNDS + 1)
    assert (result.input_tokens, result.output_tokens) == (10 * 5, 2 * 5)


def test_a_model_that_ignores_tool_choice_is_still_bounded(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(text="Again. ", tool_calls=(ToolCall("get_time"),), obey_tool_choice=False)
    )
    collector = DeltaCollector()
    runner = Runner(collector, content={"time": "09:00"})

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    assert len(llm_server.requests) == MAX_TOOL_ROUNDS + 1
    assert len(runner.calls) == MAX_TOOL_ROUNDS  # the call after the bound is not run
    assert result.text == "Again. " * (MAX_TOOL_ROUNDS + 1)


def test_cancelled_round_runs_no_tool(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(
        Reply(text="Let me look that up. ", chunks=4, tool_calls=(ToolCall("list_tasks"),))
    )
    collector = DeltaCollector(stop_after=1)
    runner = Runner(collector)

    result = provider_for(llm_server).generate(tool_request, collector, run_tool=runner)

    assert runner.calls == []
    assert len(llm_server.requests) == 1
    assert result.finish_reason == "cancelled"
    assert result.text == collector.text


def test_without_a_runner_no_tools_are_offered(
    llm_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    llm_server.script(Reply(text="Plain answer.", tool_calls=(ToolCall("get_time"),)))

    result = provider_for(llm_server).generate(tool_request, DeltaCollector())

    (sent,) = llm_server.requests
    assert sent.offered_tools() == []
    assert "tools" not in sent.body
    assert result.text == "Plain answer."


# -- each provider's wire format ----------------------------------------------------------


def test_openai_tool_round_on_the_wire(
    openai_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    openai_server.script(
        Reply(
            text="On it. ", tool_calls=(ToolCall("add_task", {"text": "milk"}, call_id="call_a"),)
        ),
        Reply(text="Done."),
    )
    collector = DeltaCollector()

    provider_for(openai_server).generate(
        tool_request, collector, run_tool=Runner(collector, content={"id": "t1"})
    )

    first, second = (r.body for r in openai_server.requests)
    assert first["tools"][1] == {
        "type": "function",
        "function": {
            "name": "add_task",
            "description": AddTaskArgs.__doc__,
            "parameters": AddTaskArgs.model_json_schema(),
        },
    }
    assert first["tool_choice"] == "auto"
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": "On it. ",
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "add_task", "arguments": '{"text": "milk"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": '{"id": "t1"}'},
    ]


def test_anthropic_tool_round_on_the_wire(
    anthropic_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    anthropic_server.script(
        Reply(text="On it. ", tool_calls=(ToolCall("add_task", {"text": "milk"}, call_id="tu_a"),)),
        Reply(text="Done."),
    )
    collector = DeltaCollector()

    provider_for(anthropic_server).generate(
        tool_request, collector, run_tool=Runner(collector, content={"id": "t1"})
    )

    first, second = (r.body for r in anthropic_server.requests)
    assert first["tools"][1] == {
        "name": "add_task",
        "description": AddTaskArgs.__doc__,
        "input_schema": AddTaskArgs.model_json_schema(),
    }
    assert first["tool_choice"] == {"type": "auto"}
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "On it. "},
                {"type": "tool_use", "id": "tu_a", "name": "add_task", "input": {"text": "milk"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "tu_a",
                    "content": '{"id": "t1"}',
                    "is_error": False,
                }
            ],
        },
    ]


def test_vertex_tool_round_on_the_wire(
    vertex_server: FakeLLMServer, tool_request: GenerationRequest
) -> None:
    vertex_server.script(
        Reply(text="On it. ", tool_calls=(ToolCall("add_task", {"text": "milk"}),)),
        Reply(text="Done."),
    )
    collector = DeltaCollector()

    provider_for(vertex_server).generate(
        tool_request, collector, run_tool=Runner(collector, content={"id": "t1"})
    )

    first, second = (r.body for r in vertex_server.requests)
    declarations = first["tools"][0]["functionDeclarations"]
    assert declarations[1] == {
        "name": "add_task",
        "description": AddTaskArgs.__doc__,
        "parameters": {
            "type": "OBJECT",
            "description": AddTaskArgs.__doc__,
            "properties": {
                # The SDK writes proto field names; the API's JSON parser takes either spelling.
                "text": {"type": "STRING", "min_length": 1, "max_length": 500},
                "list": {"type": "STRING", "min_length": 1, "max_length": 40},
            },
            "required": ["text"],
        },
    }
    assert declarations[2] == {"name": "get_time", "description": NoArgs.__doc__}
    assert first["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    model_turn, response_turn = second["contents"][-2:]
    assert model_turn["role"] == "model"
    call_part = model_turn["parts"][-1]
    assert call_part["functionCall"] == {"name": "add_task", "args": {"text": "milk"}}
    assert call_part["thoughtSignature"] == SIGNATURE  # the signed call goes back as it came
    assert response_turn == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "add_task", "response": {"id": "t1"}}}],
    }


def test_vertex_schema_keeps_nullable_fields_and_drops_what_gemini_refuses(
    vertex_server: FakeLLMServer,
) -> None:
    request = GenerationRequest(
        system="",
        messages=(ChatMessage(role=Role.USER, content="Done with milk"),),
        tools=(spec("complete_task", CompleteTaskArgs),),
    )
    collector = DeltaCollector()

    provider_for(vertex_server).generate(request, collector, run_tool=Runner(collector))

    parameters = vertex_server.requests[0].body["tools"][0]["functionDeclarations"][0]["parameters"]
    assert parameters["properties"]["taskId"] == {
        "type": "STRING",
        "nullable": True,
        "min_length": 1,
        "max_length": 200,
    }
    assert parameters["properties"]["done"] == {"type": "BOOLEAN"}
    assert "required" not in parameters
    flat = json.dumps(parameters)
    for refused in ("additionalProperties", "title", "default", "anyOf", '"null"'):
        assert refused not in flat


@pytest.mark.parametrize("kind", ["openai", "anthropic"])  # Gemini sends no unparsable call
def test_malformed_arguments_are_echoed_as_an_empty_object(
    kind: Kind, tool_request: GenerationRequest
) -> None:
    collector = DeltaCollector()
    with FakeLLMServer(kind) as server:
        server.script(
            Reply(text="", tool_calls=(ToolCall("add_task", "[1, 2]", call_id="c1"),)),
            Reply(text="ok"),
        )
        provider_for(server).generate(tool_request, collector, run_tool=Runner(collector))
        echoed = server.requests[1].body["messages"][-2]

    assert echoed["role"] == "assistant"
    if kind == "openai":
        assert echoed["tool_calls"][0]["function"]["arguments"] == "{}"
    else:
        assert echoed["content"] == [
            {"type": "tool_use", "id": "c1", "name": "add_task", "input": {}}
        ]


class Shade(StrEnum):
    WARM = "warm"
    COOL = "cool"


class Bulb(BaseModel):
    room: str
    shade: Shade = Shade.WARM


class LightsArgs(BaseModel):
    bulbs: list[Bulb] = Field(min_length=1)
    fallback: Shade | None = None


def test_vertex_schema_inlines_nested_models_and_enums(vertex_server: FakeLLMServer) -> None:
    request = GenerationRequest(
        system="",
        messages=(ChatMessage(role=Role.USER, content="Lights on"),),
        tools=(spec("set_lights", LightsArgs),),
    )
    collector = DeltaCollector()

    provider_for(vertex_server).generate(request, collector, run_tool=Runner(collector))

    parameters = vertex_server.requests[0].body["tools"][0]["functionDeclarations"][0]["parameters"]
    assert "$ref" not in json.dumps(parameters)
    assert "$defs" not in parameters
    bulbs = parameters["properties"]["bulbs"]
    assert bulbs["type"] == "ARRAY"
    assert bulbs["items"]["properties"]["shade"] == {"type": "STRING", "enum": ["warm", "cool"]}
    assert bulbs["items"]["required"] == ["room"]
    assert parameters["properties"]["fallback"] == {
        "type": "STRING",
        "enum": ["warm", "cool"],
        "nullable": True,
    }
