"""The tools that need no stored data: exact answers for what a small model gets wrong."""

from datetime import UTC, datetime

import pytest

from ai_service.clients import firestore_client
from ai_service.stores.assistant import AssistantStore
from ai_service.tools.builtin import default_registry
from ai_service.tools.registry import ToolContext

NOW = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> ToolContext:
    # A client that is never reached: these tools must not touch Firestore.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    db = firestore_client("demo-unit")
    return ToolContext(
        uid="u1", cid="c1", turn_id="t1", time_zone="Asia/Tokyo", now=NOW, store=AssistantStore(db)
    )


def run(ctx: ToolContext, name: str, **args: object) -> tuple[str, str]:
    done = default_registry().call(ctx, name, args)
    return done.record.status.value, done.output.say


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is 12 * (3 + 4)?", "12 * (3 + 4) = 84"),
        ("2^10", "2^10 = 1,024"),
        ("calculate 7 / 2", "7 / 2 = 3.5"),
        ("what's 6 x 7", "6 x 7 = 42"),
        ("-3 + 5", "-3 + 5 = 2"),
    ],
)
def test_arithmetic_is_computed_not_generated(ctx: ToolContext, text: str, expected: str) -> None:
    assert run(ctx, "calculate", expression=text) == ("ok", expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2*3+" + "-" * 150 + "1", id="150-unary-minus"),
        pytest.param("1/0", id="division-by-zero"),
        pytest.param("hello world", id="no-expression"),
    ],
)
def test_what_cannot_be_evaluated_is_an_error_said_plainly(ctx: ToolContext, text: str) -> None:
    status, say = run(ctx, "calculate", expression=text)

    assert status == "error"
    assert say.startswith("I couldn't evaluate that expression.")


def test_time_and_date_come_from_the_clock_in_the_users_zone(ctx: ToolContext) -> None:
    assert run(ctx, "get_time") == ("ok", "It is 23:05 (Asia/Tokyo) right now.")
    assert run(ctx, "get_time", what="date") == ("ok", "Today is Thursday, 26 November 2026.")


def test_weather_is_declined_without_a_source(ctx: ToolContext) -> None:
    status, say = run(ctx, "get_weather", location="Paris")

    assert status == "ok"
    assert "no live weather data" in say


def test_bad_arguments_are_an_error_record_not_an_exception(ctx: ToolContext) -> None:
    done = default_registry().call(ctx, "calculate", {"expression": "", "extra": 1})

    assert done.record.status.value == "error"
    assert "expression" in done.output.say
    assert "extra" in done.output.say
    unknown = default_registry().call(ctx, "book_flight", {})
    assert unknown.output.say == "There is no tool named 'book_flight'."


def test_every_tool_has_a_json_schema_a_provider_accepts() -> None:
    specs = default_registry().specs()

    assert {spec.name for spec in specs} >= {
        "create_reminder",
        "list_reminders",
        "cancel_reminder",
        "add_task",
        "list_tasks",
        "complete_task",
        "add_note",
        "search_notes",
        "create_event",
        "list_events",
        "get_time",
        "calculate",
        "get_weather",
        "get_recommendations",
    }
    for spec in specs:
        assert spec.parameters["type"] == "object"
        assert spec.description
        assert all(" " not in name for name in spec.parameters.get("properties", {}))
