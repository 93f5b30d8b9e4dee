"""The registry as a provider's tool runner: each call recorded, its result as JSON for the model,
failures as error results; names are unique and their records hold JSON types only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ai_service.generation.base import ToolInvocation
from ai_service.tools.builtin import calculate, default_registry, get_time
from ai_service.tools.registry import Executed, Tool, ToolContext, ToolRegistry
from shared.models.tools import CalculateArgs, GetTimeArgs

NOW = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)


@pytest.fixture
def ctx() -> ToolContext:
    # These tools read no data: no store at all.
    return ToolContext(
        uid="u1",
        cid="c1",
        turn_id="t1",
        time_zone="Europe/Lisbon",
        now=NOW,
        store=None,  # type: ignore[arg-type]
    )


def test_a_tool_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="tool 'calculate' registered twice"):
        ToolRegistry(
            [
                Tool("calculate", CalculateArgs, calculate),
                Tool("calculate", CalculateArgs, calculate),
            ]
        )


def test_names_are_listed_in_registration_order() -> None:
    registry = ToolRegistry(
        [Tool("get_time", GetTimeArgs, get_time), Tool("calculate", CalculateArgs, calculate)]
    )

    assert registry.names == ("get_time", "calculate")
    assert [spec.name for spec in registry.specs()] == ["get_time", "calculate"]


def test_the_runner_returns_the_result_as_json_and_records_the_call(ctx: ToolContext) -> None:
    executed: list[Executed] = []
    run = default_registry().runner(ctx, executed)

    result = run(
        ToolInvocation(call_id="call-1", name="calculate", arguments={"expression": "6*7"})
    )

    assert result.call_id == "call-1"
    assert result.name == "calculate"
    assert not result.is_error
    assert json.loads(result.content) == {
        "status": "ok",
        "message": "6*7 = 42",
        "expression": "6*7",
        "value": 42,
    }
    assert [done.record.name for done in executed] == ["calculate"]


def test_an_unknown_tool_is_an_error_result_not_an_exception(ctx: ToolContext) -> None:
    executed: list[Executed] = []
    run = default_registry().runner(ctx, executed)

    result = run(ToolInvocation(call_id="call-2", name="launch_rocket", arguments={}))

    assert result.is_error
    assert json.loads(result.content) == {
        "status": "error",
        "message": "There is no tool named 'launch_rocket'.",
        "error": "There is no tool named 'launch_rocket'.",
    }
    assert executed[0].record.status.value == "error"


def test_a_failed_calls_arguments_are_recorded_as_json_types(ctx: ToolContext) -> None:
    done = default_registry().call(ctx, "nope", {"at": NOW, "amount": Decimal("1.50")})

    assert done.record.args == {"at": "2026-11-26T14:05:00+00:00", "amount": "1.50"}
