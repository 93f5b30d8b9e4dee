"""Date/time parsers scored on the expressions people use with Aura, for a fixed "now" and zone.

    .venv/bin/python -m bench.bench_dates                  # prints the table, writes results
    .venv/bin/python -m bench.bench_dates --out /tmp/dates.json

The labelled set: every time expression of a step in tests/conversations/*.yaml whose expected
arguments hold a time (labelled by that step's own expectation, in its story's zone, at the
fixed instant `STORY_NOW`), plus the typical expressions of `EXTRA_CASES`, each with the local
result a user expects at a given clock (three clocks: a Tuesday morning in Lisbon, late evening
in New York, the night Lisbon's clocks go forward). A case may accept several answers where
people mean either ("next Friday" said on a Tuesday).

Parsers: `ours` (`ai_service.tools.dates.resolve_when`: dateparser plus our rules, what ships),
`dateparser` (raw, with the settings resolve_when passes), `parsedatetime` and
`recognizers-text` (bench-only imports, skipped with a message when not installed). A result is
a **hit** within 60 s of an accepted instant; **day** means the right day at another time (a raw
parser's "tomorrow" at midnight or at the current time); **miss**: another moment; **none**:
nothing parsed; **error**: the parser raised. Writes bench/results/dates.json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bench.harness import ROOT, machine_info

RESULTS = ROOT / "bench" / "results" / "dates.json"
STORIES = ROOT / "tests" / "conversations"
TOLERANCE = timedelta(seconds=60)

Verdict = Literal["hit", "day", "miss", "none", "error"]
# expression, now (aware), the user's IANA zone -> the moment named (aware), or None
Parse = Callable[[str, datetime, str], datetime | None]


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled expression: what a user in `zone` means by it at `now`."""

    expression: str
    zone: str
    now: datetime  # aware
    expected: tuple[datetime, ...]  # aware; empty: the expression names no time
    source: str  # "story <file>: <utterance>" or "extra <clock>"


@dataclass(frozen=True, slots=True)
class Clock:
    """A moment to say things at: a local wall time in a zone."""

    name: str
    local: datetime  # naive, read in `zone`
    zone: str

    @property
    def now(self) -> datetime:
        return self.local.replace(tzinfo=ZoneInfo(self.zone))

    def at(self, local: str) -> datetime:
        """ "2026-11-25 09:00" read in this clock's zone; one with an offset names its instant
        (the repeated hour of a DST change)."""
        moment = datetime.fromisoformat(local)
        if moment.tzinfo is not None:
            return moment.astimezone(ZoneInfo(self.zone))
        return moment.replace(tzinfo=ZoneInfo(self.zone))


# -- scoring --------------------------------------------------------------------------------------


def score(case: Case, got: datetime | None) -> Verdict:
    """How `got` (a parser's answer; None: nothing parsed) compares with the case's label."""
    if not case.expected:
        return "hit" if got is None else "miss"
    if got is None:
        return "none"
    if got.tzinfo is None:
        got = got.replace(tzinfo=ZoneInfo(case.zone))
    # In UTC: Python subtracts datetimes sharing a tzinfo by wall time, which is wrong across a
    # DST change.
    if any(abs(got.astimezone(UTC) - want.astimezone(UTC)) <= TOLERANCE for want in case.expected):
        return "hit"
    zone = ZoneInfo(case.zone)
    days = {want.astimezone(zone).date() for want in case.expected}
    return "day" if got.astimezone(zone).date() in days else "miss"


