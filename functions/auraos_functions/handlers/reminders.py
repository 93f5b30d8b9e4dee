"""Reminders: the scheduled run that fires them, and the panel's create and cancel."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn, scheduler_fn

from shared.models.base import utc_now
from shared.models.panel_requests import CreateReminderRequest, ReminderRef

from ..clients import firestore_client, messaging_app
from ..services import panels, reminders
from ..services.requests import parse_request
from .boundary import background_trigger, callable_function, caller_uid
from .panels import saved_item


@scheduler_fn.on_schedule(schedule="every 1 minutes")
@background_trigger
def fire_reminders(_event: scheduler_fn.ScheduledEvent) -> None:
    reminders.fire_due_reminders(
        db=firestore_client(), now=utc_now(), messaging_app=messaging_app()
    )


@callable_function
def createReminder(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(CreateReminderRequest, request.data)
    saved = panels.create_reminder(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return saved_item(saved)


@callable_function
def cancelReminder(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(ReminderRef, request.data)
    saved = panels.cancel_reminder(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return saved_item(saved)
