"""What the PWA's panels do to the caller's own reminders, tasks, notes, notifications and
devices. Requests are validated like the chat's tools (the same models where they fit); every
id is looked up under the caller's uid, so another user's id is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from google.cloud import firestore

from shared import paths
from shared.errors import InvalidInput, NotFound
from shared.models.assistant import (
    DEFAULT_TIME_ZONE,
    Note,
    Notification,
    Reminder,
    Task,
)
from shared.models.base import Document
from shared.models.panel_requests import (
    CompleteTaskRequest,
    CreateReminderRequest,
    DeviceTokenRef,
    MarkNotificationsReadRequest,
    NoteRef,
    RegisterDeviceRequest,
    ReminderRef,
    TaskRef,
)
from shared.models.tools import AddNoteArgs, AddTaskArgs

from ..repositories import devices, items, reminders, users

# A reminder may be set for a moment ago (the clock of the device that sent it); it then fires
# at the next run. Further back is a mistake the PWA should hear about.
PAST_GRACE = timedelta(minutes=1)
MAX_AHEAD = timedelta(days=5 * 366)


M = TypeVar("M", bound=Document)


@dataclass(frozen=True, slots=True)
class Saved(Generic[M]):
    """One of the caller's items as it is stored after the call."""

    item_id: str
    """Its document id under the caller's uid."""
    item: M
    """The item."""


# ------------------------------------------------------------------------------ reminders


def create_reminder(
    *, db: firestore.Client, uid: str, request: CreateReminderRequest, now: datetime
) -> Saved[Reminder]:
    """A scheduled reminder at the exact `dueAt` the panel sent, kept in the caller's time
    zone (so it is shown as they meant it)."""
    if request.due_at < now - PAST_GRACE:
        raise InvalidInput("dueAt is in the past: choose a time from now on.")
    if request.due_at > now + MAX_AHEAD:
        raise InvalidInput("dueAt is more than five years away.")
    profile = users.get_profile(db=db, uid=uid)
    reminder = Reminder(
        text=request.text,
        due_at=request.due_at,
        time_zone=profile.time_zone if profile is not None else DEFAULT_TIME_ZONE,
        created_at=now,
    )
    return Saved(reminders.create_reminder(db=db, uid=uid, reminder=reminder), reminder)


def cancel_reminder(
    *, db: firestore.Client, uid: str, request: ReminderRef, now: datetime
) -> Saved[Reminder]:
    """SCHEDULED or FIRED -> CANCELLED; FAILED_PRECONDITION when it is done or cancelled."""
    cancelled = reminders.cancel_reminder(db=db, uid=uid, reminder_id=request.reminder_id, now=now)
    if cancelled is None:
        raise NotFound("No such reminder.")
    return Saved(request.reminder_id, cancelled)


# ---------------------------------------------------------------------------------- tasks


def add_task(*, db: firestore.Client, uid: str, request: AddTaskArgs, now: datetime) -> Saved[Task]:
    task = Task(text=request.text, list=request.list, created_at=now)
    return Saved(items.add_item(db=db, uid=uid, collection=paths.TASKS, item=task), task)


def complete_task(
    *, db: firestore.Client, uid: str, request: CompleteTaskRequest, now: datetime
) -> Saved[Task]:
    """Done (or open again); asking for the state it is in already changes nothing."""

    def changes(task: Task) -> dict[str, Any]:
        if task.done == request.done:
            return {}
        return {"done": request.done, "doneAt": now if request.done else None}

    task = items.update_item(
        db=db, uid=uid, collection=paths.TASKS, item_id=request.task_id, model=Task, changes=changes
    )
    if task is None:
        raise NotFound("No such task.")
    return Saved(request.task_id, task)


def delete_task(*, db: firestore.Client, uid: str, request: TaskRef) -> str:
    """Delete the task; its id. NotFound when the caller has no such task."""
    if not items.delete_item(db=db, uid=uid, collection=paths.TASKS, item_id=request.task_id):
        raise NotFound("No such task.")
    return request.task_id


# ---------------------------------------------------------------------------------- notes


def add_note(*, db: firestore.Client, uid: str, request: AddNoteArgs, now: datetime) -> Saved[Note]:
    note = Note(text=request.text, created_at=now, updated_at=now)
    return Saved(items.add_item(db=db, uid=uid, collection=paths.NOTES, item=note), note)


def delete_note(*, db: firestore.Client, uid: str, request: NoteRef) -> str:
    """Delete the note; its id. NotFound when the caller has no such note."""
    if not items.delete_item(db=db, uid=uid, collection=paths.NOTES, item_id=request.note_id):
        raise NotFound("No such note.")
    return request.note_id


# -------------------------------------------------------------------------- notifications


def mark_notifications_read(
    *, db: firestore.Client, uid: str, request: MarkNotificationsReadRequest, now: datetime
) -> int:
    """All or nothing: an id the caller has no notification of refuses the whole call. How
    many were unread and are read now."""
    ids = list(dict.fromkeys(request.ids))

    def changes(notification: Notification) -> dict[str, Any]:
        return {} if notification.read_at is not None else {"readAt": now}

    missing, marked = items.update_all(
        db=db,
        uid=uid,
        collection=paths.NOTIFICATIONS,
        item_ids=ids,
        model=Notification,
        changes=changes,
    )
    if missing:
        raise NotFound("No such notification.", details={"ids": missing})
    return marked


# -------------------------------------------------------------------------------- devices


def register_device(
    *, db: firestore.Client, uid: str, request: RegisterDeviceRequest, now: datetime
) -> str:
    """Reminders' pushes go to this token from now on (registering again refreshes it); the
    device's id."""
    device_id, _device = devices.register_device(
        db=db, uid=uid, token=request.token, user_agent=request.user_agent, now=now
    )
    return device_id


def unregister_device(*, db: firestore.Client, uid: str, request: DeviceTokenRef) -> bool:
    """No more pushes to this token; an unknown token is no error (sign-out may repeat).
    Whether it was registered."""
    return devices.unregister_device(db=db, uid=uid, token=request.token)
