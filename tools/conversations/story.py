"""The story file format, validated by pydantic models (see the package docstring for a tour).

A file holds `stories: [...]`; a story plays its `steps` in order against a fresh user whose
profile time zone is `time_zone`. Expectations are optional: a step checks only what it names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.models.assistant import TimeZoneName

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# today / tomorrow; today_or_tomorrow: the next time the clock shows local_time; a weekday: the
# next date with that weekday after today (1 to 7 days ahead).
DayName = Literal[
    "today",
    "tomorrow",
    "today_or_tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
]
TOOL_STATUSES = ("ok", "error", "needs_confirmation", "needs_input")
TURN_STATES = ("COMPLETED", "ERROR", "BLOCKED", "STOPPED")
NO_TOOL = "none"
STATE_COLLECTIONS = ("reminders", "tasks", "notes", "events", "notifications")
TIME_KEYS = frozenset({"local_time", "in_minutes"})
MAIN_CONVERSATION = "main"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
LocalTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class StoryError(Exception):
    """A story file that cannot be read or does not follow the format; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiled(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a regular expression: {error}") from error
    return pattern


Regex = Annotated[str, StringConstraints(min_length=1)]


class TimeSpec(_Strict):
    """A time relative to the step's "now" in the story's time zone.

    `{local_time: "18:00", day: today_or_tomorrow}`, `{local_time: "12:00", day_of_month: 3}` or
    `{in_minutes: 20}`; `day` may list alternatives. `tolerance_s` defaults to 60 s for a clock
    time and 120 s for `in_minutes` (the turn is processed a little after it is written).
    """

    local_time: LocalTime | None = None
    day: DayName | tuple[DayName, ...] | None = None
    day_of_month: int | None = Field(default=None, ge=1, le=31)
    in_minutes: float | None = Field(default=None, gt=0)
    tolerance_s: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> TimeSpec:
        if (self.local_time is None) == (self.in_minutes is None):
            raise ValueError("give exactly one of local_time and in_minutes")
        if self.in_minutes is not None and (self.day or self.day_of_month):
            raise ValueError("day and day_of_month go with local_time, not in_minutes")
        if self.day and self.day_of_month:
            raise ValueError("give day or day_of_month, not both")
        return self

    @property
    def days(self) -> tuple[str, ...]:
        if self.day is None:
            return () if self.day_of_month else ("today_or_tomorrow",)
        return (self.day,) if isinstance(self.day, str) else self.day

    @property
    def tolerance(self) -> float:
        if self.tolerance_s is not None:
            return self.tolerance_s
        return 60.0 if self.local_time else 120.0


class Pattern(_Strict):
    """`{regex: "..."}`: the value, as text, matches this pattern (re.search, case-insensitive)."""

    regex: Annotated[Regex, Field(description="a Python regular expression")]

    @field_validator("regex")
    @classmethod
    def _valid(cls, value: str) -> str:
        return _compiled(value)


Scalar = str | int | float | bool | None


def _expectation_kind(value: Any) -> str:
    if isinstance(value, TimeSpec) or (isinstance(value, dict) and TIME_KEYS & value.keys()):
        return "time"
    if isinstance(value, Pattern) or (isinstance(value, dict) and "regex" in value):
        return "regex"
    if isinstance(value, dict):
        return "fields"
    if isinstance(value, list | tuple):
        return "items"
    return "value"


class Expected(RootModel[Any]):
    """An expected value: a scalar (strings compare case- and space-insensitively), a TimeSpec,
    a Pattern, a mapping (a subset of the actual mapping's keys) or a list (same length, item by
    item)."""

    root: Annotated[
        Annotated[TimeSpec, Tag("time")]
        | Annotated[Pattern, Tag("regex")]
        | Annotated[dict[str, Expected], Tag("fields")]
        | Annotated[tuple[Expected, ...], Tag("items")]
        | Annotated[Scalar, Tag("value")],
        Discriminator(_expectation_kind),
    ]

    model_config = ConfigDict(frozen=True)


Fields = dict[str, Expected]


class StateCheck(_Strict):
    """Documents of `users/{uid}/<collection>` (camelCase fields): those matching `where`
    number `count`, or at least one when `count` is not given."""

    collection: Literal["reminders", "tasks", "notes", "events", "notifications"]
    where: Fields = Field(default_factory=dict)
    count: int | None = Field(default=None, ge=0)


class Step(_Strict):
    """One user utterance and what should come of it."""

    user: Text
    conversation: Text = MAIN_CONVERSATION
    intent: Text | None = None
    tool: Text | None = Field(default=None, description="toolCalls[0].name, or 'none'")
    args: Fields | None = None
    result: Fields | None = None
    status: Literal["ok", "error", "needs_confirmation", "needs_input"] | None = None
    reply: Regex | None = None
    turn: Literal["COMPLETED", "ERROR", "BLOCKED", "STOPPED"] = "COMPLETED"
    pending: Text | None = Field(
        default=None, description="the conversation's pendingAction.tool afterwards, or 'none'"
    )
    state: tuple[StateCheck, ...] = ()

    @field_validator("reply")
    @classmethod
    def _reply_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _compiled(value)

    @model_validator(mode="after")
    def _tool_details_need_a_tool(self) -> Step:
        if self.tool == NO_TOOL and (self.args or self.result or self.status):
            raise ValueError("a step with tool: none cannot expect args, result or status")
        return self

    @property
    def expects_call(self) -> bool:
        """Counted for slot-filling accuracy: the step names the tool it expects to be called."""
        return self.tool is not None and self.tool != NO_TOOL


class SetupReminder(_Strict):
    text: Text
    due: TimeSpec
    status: Literal["scheduled", "fired", "done", "cancelled"] = "scheduled"


class SetupTask(_Strict):
    text: Text
    list: Text = "todo"
    done: bool = False


class SetupNote(_Strict):
    text: Text


class SetupEvent(_Strict):
    title: Text
    start: TimeSpec
    duration_minutes: int = Field(default=60, ge=1)
    location: str | None = None


class Setup(_Strict):
    """Documents written as the server before the first step (times relative to the start)."""

    reminders: tuple[SetupReminder, ...] = ()
    tasks: tuple[SetupTask, ...] = ()
    notes: tuple[SetupNote, ...] = ()
    events: tuple[SetupEvent, ...] = ()


class Story(_Strict):
    name: Text
    time_zone: TimeZoneName
    description: str | None = None
    setup: Setup = Field(default_factory=Setup)
    steps: tuple[Step, ...]
    final: tuple[StateCheck, ...] = Field(default=(), description="checked after the last step")

    @field_validator("steps")
    @classmethod
    def _has_steps(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        # Not min_length: that would also be reported whenever a step itself is invalid.
        if not steps:
            raise ValueError("a story needs at least one step")
        return steps


class StoryFile(_Strict):
    stories: tuple[Story, ...]

    @field_validator("stories")
    @classmethod
    def _named_uniquely(cls, stories: tuple[Story, ...]) -> tuple[Story, ...]:
        if not stories:
            raise ValueError("a story file needs at least one story")
        names = [story.name for story in stories]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"story names must be unique: {', '.join(duplicated)}")
        return stories


_UNION_TAGS = frozenset({"root", "time", "regex", "fields", "items", "value"})


def _where(loc: tuple[int | str, ...]) -> str:
    """`stories[0].steps[2].args.dueAt`: the location without the tags the expectation union
    adds after each key (a tag is never followed by another tag)."""
    parts: list[str] = []
    after_tag = False
    for item in loc:
        if item in _UNION_TAGS and parts and not after_tag:
            after_tag = True
            continue
        after_tag = False
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}" if parts else str(item))
    return "".join(parts) or "(file)"


def parse_stories(text: str, *, source: str = "<string>") -> tuple[Story, ...]:
    """The stories of one file's text; StoryError names the file, the place and the problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StoryError(f"{source}: not valid YAML: {error}") from error
    try:
        return StoryFile.model_validate(raw).stories
    except ValidationError as error:
        lines = [f"{source}: not a valid story file ({error.error_count()} problem(s)):"]
        lines += [f"  {_where(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise StoryError("\n".join(lines)) from error


def load_stories(path: Path) -> tuple[Story, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StoryError(f"{path}: cannot read: {error.strerror}") from error
    return parse_stories(text, source=str(path))


def story_schema() -> dict[str, Any]:
    """The JSON Schema of a story file (for editors: `--schema` prints it)."""
    return StoryFile.model_json_schema()
