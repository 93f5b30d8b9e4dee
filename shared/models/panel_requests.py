"""What the PWA's panels send the functions callables (reminders, tasks, notes, notifications,
devices); adding a task or a note takes the tools' own `AddTaskArgs` and `AddNoteArgs`.

The panels name exact items (ids) and exact times: a reminder's `dueAt` is ISO 8601 with an
offset or `Z`, as `Date.prototype.toISOString()` writes it; words ("at 6pm") are the chat's job.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
)

from .assistant import ItemText
from .base import Frozen
from .ids import DocumentName

MAX_NOTIFICATIONS_PER_CALL = 50
FCM_TOKEN_MAX = 4096
# Exactly one instant: a date, a time to the minute at least, and an offset (no naive times).
_EXACT_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)


def _iso_with_offset(value: object) -> object:
    if not isinstance(value, str) or not _EXACT_TIME.match(value):
        raise ValueError("give an ISO 8601 time with an offset, e.g. 2026-12-02T18:00:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # year 1 at +01:00 has no UTC instant
        raise ValueError("the time is out of range") from error


# An exact instant, normalised to UTC.
ExactTime = Annotated[AwareDatetime, BeforeValidator(_iso_with_offset), AfterValidator(_in_utc)]
# An FCM registration token as the JS SDK's getToken() returns it.
FcmToken = Annotated[
    str,
    StringConstraints(min_length=1, max_length=FCM_TOKEN_MAX, pattern=r"^[A-Za-z0-9_:.\-]+$"),
]


class CreateReminderRequest(Frozen):
    """`createReminder`: remind the caller of `text` at `due_at`."""

    text: ItemText
    due_at: ExactTime


class ReminderRef(Frozen):
    """`cancelReminder`."""

    reminder_id: DocumentName


class CompleteTaskRequest(Frozen):
    """`completeTask`: mark a task done (or open again with `done: false`)."""

    task_id: DocumentName
    done: StrictBool = True  # "yes" or 1 is a mistake to report, not a yes


class TaskRef(Frozen):
    """`deleteTask`."""

    task_id: DocumentName


class NoteRef(Frozen):
    """`deleteNote`."""

    note_id: DocumentName


class MarkNotificationsReadRequest(Frozen):
    """`markNotificationsRead`: up to 50 of the caller's notifications."""

    ids: list[DocumentName] = Field(min_length=1, max_length=MAX_NOTIFICATIONS_PER_CALL)


class RegisterDeviceRequest(Frozen):
    """`registerDevice`: this browser's FCM token, for reminders' push messages."""

    token: FcmToken
    user_agent: Annotated[str, StringConstraints(max_length=512)] | None = None


class DeviceTokenRef(Frozen):
    """`unregisterDevice`: the token this browser registered (on sign-out)."""

    token: FcmToken
