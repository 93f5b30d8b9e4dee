"""bench_constrained_tools' scoring: which steps are played, the call schema, how a call is
recorded and scored (the stories' matcher), and the premise of its extra sets. No model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ai_service.tools.builtin import default_registry
from bench.bench_constrained_tools import (
    CHATTER,
    CONSTRAINED,
    MAX_STRING,
    PARAPHRASES,
    PLANNER,
    Case,
    Score,
    arguments_schema,
    bounded,
    call_schema,
    decide,
    parse_call,
    planner_call,
    recorded_args,
    score,
    story_cases,
    summarise,
    system_prompt,
)
from tools.conversations.story import Step

LISBON = "Europe/Lisbon"
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo(LISBON))  # a Tuesday
SPECS = {spec.name: spec for spec in default_registry().specs()}
SCHEMA = call_schema(tuple(SPECS.values()))

STORY = """
stories:
  - name: asks then answers
    time_zone: Europe/Lisbon
    steps:
      - user: Remind me to call mum
        tool: create_reminder
        status: needs_input
      - user: in 20 minutes
        tool: create_reminder
        args: {text: call mum}
      - user: hello there
      - user: Add milk to my shopping list
        tool: add_task
        args: {text: milk, list: shopping}
      - user: order a pizza
        tool: none
