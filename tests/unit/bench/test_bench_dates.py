"""bench_dates' scoring: what counts as a hit, a right day, a miss, and the story labels."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bench.bench_dates import (
    STORY_NOW,
    Case,
    Clock,
    accuracy,
    extra_cases,
    recognizer_moment,
    score,
    story_cases,
    story_phrase,
)

LISBON = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=LISBON)


def _case(*expected: datetime) -> Case:
    return Case(expression="at 6pm", zone="Europe/Lisbon", now=NOW, expected=expected, source="t")


SIX_PM = datetime(2026, 11, 24, 18, 0, tzinfo=LISBON)


@pytest.mark.parametrize(
    ("got", "verdict"),
    [
        (SIX_PM, "hit"),
        (datetime(2026, 11, 24, 18, 0, 59, tzinfo=LISBON), "hit"),  # within 60 s
        (datetime(2026, 11, 24, 18, 0), "hit"),  # naive: read in the case's zone
        (datetime(2026, 11, 24, 18, 0, tzinfo=UTC), "hit"),  # same instant (WET = UTC)
        (datetime(2026, 11, 24, 18, 2, tzinfo=LISBON), "day"),
        (datetime(2026, 11, 24, 0, 0, tzinfo=LISBON), "day"),
        (datetime(2026, 11, 25, 18, 0, tzinfo=LISBON), "miss"),
        (None, "none"),
    ],
)
def test_score_compares_instants_then_days(got: datetime | None, verdict: str) -> None:
    assert score(_case(SIX_PM), got) == verdict


def test_any_accepted_answer_is_a_hit() -> None:
    tomorrow = datetime(2026, 11, 25, 18, 0, tzinfo=LISBON)
    assert score(_case(SIX_PM, tomorrow), tomorrow) == "hit"


def test_an_expression_naming_no_time_must_parse_to_nothing() -> None:
    assert score(_case(), None) == "hit"
    assert score(_case(), SIX_PM) == "miss"


def test_score_is_by_instant_across_a_dst_change() -> None:
    # 00:30 WEST the night clocks go back, "in 2 hours": 01:30 WET, not wall-clock 02:30
    clock = Clock("fall", datetime(2026, 10, 25, 0, 30), "Europe/Lisbon")
    case = Case("in 2 hours", clock.zone, clock.now, (clock.at("2026-10-25T01:30+00:00"),), "t")
    wall_clock_sum = datetime(2026, 10, 25, 2, 30, tzinfo=LISBON)  # 3 h later
    right = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert (score(case, right), score(case, wall_clock_sum)) == ("hit", "day")


def test_accuracy_counts_hits_and_right_days() -> None:
    assert accuracy(["hit", "hit", "day", "miss", "none"]) == {
        "cases": 5,
        "hits": 2,
        "accuracy": 0.4,
        "right_day": 0.6,
        "day": 1,
        "miss": 1,
        "none": 1,
        "error": 0,
    }
    assert accuracy([])["accuracy"] is None


def test_story_phrase_is_the_longest_contained() -> None:
    assert story_phrase("Remind me to pay the rent next Friday at 10am") == "next Friday at 10am"
    assert story_phrase("Remind me to water the plants at 6pm") == "at 6pm"
    assert story_phrase("Add milk to my shopping list") is None


def test_every_story_time_is_labelled_by_its_story() -> None:
    cases = story_cases()
    assert len(cases) >= 16
    lisbon_6pm = next(c for c in cases if "water the plants at 6pm" in c.source)
    assert lisbon_6pm.expected == (datetime(2026, 11, 24, 18, 0, tzinfo=LISBON),)
    assert all(c.now == STORY_NOW for c in cases)


def test_extra_labels_are_after_their_clock() -> None:
    assert all(e > c.now for c in extra_cases() for e in c.expected)


def test_recognizer_resolution_takes_the_first_future_reading() -> None:
    local_now = datetime(2026, 11, 24, 10, 15)
    both = {
        "values": [{"type": "date", "value": "2026-11-03"}, {"type": "date", "value": "2026-12-03"}]
    }
    clock = {"values": [{"type": "time", "value": "18:00:00"}]}
    span = {"values": [{"type": "datetimerange", "start": "2026-11-24 20:00:00"}]}
    assert recognizer_moment(both, local_now) == datetime(2026, 12, 3)
    assert recognizer_moment(clock, local_now) == datetime(2026, 11, 24, 18, 0)
    assert recognizer_moment(span, local_now) == datetime(2026, 11, 24, 20, 0)
    assert recognizer_moment({"values": [{"type": "duration", "value": "1200"}]}, local_now) is None
