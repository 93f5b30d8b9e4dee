"""The SDK's error lines for the emulator's GET probes are dropped; real errors are not."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import flask
import pytest
from firebase_functions.private import util

from auraos_functions.handlers.boundary import GetProbeNoise, quiet_get_probes


@pytest.fixture
def root_records() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    quiet_get_probes()
    quiet_get_probes()  # idempotent
    yield records
    root.removeHandler(handler)
    for f in [f for f in root.filters if isinstance(f, GetProbeNoise)]:
        root.removeFilter(f)


def test_one_filter_however_often_it_is_installed(root_records: list[logging.LogRecord]) -> None:
    assert sum(isinstance(f, GetProbeNoise) for f in logging.getLogger().filters) == 1


def test_a_get_probe_logs_nothing_and_a_bad_post_still_does(
    root_records: list[logging.LogRecord],
) -> None:
    app = flask.Flask(__name__)
    with app.test_request_context("/", method="GET"):
        assert util.valid_on_call_request(flask.request) is False  # the SDK's own check, as it runs
        logging.error("Invalid request, unable to process.")
    assert root_records == []

    with app.test_request_context("/", method="PUT"):
        assert util.valid_on_call_request(flask.request) is False
        logging.error("Invalid request, unable to process.")
    assert [r.getMessage() for r in root_records] == [
        "Request has invalid method. PUT",
        "Invalid request, unable to process.",
    ]


def test_other_messages_and_loggers_pass_during_a_get(
    root_records: list[logging.LogRecord],
) -> None:
    app = flask.Flask(__name__)
    with app.test_request_context("/", method="GET"):
        logging.error("something else broke")
        logging.getLogger("auraos").warning("Invalid request, unable to process.")
    assert [r.getMessage() for r in root_records] == [
        "something else broke",
        "Invalid request, unable to process.",  # ours, not the SDK's: never dropped
    ]
