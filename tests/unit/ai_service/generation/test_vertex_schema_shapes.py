"""Gemini's function declarations from JSON Schema shapes pydantic rarely writes: type lists,
unions of several types, formats Gemini knows or not, and types it has no name for."""

from __future__ import annotations

from typing import Any

from ai_service.generation.base import ChatMessage, GenerationRequest, Role, ToolSpec
from tests.fakes.llm_servers import DeltaCollector, FakeLLMServer, build_provider


def _declared(server: FakeLLMServer, parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters as they reached the (fake) Vertex API for one tool."""
    request = GenerationRequest(
        system="",
        messages=(ChatMessage(role=Role.USER, content="hello"),),
        tools=(ToolSpec(name="probe", description="A probe.", parameters=parameters),),
    )
    collector = DeltaCollector()

    def never(invocation: Any) -> Any:
        raise AssertionError(f"no tool should run: {invocation}")

    build_provider(server.kind, server.base_url).generate(request, collector, run_tool=never)
    declaration = server.requests[0].body["tools"][0]["functionDeclarations"][0]
    parameters_sent: dict[str, Any] = declaration["parameters"]
    return parameters_sent


def test_each_shape_becomes_what_gemini_accepts(vertex_server: FakeLLMServer) -> None:
    sent = _declared(
        vertex_server,
        {
            "type": "object",
            "properties": {
                "when": {"type": ["string", "null"], "format": "date-time"},
                "colour": {"type": "string", "format": "color"},
                "amount": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "blob": {"type": "binary", "description": "raw bytes"},
            },
            "required": ["amount", "missing"],
        },
    )

    assert sent == {
        "type": "OBJECT",
        "properties": {
            # ["string", "null"] is a nullable STRING; date-time is a format Gemini takes
            "when": {"type": "STRING", "nullable": True, "format": "date-time"},
            # a format Gemini does not know is dropped, the type kept
            "colour": {"type": "STRING"},
            # a union of several types stays a union
            "amount": {"any_of": [{"type": "INTEGER"}, {"type": "STRING"}]},
            # a type Gemini has no name for is left out; what else was said stays
            "blob": {"description": "raw bytes"},
        },
        # only properties that exist can be required
        "required": ["amount"],
    }
