"""Times as people say them ("at 6pm", "tomorrow at 9am", "in 20 minutes", "next Friday",
"on the 3rd"), resolved in the user's time zone, and said back the same way.

Parsing is dateparser's (chosen over parsedatetime by `bench/bench_dates.py`, which scores
both on the conversation stories' expressions). Around it, the few rules people expect and it
does not apply: a bare time that has passed today means tomorrow, "on the 3rd" is a day of this
month (or the next), a day without a time is 09:00, and "at 7" is the next 7 o'clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_HOUR = 9  # "remind me tomorrow": the morning, not the minute it was said

_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_CLOCK = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday|midnight"
_TIME_PART = rf"(?:at\s+)?(?:{_CLOCK})|at\s+\d{{1,2}}(?!\d)"
_DAY_PART = (
    rf"today|tonight|tomorrow(?:\s+(?:morning|afternoon|evening|night))?|"
    rf"this\s+(?:morning|afternoon|evening)|(?:next|this|on)\s+(?:{_WEEKDAYS})|(?:{_WEEKDAYS})|"
    rf"(?:on\s+)?(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)(?:\s+of\s+(?:{_MONTHS}))?|"
    rf"(?:on\s+)?(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?|(?:on\s+)?\d{{1,2}}\s+(?:{_MONTHS})|"
    rf"next\s+week|\d{{4}}-\d{{2}}-\d{{2}}(?:[t\s]\d{{2}}:\d{{2}}(?::\d{{2}})?)?"
)
_RELATIVE = (
    r"in\s+(?:a|an|one|\d+|a\s+few|half\s+an)\s*"
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?)(?:\s+and\s+\d+\s+minutes?)?"
)
# One time expression in a sentence: a relative offset, or a day and/or a clock time.
WHEN_PATTERN = re.compile(
    rf"\b(?:{_RELATIVE}|(?:{_DAY_PART})(?:\s+(?:{_TIME_PART}))?|"
    rf"(?:{_TIME_PART})(?:\s+(?:{_DAY_PART}))?)(?![\w:])",
    re.IGNORECASE,
)
_HAS_CLOCK = re.compile(
    rf"(?:{_CLOCK})|\bat\s+\d{{1,2}}\b|\bin\s+.*\b(?:minute|min|hour|hr)s?\b|"
    r"\b(?:morning|afternoon|evening|tonight|night)\b|t\d{2}:\d{2}",
    re.IGNORECASE,
)
_ORDINAL_DAY = re.compile(r"\b(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?!\s+of\b)", re.I)
_BARE_HOUR = re.compile(
    r"\bat\s+(\d{1,2})(:\d{2})?(?![:\d])(?!\s*(?:am|pm|a\.m\.|p\.m\.))", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A time the user named: `at` is timezone-aware (the user's zone)."""

    at: datetime
    has_time: bool


def find_when(text: str) -> tuple[str, str] | None:
    """(the time expression, the text without it) for the first time named in `text`."""
    match = WHEN_PATTERN.search(text)
    if match is None:
        return None
    rest = (text[: match.start()] + text[match.end() :]).strip()
    return match.group().strip(), re.sub(r"\s{2,}", " ", rest)


@lru_cache(maxsize=1)
def _parser() -> Any:
    # Imported on first use: dateparser loads its language data on import (~0.2 s).
    import dateparser  # noqa: PLC0415

    return dateparser


def warm_up() -> None:
    """Load the parser's data now (at start-up) instead of on the first reminder."""
    resolve_when("tomorrow at 9am", now=datetime.now(ZoneInfo("UTC")), time_zone="UTC")


def resolve_when(expression: str, *, now: datetime, time_zone: str) -> Resolved | None:
    """The moment `expression` names, after `now`, in `time_zone`; None when it names none."""
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    text = " ".join(expression.lower().split()).rstrip(".!?")
    if not text:
        return None
    exact = _exact(text, local_now)
    if exact is not None:
        return Resolved(at=exact, has_time=True)
    names_day_of_month = _ORDINAL_DAY.search(text) is not None
    text = _normalise(text, local_now)
    has_time = bool(_HAS_CLOCK.search(text))
    parsed = _parser().parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            # Local wall-clock time, naive: with TIMEZONE set as well, dateparser compares in
            # UTC and sends "at 5pm" said at 09:24 in Sydney to tomorrow.
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    if parsed is None:
        return None
    at = parsed.replace(tzinfo=zone)
    if not has_time:
        at = at.replace(hour=DEFAULT_HOUR, minute=0, second=0, microsecond=0)
    elif re.search(r"\bin\s", text) is None:
        at = at.replace(second=0, microsecond=0)
    if at <= local_now and not re.search(r"\b(today|tonight|this)\b", text):
        # "at 6pm" said at 22:15 means tomorrow; a date-less clock time rolls over a day
        at = at + timedelta(days=1) if _is_clock_only(text) else at
    if at <= local_now and names_day_of_month:
        # "on the 3rd at noon" said on the 3rd in the evening: next month's 3rd
        at = _same_day_next_month(at)
    return Resolved(at=at, has_time=has_time)


def _same_day_next_month(at: datetime) -> datetime:
    """`at` a month on; a day the next month lacks (the 31st) moves on to a month that has it."""
    month = at.replace(day=1)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        try:
            return month.replace(day=at.day)
        except ValueError:
            continue


_OFFSET = re.compile(
    # "in 2 hours"; a bare "2 hours" as a when (a model drops the "in") means the same
    r"^(?:in\s+)?(an?|one|\d+|half an)\s+(minute|min|hour|hr|day|week)s?"
    r"(?:\s+and\s+(\d+)\s+minutes?)?$",
    re.IGNORECASE,
)
_UNITS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 604800}


def _exact(text: str, local_now: datetime) -> datetime | None:
    """ISO 8601 (an offset is honoured; none means local time) and "in N units", computed on
    absolute time so that a night the clocks change does not add or lose an hour."""
    try:
        iso = datetime.fromisoformat(text.upper() if "t" in text else text)
    except ValueError:
        iso = None
    if iso is not None and re.match(r"^\d{4}-\d{2}-\d{2}[t\s]\d", text):
        zone = local_now.tzinfo
        return iso.astimezone(zone) if iso.tzinfo else iso.replace(tzinfo=zone)
    match = _OFFSET.match(text)
    if match is None:
        return None
    amount_word, unit, extra_minutes = match.groups()
    if amount_word == "half an":
        seconds = 1800.0
    else:
        amount = 1 if amount_word in ("a", "an", "one") else int(amount_word)
        seconds = float(amount * _UNITS[unit.lower()])
    seconds += 60 * int(extra_minutes or 0)
    moment = local_now.astimezone(ZoneInfo("UTC")) + timedelta(seconds=seconds)
    return moment.astimezone(local_now.tzinfo).replace(microsecond=0)


def _is_clock_only(text: str) -> bool:
    return (
        WHEN_PATTERN.fullmatch(text) is not None
        and re.fullmatch(
            rf"(?:at\s+)?(?:{_CLOCK})|at\s+\d{{1,2}}(?::\d{{2}})?", text, re.IGNORECASE
        )
        is not None
    )


def _normalise(text: str, local_now: datetime) -> str:
    """Rewrite what dateparser reads wrongly into what it reads right."""
    text = re.sub(r"\ba\.m\.", "am", re.sub(r"\bp\.m\.", "pm", text))
    text = re.sub(r"\b(?:mid-?day)\b", "noon", text)
    text = re.sub(r"\bhalf an hour\b", "30 minutes", text)
    text = re.sub(r"\ba few minutes\b", "5 minutes", text)
    text = re.sub(rf"\b({_MONTHS})\s+(\d{{1,2}})(?:st|nd|rd|th)\b", r"\1 \2", text)
    text = re.sub(r"\bhalf past (\d{1,2})\b", r"\1:30", text)
    text = re.sub(r"\bquarter past (\d{1,2})\b", r"\1:15", text)
    text = re.sub(r"\bquarter to (\d{1,2})\b", lambda m: f"{(int(m.group(1)) - 1) % 24}:45", text)
    text = re.sub(r"\btonight\b", "today at 20:00", text)
    text = re.sub(r"\bthis evening\b", "today at 18:00", text)
    text = re.sub(r"\btomorrow (morning|afternoon|evening|night)\b", _part_of_day, text)
    text = re.sub(r"\bthis (morning|afternoon)\b", lambda m: "today " + _part_of_day(m), text)

    clock = _HAS_CLOCK.search(text) is not None

    def ordinal(match: re.Match[str]) -> str:
        day = int(match.group(1))
        month = local_now.replace(day=1)
        passed_today = day == local_now.day and not clock and local_now.hour >= DEFAULT_HOUR
        if day < local_now.day or passed_today:  # "the 3rd" said on the 20th: next month's
            month = (month + timedelta(days=32)).replace(day=1)
        return f"{month:%Y-%m}-{day:02d}"

    text = _ORDINAL_DAY.sub(ordinal, text)

    names_a_day = re.search(
        rf"\b(?:today|tomorrow|{_WEEKDAYS}|\d{{4}}-\d{{2}}-\d{{2}}|{_MONTHS})\b", text
    )

    def bare_hour(match: re.Match[str]) -> str:
        hour, minutes = int(match.group(1)), match.group(2) or ":00"
        if hour > 12:
            return f"at {hour}{minutes}"
        if names_a_day:
            # "tomorrow at 3" is the afternoon, "tomorrow at 9" the morning
            return f"at {hour + 12 if 1 <= hour <= 6 else hour}{minutes}"
        # "at 7" / "at 7:30": the next such time, morning or evening (a passed one rolls over)
        minute = int(minutes[1:])
        if hour < 12 and (hour, minute) <= (local_now.hour, local_now.minute) < (hour + 12, minute):
            hour += 12
        return f"at {hour}{minutes}"

    return _BARE_HOUR.sub(bare_hour, text)


def _part_of_day(match: re.Match[str]) -> str:
    hour = {"morning": 9, "afternoon": 15, "evening": 18, "night": 21}[match.group(1)]
    prefix = "tomorrow " if match.group(0).startswith("tomorrow") else ""
    return f"{prefix}at {hour}:00"


def say_when(at: datetime, *, now: datetime, time_zone: str) -> str:
    """ "today at 18:00", "tomorrow at 09:00", "on Friday 4 December at 10:00" (user's zone)."""
    zone = ZoneInfo(time_zone)
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days == -1:
        day = "yesterday"
    else:
        day = f"on {local:%A} {local.day} {local:%B}" + (
            f" {local.year}" if local.year != today.year else ""
        )
    return f"{day} at {local:%H:%M}"


def say_day(at: datetime, *, now: datetime, time_zone: str) -> str:
    """ "Today", "Tomorrow", "Friday 4 December" for a day heading."""
    zone = ZoneInfo(time_zone)
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    return f"{local:%A} {local.day} {local:%B}"
