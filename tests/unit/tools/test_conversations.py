"""tools.conversations without the stack: the story format, relative times, checks, the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from tools.conversations.checks import Check, Context, Observed, StepResult, check_state, check_step
from tools.conversations.cli import SHIPPED, collect, main, story_files
from tools.conversations.report import as_json, format_table, totals, write_junit
from tools.conversations.story import Expected, StoryError, TimeSpec, parse_stories
from tools.conversations.timing import expected_instants, time_matches

LISBON = ZoneInfo("Europe/Lisbon")
TOKYO = ZoneInfo("Asia/Tokyo")
# Tuesday 1 December 2026, 14:05 in Lisbon (UTC+0 in winter).
NOW = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)

STORY = """
stories:
  - name: water the plants
    time_zone: Europe/Lisbon
    setup:
      tasks: [{text: eggs, list: shopping}]
    steps:
      - user: Remind me to water the plants at 6pm
        intent: reminder
        tool: create_reminder
        status: ok
        args:
          text: water the plants
          dueAt: {local_time: "18:00", day: today_or_tomorrow}
        reply: "^Okay, I'll remind you to water the plants today at 18:00\\\\.$"
        pending: none
        state:
          - collection: reminders
            where: {status: scheduled}
            count: 1
      - user: What can you do?
        tool: none
        conversation: other
"""


def spec(**fields: object) -> TimeSpec:
    return TimeSpec.model_validate(fields)


# -- the format -----------------------------------------------------------------------------------


def test_a_story_parses_into_typed_steps() -> None:
    (story,) = parse_stories(STORY)
    first, second = story.steps
    assert (story.name, story.time_zone, len(story.setup.tasks)) == (
        "water the plants",
        "Europe/Lisbon",
        1,
    )
    assert first.args is not None
    assert first.args["dueAt"].root == spec(local_time="18:00", day="today_or_tomorrow")
    assert first.args["text"].root == "water the plants"
    assert (first.expects_call, second.expects_call, second.conversation) == (True, False, "other")


def test_a_malformed_file_names_every_problem_and_where_it_is() -> None:
    text = """
stories:
  - name: broken
    time_zone: Europe/Lisbo
    steps:
      - user: hi
        tool: create_reminder
        args: {dueAt: {local_time: "25:00"}, text: {regex: "("}}
        colour: blue
