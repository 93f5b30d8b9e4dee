"""The planner asks for what a request leaves out, and takes the answer to what it asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ai_service.tools.planner import Ask, Call, Plan, plan_turn
from shared.models.assistant import PendingAction

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
REMIND_ABOUT_WHAT = PendingAction(
    tool="create_reminder",
    args={},
    missing="text",
    question="What should I remind you about?",
    turn_id="t1",
    created_at=NOW,
)


def plan(text: str, pending: PendingAction | None = None) -> Plan | None:
    return plan_turn(text=text, intent="out_of_scope", pending=pending)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "take a note",
            Ask("add_note", {}, "text", "What should the note say?"),
        ),
        (
            "search my notes",
            Ask("search_notes", {}, "query", "What should I look for in your notes?"),
        ),
        (
            "add a dentist appointment to my calendar",
            Ask(
                "create_event",
                {"title": "dentist appointment"},
                "start",
                "When is dentist appointment?",
            ),
        ),
    ],
)
def test_a_request_without_its_object_or_time_is_answered_with_a_question(
    text: str, expected: Ask
) -> None:
    assert plan(text) == expected


def test_needing_to_buy_something_adds_it_to_the_shopping_list() -> None:
    assert plan("I need to buy eggs") == Call("add_task", {"text": "eggs", "list": "shopping"})


def test_an_answer_with_a_time_completes_the_reminder() -> None:
    assert plan("to call mum at 5pm", REMIND_ABOUT_WHAT) == Call(
        "create_reminder", {"when": "at 5pm", "text": "call mum"}
    )


def test_an_answer_without_a_time_asks_when() -> None:
    assert plan("call mum", REMIND_ABOUT_WHAT) == Ask(
        "create_reminder",
        {"text": "call mum"},
        "when",
        "When should I remind you to call mum?",
    )
