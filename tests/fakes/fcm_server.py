"""A local HTTP server speaking the FCM HTTP v1 API's send method, for firebase_admin.messaging.

    POST /v1/projects/{project}/messages:send   {"message": {...}, "validate_only"?: bool}

answers `{"name": "projects/{project}/messages/{n}"}`, or FCM's error body for a token the test
marked unregistered (404 NOT_FOUND with an FcmError detail `UNREGISTERED`, which the SDK turns
into `messaging.UnregisteredError`) or when told to fail everything (an HTTP status of the
test's choice). `send_each` / `send_each_for_multicast` post one such request per message (the
SDK dropped FCM's batch endpoint), so this is the whole surface the functions use. Every request
is recorded, failures included. Point the functions at it with AURAOS_FCM_EMULATOR_HOST.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


@dataclass(frozen=True)
class SentMessage:
    """One send request as the server received it."""

    project: str
    message: dict[str, Any]
    validate_only: bool
    answered: int  # the HTTP status the server answered with

    @property
    def token(self) -> str | None:
        token = self.message.get("token")
        return token if isinstance(token, str) else None


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[SentMessage] = []
        self.unregistered: set[str] = set()
        self.fail_status: int | None = None


def _error(status: int, code: str, message: str, fcm_code: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if fcm_code is not None:
        error["details"] = [{"@type": FCM_ERROR, "errorCode": fcm_code}]
    return {"error": error}


def _make_handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            match = SEND_PATH.match(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = None
            if match is None or not isinstance(body, dict) or "message" not in body:
                self._answer(400, _error(400, "INVALID_ARGUMENT", "bad request", None))
                return
            message = body["message"]
            token = message.get("token")
            with state.lock:
                if state.fail_status is not None:
                    status = state.fail_status
                    answer = _error(status, "UNAVAILABLE", "scripted failure", None)
                elif token in state.unregistered:
                    status = 404
                    answer = _error(
                        404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"
                    )
                else:
                    status = 200
                    answer = {"name": f"projects/{match['project']}/messages/{len(state.sent) + 1}"}
                state.sent.append(
                    SentMessage(
                        project=match["project"],
                        message=message,
                        validate_only=bool(body.get("validate_only")),
                        answered=status,
                    )
                )
            self._answer(status, answer)

    return Handler


class FakeFCMServer:
    """The fake FCM endpoint; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self._state))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """host:port, as AURAOS_FCM_EMULATOR_HOST takes it."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def unregister(self, *tokens: str) -> None:
        """From now on FCM says these tokens are no longer registered (an uninstalled app)."""
        with self._state.lock:
            self._state.unregistered.update(tokens)

    def fail_with(self, status: int | None) -> None:
        """Answer every send with this HTTP status (None: work again)."""
        with self._state.lock:
            self._state.fail_status = status

    def reset(self) -> None:
        with self._state.lock:
            self._state.sent.clear()
            self._state.unregistered.clear()
            self._state.fail_status = None

    @property
    def sent(self) -> list[SentMessage]:
        with self._state.lock:
            return list(self._state.sent)