"""
    with pytest.raises(StoryError) as raised:
        parse_stories(text, source="broken.yaml")
    message = str(raised.value)
    assert message.startswith("broken.yaml: not a valid story file (4 problem(s)):")
    assert "stories[0].time_zone: Value error, unknown time zone 'Europe/Lisbo'" in message
    assert "stories[0].steps[0].args.dueAt.local_time: String should match pattern" in message
    assert "stories[0].steps[0].args.text.regex: Value error, not a regular expression" in message
    assert "stories[0].steps[0].colour: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stories: [", "not valid YAML"),
        ("stories: []", "a story file needs at least one story"),
        ("- just a list", "Input should be a valid dictionary"),
        (
            "stories: [{name: a, time_zone: UTC, steps: []}]",
            "stories[0].steps: Value error, a story needs at least one step",
        ),
        (
            "stories: [{name: a, time_zone: UTC, steps: [{user: x}]},"
            " {name: a, time_zone: UTC, steps: [{user: y}]}]",
            "story names must be unique: a",
        ),
        (
            "stories: [{name: a, time_zone: UTC, steps: [{user: x, tool: none, status: ok}]}]",
            "a step with tool: none cannot expect args, result or status",
        ),
        (
            "stories: [{name: a, time_zone: UTC, steps: [{user: x, args: {t: {in_minutes: 5,"
            " local_time: '09:00'}}}]}]",
            "give exactly one of local_time and in_minutes",
        ),
    ],
)
def test_malformed_files_are_refused_readably(text: str, expected: str) -> None:
    with pytest.raises(StoryError, match=r"^f\.yaml: ") as raised:
        parse_stories(text, source="f.yaml")
    assert expected in str(raised.value)


def test_the_shipped_stories_are_valid_and_cover_the_spec() -> None:
    stories = collect(story_files([]), name_filter=None)
    steps = [step for story in stories for step in story.steps]
    tools = {step.tool for step in steps}
    assert len(steps) >= 80
    assert tools >= {
        "create_reminder",
        "list_reminders",
        "cancel_reminder",
        "add_task",
        "list_tasks",
        "complete_task",
        "clear_list",
        "add_note",
        "search_notes",
        "create_event",
        "list_events",
        "get_time",
        "calculate",
        "get_weather",
        "get_recommendations",
        "none",
    }
    assert {"needs_input", "needs_confirmation"} <= {step.status for step in steps}
    assert len({story.time_zone for story in stories}) >= 4


def test_check_mode_validates_without_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", str(SHIPPED)]) == 0
    assert capsys.readouterr().out.endswith("steps: valid\n")


def test_a_bad_file_exits_2_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stories: [{name: a, steps: [{user: x}]}]\n")
    assert main(["--check", str(bad)]) == 2
    assert f"{bad}: not a valid story file" in capsys.readouterr().err


# -- relative times -------------------------------------------------------------------------------


def test_a_clock_time_still_ahead_is_today_and_a_passed_one_tomorrow() -> None:
    at_six = spec(local_time="18:00")
    at_nine = spec(local_time="09:00")
    assert expected_instants(at_six, now=NOW, zone=LISBON) == (
        datetime(2026, 12, 1, 18, 0, tzinfo=LISBON),
    )
    assert expected_instants(at_nine, now=NOW, zone=LISBON) == (
        datetime(2026, 12, 2, 9, 0, tzinfo=LISBON),
    )


def test_clock_times_are_read_in_the_story_zone() -> None:
    # 14:05 UTC is 23:05 in Tokyo: 18:00 has passed there, so tomorrow (2 December) it is.
    (instant,) = expected_instants(spec(local_time="18:00"), now=NOW, zone=TOKYO)
    assert instant == datetime(2026, 12, 2, 18, 0, tzinfo=TOKYO)
    assert time_matches(spec(local_time="18:00"), "2026-12-02T09:00:00+00:00", now=NOW, zone=TOKYO)
    assert not time_matches(spec(local_time="18:00"), "2026-12-02T18:00:00Z", now=NOW, zone=TOKYO)


def test_near_the_boundary_either_day_matches() -> None:
    just_before = datetime(2026, 12, 1, 17, 59, 30, tzinfo=UTC)
    instants = expected_instants(spec(local_time="18:00"), now=just_before, zone=LISBON)
    assert set(instants) == {
        datetime(2026, 12, 1, 18, 0, tzinfo=LISBON),
        datetime(2026, 12, 2, 18, 0, tzinfo=LISBON),
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"local_time": "09:00", "day": "tomorrow"}, datetime(2026, 12, 2, 9, 0)),
        ({"local_time": "09:00", "day": "today"}, datetime(2026, 12, 1, 9, 0)),
        # Tuesday: the next Friday is in 3 days, the next Tuesday in 7.
        ({"local_time": "10:00", "day": "friday"}, datetime(2026, 12, 4, 10, 0)),
        ({"local_time": "10:00", "day": "tuesday"}, datetime(2026, 12, 8, 10, 0)),
        # The 3rd is still ahead this month; the 1st's noon has passed, so January's.
        ({"local_time": "12:00", "day_of_month": 3}, datetime(2026, 12, 3, 12, 0)),
        ({"local_time": "12:00", "day_of_month": 1}, datetime(2027, 1, 1, 12, 0)),
        ({"in_minutes": 20}, datetime(2026, 12, 1, 14, 25)),
    ],
)
def test_relative_days(fields: dict[str, object], expected: datetime) -> None:
    assert expected_instants(spec(**fields), now=NOW, zone=LISBON) == (
        expected.replace(tzinfo=LISBON),
    )


def test_a_month_without_that_day_is_skipped() -> None:
    late_january = datetime(2027, 1, 31, 13, 0, tzinfo=UTC)
    (instant,) = expected_instants(
        spec(local_time="12:00", day_of_month=30), now=late_january, zone=LISBON
    )
    assert instant == datetime(2027, 3, 30, 12, 0, tzinfo=LISBON)


def test_day_alternatives_all_match() -> None:
    either = spec(local_time="10:00", day=["friday", "today"])
    assert time_matches(either, "2026-12-04T10:00:00", now=NOW, zone=LISBON)
    assert time_matches(either, "2026-12-01T10:00:00", now=NOW, zone=LISBON)
    assert not time_matches(either, "2026-12-11T10:00:00", now=NOW, zone=LISBON)


def test_in_minutes_has_a_tolerance() -> None:
    twenty = spec(in_minutes=20)
    assert time_matches(twenty, NOW + timedelta(minutes=21, seconds=59), now=NOW, zone=LISBON)
    assert not time_matches(twenty, NOW + timedelta(minutes=23), now=NOW, zone=LISBON)
    loose = spec(in_minutes=20, tolerance_s=300)
    assert time_matches(loose, NOW + timedelta(minutes=24), now=NOW, zone=LISBON)


def test_what_is_not_a_time_never_matches() -> None:
    for value in ("at 6pm", None, 42, {"seconds": 1}):
        assert not time_matches(spec(local_time="18:00"), value, now=NOW, zone=LISBON)


def test_a_naive_iso_time_is_local_and_daylight_saving_is_respected() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in Lisbon (WEST, UTC+1)
    assert time_matches(spec(local_time="18:00"), "2026-07-01T18:00", now=summer, zone=LISBON)
    assert time_matches(spec(local_time="18:00"), "2026-07-01T17:00:00Z", now=summer, zone=LISBON)


# -- checks ---------------------------------------------------------------------------------------

CTX = Context(now=NOW, zone=LISBON)


def _first_step_seen(**changes: object) -> Observed:
    call = {
        "name": "create_reminder",
        "args": {"text": "Water the  plants", "when": "at 6pm", "dueAt": "2026-12-01T18:00:00Z"},
        "status": "ok",
        "result": {},
    }
    fields: dict[str, object] = {
        "state": "COMPLETED",
        "reply": "Okay, I'll remind you to water the plants today at 18:00.",
        "intent": "reminder",
        "tool_calls": (call,),
        "pending": None,
    }
    fields.update(changes)
    return Observed(**fields)  # type: ignore[arg-type]


def test_a_step_that_did_what_it_says_passes_every_check() -> None:
    step = parse_stories(STORY)[0].steps[0]
    checks = check_step(step, _first_step_seen(), CTX)
    assert [(c.what, c.ok) for c in checks] == [
        ("turn", True),
        ("intent", True),
        ("tool", True),
        ("status", True),
        ("args", True),
        ("reply", True),
        ("pending", True),
    ]


def test_a_wrong_slot_says_what_was_expected_and_what_came() -> None:
    step = parse_stories(STORY)[0].steps[0]
    seen = _first_step_seen(
        tool_calls=(
            {
                "name": "create_reminder",
                "status": "ok",
                "args": {"text": "water the plants", "dueAt": "2026-12-01T06:00:00Z"},
            },
        ),
    )
    (args,) = [c for c in check_step(step, seen, CTX) if c.what == "args"]
    assert not args.ok
    assert args.got == (
        "dueAt: expected 18:00 today|tomorrow (Europe/Lisbon), got Tue 2026-12-01 06:00:00 WET"
    )


def test_no_tool_call_and_a_turn_that_never_ended() -> None:
    step = parse_stories(STORY)[0].steps[0]
    no_call = check_step(step, _first_step_seen(tool_calls=()), CTX)
    assert {c.what: c.got for c in no_call if not c.ok}["tool"] == "none"
    timed_out = check_step(step, Observed(state=None), CTX)
    assert timed_out == [Check("turn", "COMPLETED", "no terminal status (timed out)", False)]


@pytest.mark.parametrize(
    ("expected", "actual", "problem"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, None),
        ({"a": 1}, {"a": 1.0}, None),
        ({"a": True}, {"a": 1}, "a: expected True, got 1"),
        ({"a": None}, {}, None),
        ({"a": "x"}, {}, "a: missing (have nothing)"),
        ({"n": {"m": "Milk"}}, {"n": {"m": "milk "}}, None),
        ({"l": ["a", "b"]}, {"l": ["a"]}, "l: expected 2 item(s), got ['a']"),
        ({"l": [{"x": 1}]}, {"l": [{"x": 2}]}, "l[0].x: expected 1, got 2"),
        ({"q": {"regex": "^spare"}}, {"q": "Spare key"}, None),
        (
            {"q": {"regex": "^spare"}},
            {"q": "the spare key"},
            "q: expected /^spare/, got the spare key",
        ),
    ],
)
def test_subset_matching(expected: object, actual: object, problem: str | None) -> None:
    from tools.conversations.checks import mismatch

    assert mismatch(Expected.model_validate(expected), actual, CTX) == problem


def test_state_checks_count_matching_documents() -> None:
    (story,) = parse_stories(STORY)
    (check,) = story.steps[0].state
    scheduled = {"text": "water the plants", "status": "scheduled"}
    assert check_state(check, [scheduled], CTX, label="state").ok
    two = check_state(check, [scheduled, scheduled], CTX, label="state")
    assert (two.ok, two.got) == (False, "2 of 2")
    none = check_state(check, [{"status": "cancelled"}], CTX, label="state")
    assert (none.ok, none.got) == (
        False,
        "0 of 1 (first: status: expected 'scheduled', got cancelled)",
    )


# -- the report -----------------------------------------------------------------------------------


def _row(index: int, *, ok: bool, call: bool, slot_ok: bool = True, story: str = "s") -> StepResult:
    checks = [Check("turn", "COMPLETED", "COMPLETED", True)]
    if call:
        checks.append(Check("tool", "add_task", "add_task" if slot_ok else "none", slot_ok))
    checks.append(Check("reply", "/x/", "x" if ok else "y", ok))
    return StepResult(
        story=story,
        index=index,
        utterance=f"utterance {index}",
        checks=tuple(checks),
        expects_call=call,
    )


def test_totals_and_slot_accuracy() -> None:
    rows = [
        _row(1, ok=True, call=True),
        _row(2, ok=False, call=True),  # slots right, reply wrong: counts for accuracy
        _row(3, ok=True, call=True, slot_ok=False),
        _row(4, ok=True, call=False),
        _row(0, ok=False, call=False),  # a final-state row is no step
    ]
    t = totals(rows)
    assert (t.steps, t.passed, t.final_checks, t.final_passed) == (4, 2, 1, 0)
    assert (t.slot_steps, t.slot_matched) == (3, 2)
    assert t.slot_accuracy == pytest.approx(2 / 3)
    assert not t.all_passed
    assert totals([]).slot_accuracy == 1.0


def test_the_table_shows_failures_and_the_totals() -> None:
    table = format_table([_row(1, ok=True, call=True), _row(2, ok=False, call=False)])
    lines = table.splitlines()
    assert lines[0].split() == ["story", "step", "utterance", "result"]
    assert lines[2].split()[:5] == ["s", "1", "utterance", "1", "PASS"]
    assert lines[3].split()[:5] == ["s", "2", "utterance", "2", "FAIL"]
    assert lines[4].strip() == "reply: expected /x/"
    assert lines[5].strip() == "got y"
    assert lines[-1] == (
        "steps passed: 1/2; slot-filling accuracy: 100.0% (1/1 steps expecting a tool call)"
    )


def test_json_and_junit_results(tmp_path: Path) -> None:
    rows = [_row(1, ok=True, call=True, story="a"), _row(1, ok=False, call=False, story="b")]
    data = json.loads(json.dumps(as_json(rows)))
    assert data["totals"] == {
        "steps": 2,
        "passed": 1,
        "finalChecks": 0,
        "finalPassed": 0,
        "slotSteps": 1,
        "slotMatched": 1,
        "slotAccuracy": 1.0,
    }
    assert [s["passed"] for s in data["steps"]] == [True, False]
    junit = tmp_path / "results.xml"
    write_junit(rows, junit)
    suites = ET.parse(junit).getroot().findall("testsuite")  # noqa: S314 - our own file
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("a", "1", "0"),
        ("b", "1", "1"),
    ]
    failure = suites[1].find("testcase/failure")
    assert failure is not None
    assert failure.text == "reply: expected /x/; got y"
