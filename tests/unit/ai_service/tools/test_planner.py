from datetime import UTC, datetime

import pytest

from ai_service.tools.planner import Ask, Call, Say, plan_turn
from shared.models.assistant import PendingAction

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def plan(
    text: str, *, intent: str = "out_of_scope", pending: PendingAction | None = None
) -> object:
    return plan_turn(text=text, intent=intent, pending=pending)


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        (
            "Remind me to water the plants at 6pm",
            "create_reminder",
            {"text": "water the plants", "when": "at 6pm"},
        ),
        (
            "Can you remind me in 20 minutes to stretch?",
            "create_reminder",
            {"text": "stretch", "when": "in 20 minutes"},
        ),
        ("What are my reminders?", "list_reminders", {}),
        (
            "Cancel the reminder to water the plants",
            "cancel_reminder",
            {"text": "water the plants"},
        ),
        ("Add milk to my shopping list", "add_task", {"text": "milk", "list": "shopping"}),
        (
            "add call the bank to my to-do list",
            "add_task",
            {"text": "call the bank", "list": "todo"},
        ),
        ("Put passport on the packing list", "add_task", {"text": "passport", "list": "packing"}),
        ("What's on my shopping list?", "list_tasks", {"list": "shopping"}),
        ("What do I need to buy?", "list_tasks", {"list": "shopping"}),
        ("tick off eggs", "complete_task", {"text": "eggs"}),
        ("Clear my shopping list", "clear_list", {"list": "shopping"}),
        (
            "Take a note: the wifi password is on the router",
            "add_note",
            {"text": "the wifi password is on the router"},
        ),
        ("Search my notes for wifi", "search_notes", {"query": "wifi"}),
        (
            "Schedule a meeting with Ana tomorrow at 3pm",
            "create_event",
            {"title": "meeting with Ana", "start": "tomorrow at 3pm"},
        ),
        (
            "Add dentist to my calendar on Friday at 10am",
            "create_event",
            {"title": "dentist", "start": "on Friday at 10am"},
        ),
        ("What's on my calendar tomorrow?", "list_events", {"day": "tomorrow"}),
        ("What time is it?", "get_time", {}),
        ("What's 12*(3+4)?", "calculate", {"expression": "12*(3+4)"}),
        ("Will it rain today?", "get_weather", {}),
        ("Recommend me a book", "get_recommendations", {}),
    ],
)
def test_requests_become_tool_calls(text: str, tool: str, args: dict[str, object]) -> None:
    planned = plan(text)

    assert isinstance(planned, Call)
    assert (planned.tool, planned.args) == (tool, args)
    assert planned.confirmed is False


def test_a_reminder_without_a_subject_asks_what_about_and_the_answer_completes_it() -> None:
    asked = plan("Remind me tomorrow")
    assert isinstance(asked, Ask)
    assert asked.question == "What should I remind you about?"
    pending = _pending(asked)

    answered = plan("to call mum", pending=pending)

    assert answered == Call("create_reminder", {"when": "tomorrow", "text": "call mum"})


def test_a_reminder_without_a_time_asks_when() -> None:
    asked = plan("remind me to call mum")
    assert isinstance(asked, Ask)
    assert asked.question == "When should I remind you to call mum?"

    assert plan("in 20 minutes", pending=_pending(asked)) == Call(
        "create_reminder", {"text": "call mum", "when": "in 20 minutes"}
    )
    again = plan("whenever", pending=_pending(asked))
    assert isinstance(again, Ask)
    assert "tomorrow at 9am" in again.question


def test_a_new_request_replaces_a_pending_question() -> None:
    pending = _pending(plan("Remind me tomorrow"))

    assert plan("Add milk to my shopping list", pending=pending) == Call(
        "add_task", {"text": "milk", "list": "shopping"}
    )


def test_a_confirmation_runs_the_pending_action_confirmed_and_no_keeps_it() -> None:
    pending = PendingAction(
        tool="cancel_reminder",
        args={"reminderId": "r1"},
        question="Cancel the reminder to water the plants? Say yes or no.",
        turn_id="t1",
        created_at=NOW,
    )

    assert plan("Yes please", pending=pending) == Call(
        "cancel_reminder", {"reminderId": "r1"}, confirmed=True
    )
    declined = plan("no", pending=pending)
    assert isinstance(declined, Say)
    assert declined.text == "Okay, I'll keep it."
    # an unrelated turn drops it and goes to the model
    assert plan("tell me a joke", pending=pending) is None


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("Book me a flight to Paris", "book flights"),
        ("Order a pizza", "order things"),
        ("Play some jazz", "play music"),
    ],
)
def test_what_aura_cannot_do_is_said_honestly(text: str, what: str) -> None:
    planned = plan(text)

    assert isinstance(planned, Say)
    assert planned.text.startswith(f"I can't {what} yet.")
    assert "set reminders" in planned.text


def test_chat_goes_to_the_model() -> None:
    for text in ("How are you?", "Tell me a joke about cats", "Why is the sky blue?"):
        assert plan(text, intent="smalltalk") is None


def test_a_loose_completion_is_soft() -> None:
    planned = plan("I finished the book")

    assert isinstance(planned, Call)
    assert planned.soft


def _pending(asked: object) -> PendingAction:
    assert isinstance(asked, Ask)
    return PendingAction(
        tool=asked.tool,
        args=asked.args,
        missing=asked.missing,
        question=asked.question,
        turn_id="t1",
        created_at=NOW,
    )
