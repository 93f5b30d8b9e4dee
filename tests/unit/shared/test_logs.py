"""Cloud Logging JSON lines and trace-id extraction."""

import json
import logging

from shared.logs import CloudLoggingFormatter, trace_id_from_headers


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("svc", logging.WARNING, __file__, 1, "turn %s", ("t1",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_line_carries_severity_message_fields_and_the_cloud_trace() -> None:
    line = CloudLoggingFormatter(project_id="p1").format(_record(trace="abc", uid="u1"))

    entry = json.loads(line)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "turn t1"
    assert entry["uid"] == "u1"
    assert entry["logging.googleapis.com/trace"] == "projects/p1/traces/abc"
    assert "trace" not in entry


def test_trace_ids_from_both_header_styles() -> None:
    assert trace_id_from_headers({"X-Cloud-Trace-Context": "105445aa7843bc8bf206b/1;o=1"}) == (
        "105445aa7843bc8bf206b"
    )
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert trace_id_from_headers({"traceparent": traceparent}) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_from_headers({"traceparent": "garbage"}) is None
    assert trace_id_from_headers({}) is None
