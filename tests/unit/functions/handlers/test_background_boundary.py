"""The background triggers' boundary: retry what may pass, drop what never will."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from google.api_core import exceptions as gexc

from auraos_functions.handlers.boundary import background_trigger, is_transient
from shared.errors import Conflict, InvalidInput, NotFound, Transient


def _google(kind: type[gexc.GoogleAPICallError]) -> Exception:
    """A Google API error as the client library raises it (its constructor is untyped)."""
    error: Exception = kind("from the API")
    return error


def _trigger(error: Exception | None) -> Callable[[str], None]:
    @background_trigger
    def on_event(event: str) -> None:
        if error is not None:
            raise error

    return on_event


@pytest.mark.parametrize(
    "error", [InvalidInput("bad envelope"), NotFound("no such turn"), Conflict("already done")]
)
def test_a_permanent_error_is_logged_with_its_reason_and_dropped(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    trigger = _trigger(error)

    with caplog.at_level(logging.WARNING):
        trigger("event")

    [record] = [r for r in caplog.records if r.getMessage() == "trigger dropped the event"]
    assert record.__dict__["reason"] == str(error)
    assert record.__dict__["function"] == "on_event"


@pytest.mark.parametrize(
    "error",
    [Transient("Pub/Sub is slow"), _google(gexc.ServiceUnavailable), _google(gexc.Aborted)],
)
def test_a_transient_error_is_raised_again_for_the_platform_to_retry(error: Exception) -> None:
    trigger = _trigger(error)

    with pytest.raises(type(error)):
        trigger("event")


def test_an_unexpected_error_is_raised_again_and_logged_with_its_stack(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trigger = _trigger(KeyError("status"))

    with caplog.at_level(logging.ERROR), pytest.raises(KeyError):
        trigger("event")

    assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)


def test_a_trigger_that_succeeds_returns_normally() -> None:
    trigger = _trigger(None)

    assert trigger("event") is None


def test_which_errors_count_as_transient() -> None:
    assert is_transient(Transient("x"))
    assert is_transient(_google(gexc.DeadlineExceeded))
    assert is_transient(TimeoutError())
    assert not is_transient(InvalidInput("x"))
    assert not is_transient(_google(gexc.PermissionDenied))
    assert not is_transient(ValueError("x"))
