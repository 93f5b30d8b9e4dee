"""What the panels' callables accept: exact times with an offset, ids, FCM tokens, batch sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auraos_functions.services.requests import parse_request
from shared.errors import InvalidInput
from shared.models.panel_requests import (
    CompleteTaskRequest,
    CreateReminderRequest,
    MarkNotificationsReadRequest,
    RegisterDeviceRequest,
)


@pytest.mark.parametrize(
    ("due_at", "expected"),
    [
        ("2026-12-02T18:00:00Z", datetime(2026, 12, 2, 18, 0, tzinfo=UTC)),
        ("2026-12-02T18:00:00.123Z", datetime(2026, 12, 2, 18, 0, 0, 123000, tzinfo=UTC)),
        ("2026-12-02T18:00+00:00", datetime(2026, 12, 2, 18, 0, tzinfo=UTC)),
        ("2026-12-02T18:00:00+01:00", datetime(2026, 12, 2, 17, 0, tzinfo=UTC)),
        ("2026-12-02T18:00:00-05:30", datetime(2026, 12, 2, 23, 30, tzinfo=UTC)),
    ],
)
def test_a_due_time_with_an_offset_is_one_instant_in_utc(due_at: str, expected: datetime) -> None:
    request = parse_request(CreateReminderRequest, {"text": "water the plants", "dueAt": due_at})

    assert request.due_at == expected
    assert request.due_at.utcoffset() is not None
    assert request.due_at.tzinfo == UTC


@pytest.mark.parametrize(
    "due_at",
    [
        "2026-12-02T18:00:00",  # naive: which 18:00?
        "2026-12-02",
        "at 6pm",
        "tomorrow at 9am",
        1_796_000_000,
        True,
        None,
        "2026-13-02T18:00:00Z",
        "0001-01-01T00:00:00+01:00",  # no UTC instant
        "2026-12-02T18:00:00.1234567Z",
        "2026-12-02 18:00:00Z",
    ],
)
def test_anything_but_an_exact_iso_time_is_refused(due_at: Any) -> None:
    with pytest.raises(InvalidInput, match="dueAt"):
        parse_request(CreateReminderRequest, {"text": "water the plants", "dueAt": due_at})


def test_reminder_text_is_stripped_and_bounded() -> None:
    assert (
        parse_request(CreateReminderRequest, {"text": "  x ", "dueAt": "2026-12-02T18:00Z"}).text
        == "x"
    )
    for text in ("", "   ", "x" * 501):
        with pytest.raises(InvalidInput, match="text"):
            parse_request(CreateReminderRequest, {"text": text, "dueAt": "2026-12-02T18:00Z"})


@pytest.mark.parametrize("task_id", ["__x__", "", "a/b", "..", 7, None])
def test_ids_firestore_cannot_take_are_refused(task_id: Any) -> None:
    with pytest.raises(InvalidInput, match="taskId"):
        parse_request(CompleteTaskRequest, {"taskId": task_id})


def test_complete_task_defaults_to_done_and_refuses_unknown_fields() -> None:
    assert parse_request(CompleteTaskRequest, {"taskId": "t1"}).done is True
    with pytest.raises(InvalidInput, match="uid"):
        parse_request(CompleteTaskRequest, {"taskId": "t1", "uid": "someone-else"})
    for done in ("yes", 1, None):
        with pytest.raises(InvalidInput, match="done"):
            parse_request(CompleteTaskRequest, {"taskId": "t1", "done": done})


def test_notifications_are_marked_read_one_to_fifty_at_a_time() -> None:
    assert len(parse_request(MarkNotificationsReadRequest, {"ids": ["n"] * 50}).ids) == 50
    for ids in ([], ["n"] * 51, "n1", [1]):
        with pytest.raises(InvalidInput, match="ids"):
            parse_request(MarkNotificationsReadRequest, {"ids": ids})


@pytest.mark.parametrize("token", ["", "a b", "a/b", "x" * 4097, "tok\n"])
def test_a_token_that_cannot_be_an_fcm_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidInput, match="token"):
        parse_request(RegisterDeviceRequest, {"token": token})


def test_an_fcm_token_as_get_token_returns_it_is_accepted() -> None:
    token = "dGVzdC10b2tlbg:APA91bH-abc_DEF.123"
    assert parse_request(RegisterDeviceRequest, {"token": token}).token == token