def accuracy(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Hits over all cases, and hits-or-right-day (the lenient score) over all cases."""
    n = len(verdicts)
    hits = sum(v == "hit" for v in verdicts)
    days = sum(v in ("hit", "day") for v in verdicts)
    return {
        "cases": n,
        "hits": hits,
        "accuracy": round(hits / n, 3) if n else None,
        "right_day": round(days / n, 3) if n else None,
        **{kind: sum(v == kind for v in verdicts) for kind in ("day", "miss", "none", "error")},
    }


# -- the labelled set -----------------------------------------------------------------------------

# The instant every story step is said at (10:15 in Lisbon, 19:15 in Tokyo, 05:15 in New York,
# 21:15 in Sydney, 02:15 in Los Angeles), on a Tuesday.
STORY_NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
# The time phrases of the stories' utterances; each story step with a time in its expected
# arguments must contain one (the longest contained is the expression scored).
STORY_PHRASES = (
    "at 5pm",
    "at 6pm",
    "at 7:30pm",
    "in 1 hour",
    "in 2 hours",
    "in 20 minutes",
    "in 45 minutes",
    "next Friday at 10am",
    "on Friday at 10am",
    "on the 3rd at noon",
    "tomorrow at 3pm",
    "tomorrow at 7am",
    "tomorrow at 8am",
    "tomorrow at 9am",
)

DAY = Clock("Tue 10:15 Lisbon", datetime(2026, 11, 24, 10, 15), "Europe/Lisbon")
LATE = Clock("Tue 22:40 New York", datetime(2026, 11, 24, 22, 40), "America/New_York")
DST = Clock("Sat 23:30 Lisbon, clocks go forward", datetime(2026, 3, 28, 23, 30), "Europe/Lisbon")
FALL = Clock("Sun 00:30 Lisbon, clocks go back", datetime(2026, 10, 25, 0, 30), "Europe/Lisbon")

# (clock, expression, accepted local results; () = names no time). A day without a time is
# 09:00 (the product's rule, which the stories' "Remind me tomorrow" relies on).
EXTRA: tuple[tuple[Clock, str, tuple[str, ...]], ...] = (
    (DAY, "at 6pm", ("2026-11-24 18:00",)),
    (DAY, "at 6 pm", ("2026-11-24 18:00",)),
    (DAY, "6pm", ("2026-11-24 18:00",)),
    (DAY, "at 6:30pm", ("2026-11-24 18:30",)),
    (DAY, "at 18:00", ("2026-11-24 18:00",)),
    (DAY, "at 5 p.m.", ("2026-11-24 17:00",)),
    (DAY, "by 5pm", ("2026-11-24 17:00",)),
    (DAY, "at 9am", ("2026-11-25 09:00",)),  # passed today: tomorrow
    (DAY, "at noon", ("2026-11-24 12:00",)),
    (DAY, "at midnight", ("2026-11-25 00:00",)),
    (DAY, "at 7", ("2026-11-24 19:00",)),  # the next 7 o'clock
    (DAY, "at 7:30", ("2026-11-24 19:30",)),
    (DAY, "at 10", ("2026-11-24 22:00", "2026-11-25 10:00")),
    (DAY, "at half past 6", ("2026-11-24 18:30",)),
    (DAY, "tomorrow", ("2026-11-25 09:00",)),
    (DAY, "tomorrow at 9am", ("2026-11-25 09:00",)),
    (DAY, "tomorrow at 9", ("2026-11-25 09:00",)),
    (DAY, "tomorrow at noon", ("2026-11-25 12:00",)),
    (DAY, "tomorrow 6pm", ("2026-11-25 18:00",)),
    (DAY, "at 6pm tomorrow", ("2026-11-25 18:00",)),
    (DAY, "noon tomorrow", ("2026-11-25 12:00",)),
    (DAY, "tomorrow morning", ("2026-11-25 09:00", "2026-11-25 08:00")),
    (DAY, "tomorrow afternoon", ("2026-11-25 15:00", "2026-11-25 14:00")),
    (DAY, "tomorrow evening", ("2026-11-25 18:00", "2026-11-25 19:00")),
    (DAY, "the day after tomorrow", ("2026-11-26 09:00",)),
    (DAY, "tonight", ("2026-11-24 20:00", "2026-11-24 21:00")),
    (DAY, "this evening", ("2026-11-24 18:00", "2026-11-24 19:00")),
    (DAY, "this afternoon", ("2026-11-24 15:00", "2026-11-24 14:00")),
    (DAY, "in 20 minutes", ("2026-11-24 10:35",)),
    (DAY, "in 5 mins", ("2026-11-24 10:20",)),
    (DAY, "in half an hour", ("2026-11-24 10:45",)),
    (DAY, "in an hour", ("2026-11-24 11:15",)),
    (DAY, "in 2 hrs", ("2026-11-24 12:15",)),
    (DAY, "in 90 minutes", ("2026-11-24 11:45",)),
    (DAY, "in 1 hour and 30 minutes", ("2026-11-24 11:45",)),
    (DAY, "in 3 days", ("2026-11-27 09:00", "2026-11-27 10:15")),
    (DAY, "in a week", ("2026-12-01 09:00", "2026-12-01 10:15")),
    (DAY, "next Friday", ("2026-11-27 09:00", "2026-12-04 09:00")),
    (DAY, "this Friday", ("2026-11-27 09:00",)),
    (DAY, "on Friday", ("2026-11-27 09:00",)),
    (DAY, "Friday at 3pm", ("2026-11-27 15:00",)),
    (DAY, "Monday", ("2026-11-30 09:00",)),
    (DAY, "next Monday at 8am", ("2026-11-30 08:00",)),
    (DAY, "Saturday morning", ("2026-11-28 09:00", "2026-11-28 08:00")),
    (DAY, "on the 3rd", ("2026-12-03 09:00",)),
    (DAY, "on the 30th", ("2026-11-30 09:00",)),
    (DAY, "on the 24th at 5pm", ("2026-11-24 17:00",)),
    (DAY, "December 3 at 5pm", ("2026-12-03 17:00",)),
    (DAY, "3 December at 5pm", ("2026-12-03 17:00",)),
    (DAY, "Dec 3rd", ("2026-12-03 09:00",)),
    (DAY, "2026-12-05", ("2026-12-05 09:00",)),
    (DAY, "2026-12-05T14:30", ("2026-12-05 14:30",)),
    (DAY, "2026-12-05 14:30", ("2026-12-05 14:30",)),
    (DAY, "2026-12-05T14:30:00+01:00", ("2026-12-05 13:30",)),  # an offset wins over the zone
    (DAY, "water the plants", ()),
    (DAY, "call mum", ()),
    (DAY, "milk", ()),
    (LATE, "at 6pm", ("2026-11-25 18:00",)),  # passed today: tomorrow
    (LATE, "at 7", ("2026-11-25 07:00",)),
    (LATE, "at 11pm", ("2026-11-24 23:00",)),
    (LATE, "at midnight", ("2026-11-25 00:00",)),
    (LATE, "in 30 minutes", ("2026-11-24 23:10",)),
    (LATE, "in 2 hours", ("2026-11-25 00:40",)),
    (LATE, "tomorrow", ("2026-11-25 09:00",)),
    (LATE, "tomorrow at 9am", ("2026-11-25 09:00",)),
    (LATE, "Wednesday at 10am", ("2026-11-25 10:00",)),
    (LATE, "on the 24th", ("2026-12-24 09:00",)),  # today's 09:00 has passed
    (DST, "in 2 hours", ("2026-03-29 02:30",)),  # 23:30 WET + 2 h elapsed = 02:30 WEST
    (DST, "tomorrow at 9am", ("2026-03-29 09:00",)),
    (DST, "at 6pm", ("2026-03-29 18:00",)),
    (FALL, "in 2 hours", ("2026-10-25T01:30+00:00",)),  # 00:30 WEST + 2 h = 01:30 WET
    (FALL, "in 20 minutes", ("2026-10-25 00:50",)),
)


def extra_cases() -> list[Case]:
    return [
        Case(
            expression=expression,
            zone=clock.zone,
            now=clock.now,
            expected=tuple(clock.at(local) for local in accepted),
            source=f"extra {clock.name}",
        )
        for clock, expression, accepted in EXTRA
    ]


def _time_specs(value: object) -> Iterator[Any]:
    from tools.conversations.story import Expected, TimeSpec

    if isinstance(value, Expected):
        value = value.root
    if isinstance(value, TimeSpec):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _time_specs(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _time_specs(item)


def story_phrase(utterance: str, phrases: Iterable[str] = STORY_PHRASES) -> str | None:
    """The longest of `phrases` in `utterance` (case-insensitive), as the utterance spells it."""
    lowered = utterance.lower()
    found = [p for p in phrases if p.lower() in lowered]
    if not found:
        return None
    best = max(found, key=len)
    start = lowered.index(best.lower())
    return utterance[start : start + len(best)]


def story_cases(folder: Path = STORIES, now: datetime = STORY_NOW) -> list[Case]:
    """A case per story step expecting a time, labelled by the step's own expectation."""
    from tools.conversations.story import load_stories
    from tools.conversations.timing import expected_instants

    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        for story in load_stories(path):
            zone = ZoneInfo(story.time_zone)
            for step in story.steps:
                for spec in _time_specs(step.args or {}):
                    phrase = story_phrase(step.user)
                    if phrase is None:
                        raise ValueError(
                            f"{path.name}: {step.user!r} expects a time but holds none of "
                            "STORY_PHRASES: add its phrase there"
                        )
                    cases.append(
                        Case(
                            expression=phrase,
                            zone=story.time_zone,
                            now=now.astimezone(zone),
                            expected=expected_instants(spec, now=now, zone=zone),
                            source=f"story {path.name}: {step.user}",
                        )
                    )
    return cases


# -- the parsers ----------------------------------------------------------------------------------


def ours(expression: str, now: datetime, zone: str) -> datetime | None:
    from ai_service.tools.dates import resolve_when

    resolved = resolve_when(expression, now=now, time_zone=zone)
    return None if resolved is None else resolved.at


def raw_dateparser(expression: str, now: datetime, zone: str) -> datetime | None:
    dateparser: Any = importlib.import_module("dateparser")
    local_now = now.astimezone(ZoneInfo(zone))
    parsed = dateparser.parse(
        expression,
        languages=["en"],
        settings={  # resolve_when's settings
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "TIMEZONE": zone,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    return None if parsed is None else _in_zone(parsed, zone)


def _parsedatetime() -> Parse:
    module: Any = importlib.import_module("parsedatetime")
    calendar = module.Calendar(version=module.VERSION_CONTEXT_STYLE)

    def parse(expression: str, now: datetime, zone: str) -> datetime | None:
        local_now = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        parsed, context = calendar.parseDT(expression, sourceTime=local_now)
        return _in_zone(parsed, zone) if context.hasDateOrTime else None

    return parse


def _recognizers() -> Parse:
    recognizers: Any = importlib.import_module("recognizers_date_time")
    culture = importlib.import_module("recognizers_text").Culture.English

    def parse(expression: str, now: datetime, zone: str) -> datetime | None:
        local_now = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        results = recognizers.recognize_datetime(expression, culture, reference=local_now)
        for result in results:
            found = recognizer_moment(result.resolution or {}, local_now)
            if found is not None:
                return _in_zone(found, zone)
        return None

    return parse


def recognizer_moment(resolution: dict[str, Any], local_now: datetime) -> datetime | None:
    """A recognizers-text resolution as one moment: the first candidate after now (they list a
    past and a future reading), else the last; a time alone is today's, a range its start."""
    moments: list[datetime] = []
    for value in resolution.get("values") or []:
        text = value.get("value") or value.get("start")
        if not text or value.get("type") not in ("date", "time", "datetime", "datetimerange"):
            continue
        try:
            if value["type"] == "time":
                moment = datetime.combine(
                    local_now.date(), datetime.strptime(text, "%H:%M:%S").time()
                )
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            continue
        moments.append(moment)
    if not moments:
        return None
    return next((m for m in moments if m > local_now), moments[-1])


def _in_zone(moment: datetime, zone: str) -> datetime:
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment


def parsers() -> tuple[dict[str, Parse], dict[str, str]]:
    """The parsers that can run here, and for the others why not."""
    available: dict[str, Parse] = {"ours": ours, "dateparser": raw_dateparser}
    skipped: dict[str, str] = {}
    for name, build, package in (
        ("parsedatetime", _parsedatetime, "parsedatetime"),
        ("recognizers-text", _recognizers, "recognizers-text-date-time"),
    ):
        try:
            available[name] = build()
        except Exception as error:  # an absent or broken optional package: say so, go on
            skipped[name] = (
                f"not available ({type(error).__name__}: {error}); pip install {package}"
            )
    return available, skipped


# -- the run --------------------------------------------------------------------------------------


def evaluate(cases: Sequence[Case], parse: Parse) -> list[tuple[Verdict, datetime | None, str]]:
    """(verdict, answer, error text) per case."""
    rows: list[tuple[Verdict, datetime | None, str]] = []
    for case in cases:
        try:
            got = parse(case.expression, case.now, case.zone)
        except Exception as error:  # a parser's bug is a miss, not the bench's end
            rows.append(("error", None, f"{type(error).__name__}: {error}"))
            continue
        rows.append((score(case, got), got, ""))
    return rows


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %m-%d %H:%M")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    cases = story_cases() + extra_cases()
    available, skipped = parsers()
    for name, why in skipped.items():
        print(f"{name}: skipped, {why}")
    results: dict[str, list[tuple[Verdict, datetime | None, str]]] = {}
    timings: dict[str, float] = {}
    for name, parse in available.items():
        parse(*("tomorrow at 9am", DAY.now, DAY.zone))  # load its data before timing
        started = time.perf_counter()
        results[name] = evaluate(cases, parse)
        timings[name] = (time.perf_counter() - started) / len(cases) * 1000
    n_story = sum(c.source.startswith("story") for c in cases)
    summary: dict[str, Any] = {}
    print(f"\n{len(cases)} cases ({n_story} from the stories, {len(cases) - n_story} extra)")
    print(f"{'parser':<18}{'all':>8}{'stories':>9}{'extra':>8}{'right day':>11}{'ms/case':>9}")
    for name, rows in results.items():
        verdicts = [v for v, _, _ in rows]
        story_v = [
            v for (v, _, _), c in zip(rows, cases, strict=True) if c.source.startswith("story")
        ]
        extra_v = [
            v for (v, _, _), c in zip(rows, cases, strict=True) if c.source.startswith("extra")
        ]
        summary[name] = {
            "all": accuracy(verdicts),
            "stories": accuracy(story_v),
            "extra": accuracy(extra_v),
            "ms_per_case": round(timings[name], 3),
        }
        s = summary[name]
        print(
            f"{name:<18}{s['all']['accuracy']:>8.1%}{s['stories']['accuracy']:>9.1%}"
            f"{s['extra']['accuracy']:>8.1%}{s['all']['right_day']:>11.1%}{timings[name]:>9.2f}"
        )
    print("\nmisses (expected -> each parser's answer; '.' = hit):")
    names = list(results)
    print(
        f"{'expression':<30}{'clock / zone':<38}{'expected':<14}"
        + "".join(f"{n:<18}" for n in names)
    )
    table: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        answers: dict[str, Any] = {}
        row = {
            "expression": case.expression,
            "source": case.source,
            "zone": case.zone,
            "now": case.now.isoformat(),
            "expected": [e.isoformat() for e in case.expected],
            "answers": answers,
        }
        cells = []
        for name in names:
            verdict, got, error = results[name][index]
            answers[name] = {
                "verdict": verdict,
                "got": None if got is None else got.isoformat(),
                **({"error": error} if error else {}),
            }
            cells.append("." if verdict == "hit" else f"{verdict} {_local(got, case.zone)}"[:17])
        table.append(row)
        if all(results[name][index][0] == "hit" for name in names):
            continue
        where = f"{_local(case.now, case.zone)} {case.zone}"
        want = _local(case.expected[0], case.zone) if case.expected else "no time"
        print(
            f"{case.expression[:29]:<30}{where:<38}{want:<14}" + "".join(f"{c:<18}" for c in cells)
        )
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "bench.bench_dates", *(argv or sys.argv[1:])]),
        "definitions": {
            "hit": f"within {TOLERANCE.seconds} s of an accepted instant",
            "day": "the right local day at another time",
            "miss": "another moment (or a time found where none is named)",
            "none": "nothing parsed",
            "error": "the parser raised",
            "story_now": STORY_NOW.isoformat(),
        },
        "skipped": skipped,
        "summary": summary,
        "machine": machine_info(),
        "cases": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
