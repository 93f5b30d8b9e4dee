"""Callables behind the PWA's tasks, notes and notifications panels, and push registration."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from shared.models.base import utc_now

from ..clients import firestore_client
from ..services import panels
from .boundary import callable_function, caller_uid


@callable_function
def addTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.add_task(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def completeTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.complete_task(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def deleteTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.delete_task(db=firestore_client(), uid=caller_uid(request), data=request.data)


@callable_function
def addNote(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.add_note(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def deleteNote(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.delete_note(db=firestore_client(), uid=caller_uid(request), data=request.data)


@callable_function
def markNotificationsRead(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.mark_notifications_read(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def registerDevice(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.register_device(
        db=firestore_client(), uid=caller_uid(request), data=request.data, now=utc_now()
    )


@callable_function
def unregisterDevice(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return panels.unregister_device(
        db=firestore_client(), uid=caller_uid(request), data=request.data
    )
