"""Relative times: which instants a `TimeSpec` allows, seen from a step's "now" in a time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .story import WEEKDAYS, TimeSpec

# Around a day boundary ("at 6pm" written at 17:59:30) either day is right: the server reads
# the clock a moment after the client did.
BOUNDARY_GRACE = timedelta(minutes=2)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def _next_day_of_month(day_of_month: int, clock: time, now: datetime, zone: ZoneInfo) -> date:
    """The first date with that day of the month whose `clock` time in `zone` is after now."""
    year, month = now.year, now.month
    for _ in range(14):
        try:
            candidate = date(year, month, day_of_month)
        except ValueError:  # no 31st this month
            candidate = None
        if candidate is not None and _at(candidate, clock, zone) > now:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("every day of the month comes round within a year")


def expected_instants(spec: TimeSpec, *, now: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """Every instant `spec` allows (each within `spec.tolerance`); `now` is timezone-aware."""
    local_now = now.astimezone(zone)
    if spec.in_minutes is not None:
        return (local_now + timedelta(minutes=spec.in_minutes),)
    assert spec.local_time is not None  # the model allows nothing else
    clock = time.fromisoformat(spec.local_time)
    today = local_now.date()
    if spec.day_of_month is not None:
        date_ = _next_day_of_month(spec.day_of_month, clock, local_now, zone)
        return (_at(date_, clock, zone),)
    instants: list[datetime] = []
    for day in spec.days:
        if day == "today":
            instants.append(_at(today, clock, zone))
        elif day == "tomorrow":
            instants.append(_at(today + timedelta(days=1), clock, zone))
        elif day == "today_or_tomorrow":
            today_at = _at(today, clock, zone)
            tomorrow_at = _at(today + timedelta(days=1), clock, zone)
            instants.append(today_at if today_at > local_now else tomorrow_at)
            if abs(today_at - local_now) <= BOUNDARY_GRACE:
                instants.append(tomorrow_at if today_at > local_now else today_at)
        else:
            ahead = (WEEKDAYS.index(day) - today.weekday()) % 7 or 7
            instants.append(_at(today + timedelta(days=ahead), clock, zone))
    return tuple(instants)


def as_instant(value: object, *, zone: ZoneInfo) -> datetime | None:
    """A stored or sent time as an aware datetime: a datetime (Firestore timestamps are) or an
    ISO 8601 string; one without an offset is read in `zone`. None when it is neither."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def describe(spec: TimeSpec, *, zone: ZoneInfo) -> str:
    """How the expectation reads in a table: `18:00 today|tomorrow (Europe/Lisbon)`."""
    if spec.in_minutes is not None:
        return f"now + {spec.in_minutes:g} min (±{spec.tolerance:g} s)"
    if spec.day_of_month is not None:
        days = f"day {spec.day_of_month} of the month"
    else:
        days = "|".join(d.replace("today_or_tomorrow", "today|tomorrow") for d in spec.days)
    return f"{spec.local_time} {days} ({zone.key})"


def time_matches(spec: TimeSpec, value: object, *, now: datetime, zone: ZoneInfo) -> bool:
    moment = as_instant(value, zone=zone)
    if moment is None:
        return False
    tolerance = timedelta(seconds=spec.tolerance)
    return any(
        abs(moment - allowed) <= tolerance
        for allowed in expected_instants(spec, now=now, zone=zone)
    )


def local_text(value: object, *, zone: ZoneInfo) -> str:
    """A got-value for the table: the instant in the story's zone, else the value itself."""
    moment = as_instant(value, zone=zone)
    if moment is None:
        return repr(value)
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z")


def utc_now() -> datetime:
    return datetime.now(UTC)
