"""Callables behind the PWA's tasks, notes and notifications panels, and push registration."""

from __future__ import annotations

from typing import Any, TypeVar

from firebase_functions import https_fn

from shared.models.base import Document, utc_now
from shared.models.panel_requests import (
    CompleteTaskRequest,
    DeviceTokenRef,
    MarkNotificationsReadRequest,
    NoteRef,
    RegisterDeviceRequest,
    TaskRef,
)
from shared.models.tools import AddNoteArgs, AddTaskArgs

from ..clients import firestore_client
from ..services import panels
from ..services.requests import parse_request
from .boundary import callable_function, caller_uid

M = TypeVar("M", bound=Document)


def saved_item(saved: panels.Saved[M]) -> dict[str, Any]:
    """An item as the panels read it: its id beside its fields."""
    return {"id": saved.item_id, **saved.item.to_json_dict()}


@callable_function
def addTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(AddTaskArgs, request.data)
    saved = panels.add_task(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return saved_item(saved)


@callable_function
def completeTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(CompleteTaskRequest, request.data)
    saved = panels.complete_task(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return saved_item(saved)


@callable_function
def deleteTask(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(TaskRef, request.data)
    task_id = panels.delete_task(db=firestore_client(), uid=caller_uid(request), request=args)
    return {"id": task_id, "deleted": True}


@callable_function
def addNote(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(AddNoteArgs, request.data)
    saved = panels.add_note(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return saved_item(saved)


@callable_function
def deleteNote(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(NoteRef, request.data)
    note_id = panels.delete_note(db=firestore_client(), uid=caller_uid(request), request=args)
    return {"id": note_id, "deleted": True}


@callable_function
def markNotificationsRead(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(MarkNotificationsReadRequest, request.data)
    marked = panels.mark_notifications_read(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return {"marked": marked}


@callable_function
def registerDevice(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(RegisterDeviceRequest, request.data)
    device_id = panels.register_device(
        db=firestore_client(), uid=caller_uid(request), request=args, now=utc_now()
    )
    return {"deviceId": device_id}


@callable_function
def unregisterDevice(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    args = parse_request(DeviceTokenRef, request.data)
    removed = panels.unregister_device(db=firestore_client(), uid=caller_uid(request), request=args)
    return {"removed": removed}
