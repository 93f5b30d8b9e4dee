"""What Aura keeps for the user and acts on: reminders, tasks, notes, events, notifications.

`users/{uid}/{reminders,tasks,notes,events,notifications,devices}/{id}`. The owner reads them
(realtime listeners); writes go through the assistant's tools (ai_service) or the validated
callables (functions), never the client directly. Both build documents from these models.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from .base import Document, Frozen

ITEM_TEXT_MAX = 500
NOTE_TEXT_MAX = 4000
LIST_NAME_MAX = 40
LOCATION_MAX = 200
DEFAULT_LIST = "todo"
SHOPPING_LIST = "shopping"
DEFAULT_TIME_ZONE = "UTC"


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        message = f"unknown time zone {name!r}: use an IANA name such as Europe/Lisbon"
        raise ValueError(message) from error
    return name


# An IANA time zone name ("Europe/Lisbon"), as Intl.DateTimeFormat().resolvedOptions() gives it.
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$"),
    AfterValidator(_known_time_zone),
]
ItemText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ITEM_TEXT_MAX)
]
NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_TEXT_MAX)
]
# A task list's name: "todo", "shopping" or one the user named ("packing"), lower case.
ListName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=LIST_NAME_MAX),
]


class ReminderStatus(StrEnum):
    """SCHEDULED -> FIRED (by the scheduler, once) -> DONE; SCHEDULED|FIRED -> CANCELLED."""

    SCHEDULED = "scheduled"
    FIRED = "fired"
    DONE = "done"
    CANCELLED = "cancelled"


REMINDER_TRANSITIONS: dict[ReminderStatus, frozenset[ReminderStatus]] = {
    ReminderStatus.SCHEDULED: frozenset({ReminderStatus.FIRED, ReminderStatus.CANCELLED}),
    ReminderStatus.FIRED: frozenset({ReminderStatus.DONE, ReminderStatus.CANCELLED}),
    ReminderStatus.DONE: frozenset(),
    ReminderStatus.CANCELLED: frozenset(),
}


class Reminder(Document):
    """`users/{uid}/reminders/{id}`; `source_turn` is the path of the turn that created it."""

    text: ItemText
    due_at: datetime
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    status: ReminderStatus = ReminderStatus.SCHEDULED
    created_at: datetime
    fired_at: datetime | None = None
    source_turn: str | None = None

    def moved_to(self, status: ReminderStatus, *, at: datetime) -> Reminder:
        """This reminder in `status`; ValueError when the transition is not allowed."""
        if status not in REMINDER_TRANSITIONS[self.status]:
            raise ValueError(f"a {self.status.value} reminder cannot become {status.value}")
        update: dict[str, object] = {"status": status}
        if status is ReminderStatus.FIRED:
            update["fired_at"] = at
        return self.model_copy(update=update)


class Task(Document):
    """`users/{uid}/tasks/{id}`: an item of a list (`todo`, `shopping` or a user-named one)."""

    text: ItemText
    list: ListName = DEFAULT_LIST
    done: bool = False
    created_at: datetime
    done_at: datetime | None = None
    source_turn: str | None = None


class Note(Document):
    """`users/{uid}/notes/{id}`."""

    text: NoteText
    created_at: datetime
    updated_at: datetime
    source_turn: str | None = None


class CalendarEvent(Document):
    """`users/{uid}/events/{id}`: something in the user's calendar."""

    title: ItemText
    start_at: datetime
    end_at: datetime
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    location: Annotated[str, StringConstraints(max_length=LOCATION_MAX)] | None = None
    created_at: datetime | None = None
    source_turn: str | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> CalendarEvent:
        if self.end_at < self.start_at:
            raise ValueError("an event cannot end before it starts")
        return self


class NotificationKind(StrEnum):
    REMINDER = "reminder"


class Notification(Document):
    """`users/{uid}/notifications/{id}`: shown in the app; `ref` is the path it is about."""

    kind: NotificationKind
    title: Annotated[str, StringConstraints(max_length=200)]
    body: Annotated[str, StringConstraints(max_length=ITEM_TEXT_MAX)]
    created_at: datetime
    read_at: datetime | None = None
    ref: str | None = None


class Device(Document):
    """`users/{uid}/devices/{tokenId}`: a browser registered for push (an FCM token)."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    created_at: datetime
    last_seen_at: datetime
    user_agent: Annotated[str, StringConstraints(max_length=512)] | None = None


class ToolCallStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    NEEDS_CONFIRMATION = "needs_confirmation"
    NEEDS_INPUT = "needs_input"


class ToolCall(Frozen):
    """One tool call of a turn (its `toolCalls`): arguments and what came of it."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    args: dict[str, object] = Field(default_factory=dict)
    status: ToolCallStatus
    result: dict[str, object] | None = None


class PendingAction(Frozen):
    """A tool call waiting for the user (a missing slot or a confirmation), kept on the
    conversation as `pendingAction`; the next turn of the conversation fills or confirms it."""

    tool: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    args: dict[str, object] = Field(default_factory=dict)
    missing: str | None = None  # the argument asked for; None: waiting for a yes/no
    question: str
    turn_id: str
    created_at: datetime