"""


def _case(tool: str, args: dict[str, Any] | None = None, utterance: str = "x") -> Case:
    fields = None if args is None else Step(user=utterance, tool=tool, args=args).args
    return Case(source="t", kind="story", utterance=utterance, zone=LISBON, tool=tool, args=fields)


def test_story_cases_keep_single_turn_steps_that_name_a_tool(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STORY, encoding="utf-8")

    cases, skipped = story_cases([path])

    assert [(c.utterance, c.tool) for c in cases] == [
        ("Remind me to call mum", "create_reminder"),
        ("Add milk to my shopping list", "add_task"),
        ("order a pizza", "none"),
    ]
    assert skipped == 1  # "in 20 minutes" answers the pending question
    assert cases[0].source == "s.yaml: asks then answers #1"


def test_bounded_spreads_the_tool_steps_and_keeps_every_none() -> None:
    cases = [_case("add_task") for _ in range(10)] + [_case("none"), _case("none")]

    kept = bounded(cases, 4)

    assert sum(c.tool == "add_task" for c in kept) == 4
    assert sum(c.tool == "none" for c in kept) == 2
    assert bounded(cases, None) == cases


def test_arguments_schema_inlines_refs_caps_strings_and_drops_confirmed() -> None:
    remember = arguments_schema(SPECS["remember"].parameters)
    cancel = arguments_schema(SPECS["cancel_reminder"].parameters)
    note = arguments_schema(SPECS["add_note"].parameters)
    event = arguments_schema(SPECS["create_event"].parameters)

    assert remember["properties"]["kind"] == {
        "enum": ["fact", "preference", "person", "date"],
        "type": "string",
    }
    assert "$defs" not in remember
    assert "title" not in remember
    assert "confirmed" not in cancel["properties"]
    assert note["properties"]["text"]["maxLength"] == MAX_STRING
    assert "title" in event["properties"]
    assert event["required"] == ["title", "start"]


@pytest.mark.parametrize(
    ("text", "valid", "name"),
    [
        (
            '{"name": "add_task", "arguments": {"text": "milk", "list": "shopping"}}',
            True,
            "add_task",
        ),
        ('{"name": "none"}', True, "none"),
        ('{"name": "add_task", "arguments": {}}', False, "add_task"),  # text is required
        ('{"name": "clear_list", "arguments": {"confirmed": true}}', False, "clear_list"),
        ('{"name": "book_flight", "arguments": {}}', False, "book_flight"),
        ('{"name": "add_task", "arguments": {"text": "mi', False, None),  # cut off
    ],
)
def test_parse_call_checks_the_call_schema(text: str, valid: bool, name: str | None) -> None:
    parsed = parse_call(text, SCHEMA)

    assert (parsed.valid, parsed.name) == (valid, name)
    assert (parsed.problem is None) == valid


def test_recorded_args_fill_defaults_and_resolve_the_time() -> None:
    task = recorded_args(SPECS["add_task"], {"text": "milk"}, now=NOW, zone=LISBON)
    reminder = recorded_args(
        SPECS["create_reminder"], {"text": "call mum", "when": "at 6pm"}, now=NOW, zone=LISBON
    )
    cancel = recorded_args(SPECS["cancel_reminder"], {"text": None}, now=NOW, zone=LISBON)

    assert task == {"text": "milk", "list": "todo"}
    assert reminder["dueAt"] == "2026-11-24T18:00:00+00:00"
    assert cancel == {"confirmed": False}  # None dropped, as the registry's record does


def test_recorded_args_leave_an_unreadable_time_unresolved() -> None:
    got = recorded_args(
        SPECS["create_reminder"], {"text": "x", "when": "whenever"}, now=NOW, zone=LISBON
    )

    assert "dueAt" not in got


def test_score_splits_time_and_other_arguments() -> None:
    case = _case(
        "create_reminder",
        {"text": "call mum", "dueAt": {"local_time": "18:00", "day": "today_or_tomorrow"}},
    )
    right_time = {"text": "Call  Mum", "dueAt": "2026-11-24T18:00:00+00:00"}
    wrong_time = {"text": "call mum", "dueAt": "2026-11-24T19:00:00+00:00"}

    assert score(case, "create_reminder", right_time, now=NOW) == Score(
        True, True, True, True, None
    )
    missed = score(case, "create_reminder", wrong_time, now=NOW)
    assert (missed.slots_ok, missed.time_ok, missed.other_ok) == (False, False, True)
    assert str(missed.problem).startswith("dueAt")


def test_score_a_wrong_tool_and_a_none_case() -> None:
    wrong = score(_case("add_task", {"text": "milk"}), "add_note", {"text": "milk"}, now=NOW)
    none_right = score(_case("none"), None, {}, now=NOW)
    none_wrong = score(_case("none"), "add_task", {"text": "pizza"}, now=NOW)

    assert (wrong.tool_ok, wrong.slots_ok, wrong.time_ok) == (False, False, None)
    assert none_right == Score(True, None, None, None, None)
    assert (none_wrong.tool_ok, none_wrong.problem) == (False, "tool: got add_task")


def test_the_planner_misses_the_paraphrases_and_leaves_the_chatter_to_the_model() -> None:
    assert [planner_call(case)[0] for case in PARAPHRASES] == [None] * len(PARAPHRASES)
    assert [planner_call(case)[0] for case in CHATTER] == [None] * len(CHATTER)
    assert all(case.tool in SPECS for case in PARAPHRASES)


def test_system_prompt_lists_every_tool_then_zone_and_now() -> None:
    prompt = system_prompt(tuple(SPECS.values()), zone="Asia/Tokyo", now=NOW)

    assert all(f"- {name}(" in prompt for name in SPECS)
    assert "confirmed" not in prompt
    assert prompt.endswith(
        "The user's time zone is Asia/Tokyo; it is now Tuesday 2026-11-24 19:15 there."
    )


def _row(tool: str, planner: Score, model: Score, valid: bool = True) -> dict[str, Any]:
    return {
        "tool": tool,
        PLANNER: {"score": planner, "seconds": 0.001},
        CONSTRAINED: {"score": model, "seconds": 2.0, "valid": valid},
    }


HIT = Score(True, True, None, True, None)
MISS = Score(False, False, None, None, "tool")
NONE_HIT = Score(True, None, None, None, None)


def test_summarise_counts_each_share_over_its_own_cases() -> None:
    rows = [
        _row("add_task", HIT, MISS, valid=False),
        _row("add_task", HIT, HIT),
        _row("none", NONE_HIT, MISS),
    ]

    model = summarise(rows, CONSTRAINED)

    assert model["tool"] == {"ok": 1, "n": 3, "pct": 33.3}
    assert model["slots"] == {"ok": 1, "n": 2, "pct": 50.0}
    assert model["none_right"] == {"ok": 0, "n": 1, "pct": 0.0}
    assert model["valid_json"] == {"ok": 2, "n": 3, "pct": 66.7}
    assert model["time_args"] == {"ok": 0, "n": 0, "pct": None}
    assert model["latency_p50_ms"] == 2000.0


def test_decide_wants_more_paraphrases_gained_than_chatter_acted_on() -> None:
    stories = [_row("add_task", HIT, MISS)]
    paraphrases = [_row("add_task", MISS, HIT), _row("add_task", MISS, HIT)]
    summary = {
        "stories": {m: summarise(stories, m) for m in (PLANNER, CONSTRAINED)},
        "paraphrases": {m: summarise(paraphrases, m) for m in (PLANNER, CONSTRAINED)},
    }
    quiet = [_row("none", NONE_HIT, NONE_HIT)] * 3
    noisy = [_row("none", NONE_HIT, MISS)] * 2 + [_row("none", NONE_HIT, NONE_HIT)]

    helps = decide({**summary, "chatter": {m: summarise(quiet, m) for m in (PLANNER, CONSTRAINED)}})
    hurts = decide({**summary, "chatter": {m: summarise(noisy, m) for m in (PLANNER, CONSTRAINED)}})

    assert (helps["ships_first"], helps["fallback_worth_it"]) == (PLANNER, True)
    assert (hurts["fallback_gains_paraphrases"], hurts["fallback_wrong_calls_on_chatter"]) == (2, 2)
    assert hurts["fallback_worth_it"] is False
