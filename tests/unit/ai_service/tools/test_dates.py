from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ai_service.tools.dates import find_when, resolve_when, say_when

LISBON = "Europe/Lisbon"
# Tuesday 1 December 2026, 22:15 in Lisbon (UTC+0 in winter)
LATE = datetime(2026, 12, 1, 22, 15, tzinfo=ZoneInfo(LISBON))
MORNING = datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo(LISBON))


@pytest.mark.parametrize(
    ("expression", "now", "expected"),
    [
        ("at 6pm", LATE, "2026-12-02 18:00"),  # passed today: tomorrow
        ("at 6pm", MORNING, "2026-12-01 18:00"),
        ("tomorrow at 9am", LATE, "2026-12-02 09:00"),
        ("in 20 minutes", LATE, "2026-12-01 22:35"),
        ("in half an hour", LATE, "2026-12-01 22:45"),
        ("2 hours", LATE, "2026-12-02 00:15"),  # a model's "when" without its "in"
        ("next Friday at 10am", LATE, "2026-12-04 10:00"),
        ("on the 3rd at noon", LATE, "2026-12-03 12:00"),
        ("on the 3rd", LATE, "2026-12-03 09:00"),  # a day without a time: the morning
        ("tomorrow", LATE, "2026-12-02 09:00"),
        ("tomorrow evening", LATE, "2026-12-02 18:00"),
        ("at 7", LATE, "2026-12-02 07:00"),  # the next 7 o'clock
        ("at 7", MORNING, "2026-12-01 19:00"),
        ("December 3 at 5pm", LATE, "2026-12-03 17:00"),
        ("2026-12-02T18:00", LATE, "2026-12-02 18:00"),
        ("2026-12-05T14:30:00+01:00", LATE, "2026-12-05 13:30"),  # an offset is honoured
        ("at 7:30", MORNING, "2026-12-01 19:30"),
        ("at 7:30pm", MORNING, "2026-12-01 19:30"),
        ("tomorrow at 9", LATE, "2026-12-02 09:00"),
        ("tomorrow at 3", LATE, "2026-12-02 15:00"),
        ("at half past 6", MORNING, "2026-12-01 18:30"),
        ("Dec 3rd at 5pm", LATE, "2026-12-03 17:00"),
        ("on the 1st", LATE, "2027-01-01 09:00"),  # today's morning has passed: next month
        ("on the 1st at noon", LATE, "2027-01-01 12:00"),  # today's noon has passed
        ("on the 1st at 11pm", LATE, "2026-12-01 23:00"),  # still to come today
        (
            "on the 31st at noon",
            datetime(2026, 1, 31, 13, 0, tzinfo=ZoneInfo(LISBON)),
            "2026-03-31 12:00",
        ),
    ],
)
def test_times_resolve_in_the_users_zone(expression: str, now: datetime, expected: str) -> None:
    resolved = resolve_when(expression, now=now, time_zone=LISBON)

    assert resolved is not None
    assert f"{resolved.at:%Y-%m-%d %H:%M}" == expected
    assert resolved.at.tzinfo == ZoneInfo(LISBON)


def test_the_same_words_mean_a_different_instant_in_another_zone() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("UTC"))
    lisbon = resolve_when("at 6pm", now=now, time_zone=LISBON)
    tokyo = resolve_when("at 6pm", now=now, time_zone="Asia/Tokyo")

    assert lisbon is not None
    assert tokyo is not None
    assert lisbon.at.astimezone(ZoneInfo("UTC")).hour == 18
    # 12:00 UTC is 21:00 in Tokyo: 18:00 there has passed, so it is tomorrow's 18:00 (09:00 UTC)
    assert f"{tokyo.at.astimezone(ZoneInfo('UTC')):%d %H}" == "02 09"


def test_words_that_name_no_time_resolve_to_none() -> None:
    assert resolve_when("whenever you like", now=LATE, time_zone=LISBON) is None


@pytest.mark.parametrize(
    ("sentence", "when", "rest"),
    [
        ("Remind me to water the plants at 6pm", "at 6pm", "Remind me to water the plants"),
        ("remind me in 20 minutes to stretch", "in 20 minutes", "remind me to stretch"),
        (
            "Schedule a meeting with Ana tomorrow at 3pm",
            "tomorrow at 3pm",
            "Schedule a meeting with Ana",
        ),
    ],
)
def test_a_time_is_found_in_a_sentence(sentence: str, when: str, rest: str) -> None:
    assert find_when(sentence) == (when, rest)


def test_no_time_in_a_sentence() -> None:
    assert find_when("remind me to call mum") is None


def test_times_are_said_back_relative_to_today() -> None:
    today = resolve_when("at 11pm", now=LATE, time_zone=LISBON)
    friday = resolve_when("next Friday at 10am", now=LATE, time_zone=LISBON)
    assert today is not None
    assert friday is not None

    assert say_when(today.at, now=LATE, time_zone=LISBON) == "today at 23:00"
    assert say_when(friday.at, now=LATE, time_zone=LISBON) == "on Friday 4 December at 10:00"


def test_an_offset_in_hours_is_absolute_time_across_a_clock_change() -> None:
    # 00:30 on 25 October 2026 in Lisbon: at 02:00 the clocks go back to 01:00
    night = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo(LISBON))
    resolved = resolve_when("in 2 hours", now=night, time_zone=LISBON)

    assert resolved is not None
    utc = ZoneInfo("UTC")  # same-zone subtraction is wall-clock; compare instants
    assert (resolved.at.astimezone(utc) - night.astimezone(utc)).total_seconds() == 7200
    assert f"{resolved.at:%H:%M}" == "01:30"


def test_in_sydney_a_time_still_ahead_today_is_today() -> None:
    now = datetime(2026, 12, 2, 9, 24, tzinfo=ZoneInfo("Australia/Sydney"))
    resolved = resolve_when("at 5pm", now=now, time_zone="Australia/Sydney")

    assert resolved is not None
    assert f"{resolved.at:%Y-%m-%d %H:%M}" == "2026-12-02 17:00"
