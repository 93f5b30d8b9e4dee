"""Reminders: the scheduled run that fires them, and the panel's create and cancel."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn, scheduler_fn

from shared.models.base import utc_now

from ..clients import firestore_client, messaging_app
from ..services import panels, reminders
from .boundary import background_trigger, callable_function, caller_uid


@scheduler_fn.on_schedule(schedule="every 1 minutes")
@background_trigger
def fire_reminders(_event: scheduler_fn.ScheduledEvent) -> None:
    reminders.fire_due_reminders(
        db=firestore_client(), now=utc_now(), messaging_app=messaging_app()
    )


@callable_function
def createReminder(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.create_reminder(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def cancelReminder(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.cancel_reminder(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )
