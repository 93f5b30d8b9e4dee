"""JSON log lines that Cloud Logging parses (severity, message, trace), for both services."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from .tracing import current_trace_id

# Attributes every LogRecord has; anything else came through `extra=` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}
_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO"}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line; `trace` in `extra` (else the current span's trace) becomes
    Cloud Logging's trace field, so a turn's log lines and its spans share one trace id."""

    def __init__(self, *, project_id: str | None = None) -> None:
        super().__init__()
        self._project_id = project_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelname, "DEBUG"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        trace = entry.pop("trace", None) or current_trace_id()
        if trace and self._project_id:
            entry["logging.googleapis.com/trace"] = f"projects/{self._project_id}/traces/{trace}"
        elif trace:
            entry["trace"] = trace
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(*, level: str = "INFO", project_id: str | None = None) -> None:
    """Route the root logger to stderr as JSON; safe to call more than once."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(CloudLoggingFormatter(project_id=project_id))
    root.handlers = [handler]
    root.setLevel(level)


def trace_id_from_headers(headers: dict[str, str] | Any) -> str | None:
    """The trace id from `X-Cloud-Trace-Context` (`TRACE/SPAN;o=1`) or W3C `traceparent`."""
    cloud = headers.get("X-Cloud-Trace-Context")
    if cloud:
        trace = str(cloud).split("/", 1)[0].strip()
        return trace or None
    parent = headers.get("traceparent")
    if parent:
        parts = str(parent).split("-")
        if len(parts) >= 3 and len(parts[1]) == 32:
            return parts[1]
    return None
