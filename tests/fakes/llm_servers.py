"""Local HTTP servers that speak the OpenAI, Anthropic and Vertex AI (Gemini) wire formats.

Each server runs a stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a daemon thread, so the
real SDKs make real HTTP requests against it. Tests script what it answers, one `Reply` per
request (the last one repeats), and read back every request it received.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

from ai_service.generation.base import Provider

Kind = Literal["openai", "anthropic", "vertex"]

VERTEX_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)$"
)


@dataclass(frozen=True)
class Reply:
    """What the server does with one request."""

    text: str = "Hello from the fake model."
    chunks: int = 3  # how many deltas the text is split into
    status: int = 200
    error_type: str | None = None  # provider-specific error type for the error body
    delay_s: float = 0.0  # sleep before answering at all (a hung upstream)
    chunk_delay_s: float = 0.0  # sleep between streamed deltas
    input_tokens: int = 21
    output_tokens: int = 9
    model: str | None = None  # the model the server says answered; default: the one asked for
    fail_after: int | None = None  # stream this many deltas, then an in-stream error event

    @classmethod
    def break_after(cls, pieces: int, *, text: str = "partial reply that breaks") -> Self:
        """Start streaming, then fail mid-reply with the provider's in-stream error event."""
        return cls(text=text, chunks=max(pieces + 1, 3), fail_after=pieces)

    @classmethod
    def fail(cls, status: int, *, error_type: str | None = None) -> Self:
        return cls(status=status, error_type=error_type)

    @classmethod
    def hang(cls, seconds: float) -> Self:
        return cls(delay_s=seconds)

    def pieces(self) -> list[str]:
        """The text split into `chunks` nearly equal, non-empty deltas (fewer for short text)."""
        count = max(1, min(self.chunks, len(self.text)))
        size, extra = divmod(len(self.text), count)
        out: list[str] = []
        start = 0
        for index in range(count):
            end = start + size + (1 if index < extra else 0)
            out.append(self.text[start:end])
            start = end
        return out


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass
class _State:
    replies: list[Reply] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: int = 0  # streams the client closed before the end
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _ClientGone(Exception):
    """The client closed the connection mid-stream."""


class _QuietServer(ThreadingHTTPServer):
    # Hung-request threads must not keep the test process (or server_close) waiting.
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # SDKs drop idle keep-alive connections and cancelled streams; that is not a failure.
        pass


class FakeLLMServer:
    """One fake provider endpoint; use as a context manager or call start()/stop()."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        handler = _make_handler(self.kind, self._state)
        server = _QuietServer(("127.0.0.1", 0), handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stopping.set()  # wakes handlers sleeping in a scripted hang
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting and inspection ----------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What the SDK takes as base_url (OpenAI's includes the /v1 prefix, as the SDK's does)."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        root = f"http://{host!s}:{port}"
        return f"{root}/v1" if self.kind == "openai" else root

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies in order; the last one then repeats."""
        with self._state.lock:
            self._state.replies = list(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def disconnects(self) -> int:
        with self._state.lock:
            return self._state.disconnects

    def wait_for_disconnects(self, count: int, *, timeout_s: float = 2.0) -> int:
        """Wait until the server saw `count` early client disconnects (or the timeout)."""
        deadline = time.monotonic() + timeout_s
        while self.disconnects < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.disconnects


def _make_handler(kind: Kind, state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real APIs do

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            recorded = RecordedRequest(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            with state.lock:
                state.requests.append(recorded)
                index = len(state.requests) - 1
                replies = state.replies or [Reply()]
                reply = replies[min(index, len(replies) - 1)]
            if reply.delay_s and state.stopping.wait(reply.delay_s):
                return
            try:
                _DISPATCH[kind](self, recorded, reply)
            except _ClientGone:
                with state.lock:
                    state.disconnects += 1
                self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


# -- response helpers ----------------------------------------------------------------------


def _send_json(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    handler.wfile.flush()


def _stream(
    handler: BaseHTTPRequestHandler, events: Iterator[bytes], *, delay_s: float = 0.0
) -> None:
    """Send an SSE body with chunked transfer encoding, one flush per event."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for index, event in enumerate(events):
            if index and delay_s:
                time.sleep(delay_s)
            handler.wfile.write(f"{len(event):X}\r\n".encode() + event + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError) as error:
        raise _ClientGone from error


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()


# -- OpenAI --------------------------------------------------------------------------------

_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def _openai(handler: BaseHTTPRequestHandler, request: RecordedRequest, reply: Reply) -> None:
    if request.path != "/v1/chat/completions" or request.method != "POST":
        _send_json(handler, 404, {"error": {"message": "unknown route", "type": "not_found"}})
        return
    if reply.status != 200:
        kind = reply.error_type or _OPENAI_ERROR_TYPES.get(reply.status, "server_error")
        _send_json(
            handler,
            reply.status,
            {
                "error": {
                    "message": f"scripted {reply.status}",
                    "type": kind,
                    "param": None,
                    "code": None,
                }
            },
        )
        return
    body = request.body if isinstance(request.body, dict) else {}
    model = reply.model or str(body.get("model", "gpt-fake"))
    usage = {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }
    base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": model}
    if not body.get("stream"):
        message = {"role": "assistant", "content": reply.text, "refusal": None}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        _send_json(
            handler, 200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
        )
        return
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return _sse({**base, "object": "chat.completion.chunk", "choices": [choice]})

    def events() -> Iterator[bytes]:
        yield chunk({"role": "assistant", "content": ""}, None)
        for index, piece in enumerate(reply.pieces()):
            if index == reply.fail_after:
                error = {"message": "The server had an error", "type": "server_error"}
                yield _sse({"error": error})
                return
            yield chunk({"content": piece}, None)
        yield chunk({}, "stop")
        if include_usage:
            yield _sse({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        yield _sse("[DONE]")

    _stream(handler, events(), delay_s=reply.chunk_delay_s)


# -- Anthropic -----------------------------------------------------------------------------

_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _anthropic(handler: BaseHTTPRequestHandler, request: RecordedRequest, reply: Reply) -> None:
    if request.path != "/v1/messages" or request.method != "POST":
        _send_json(
            handler,
            404,
            {"type": "error", "error": {"type": "not_found_error", "message": "no route"}},
        )
        return
    if reply.status != 200:
        kind = reply.error_type or _ANTHROPIC_ERROR_TYPES.get(reply.status, "api_error")
        _send_json(
            handler,
            reply.status,
            {"type": "error", "error": {"type": kind, "message": f"scripted {reply.status}"}},
        )
        return
    body = request.body if isinstance(request.body, dict) else {}
    model = reply.model or str(body.get("model", "claude-fake"))
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
    }
    if not body.get("stream"):
        final = {
            **message,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }
        _send_json(handler, 200, final)
        return

    def events() -> Iterator[bytes]:
        yield _sse({"type": "message_start", "message": message}, "message_start")
        yield _sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )
        yield _sse({"type": "ping"}, "ping")
        for index, piece in enumerate(reply.pieces()):
            if index == reply.fail_after:
                error = {"type": "overloaded_error", "message": "Overloaded"}
                yield _sse({"type": "error", "error": error}, "error")
                return
            delta = {"type": "text_delta", "text": piece}
            yield _sse(
                {"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta"
            )
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        yield _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
            "message_delta",
        )
        yield _sse({"type": "message_stop"}, "message_stop")

    _stream(handler, events(), delay_s=reply.chunk_delay_s)


# -- Vertex AI (Gemini) --------------------------------------------------------------------

_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _vertex(handler: BaseHTTPRequestHandler, request: RecordedRequest, reply: Reply) -> None:
    match = VERTEX_PATH.match(request.path)
    if match is None or request.method != "POST":
        _send_json(
            handler, 404, {"error": {"code": 404, "message": "no route", "status": "NOT_FOUND"}}
        )
        return
    if reply.status != 200:
        status = reply.error_type or _GOOGLE_STATUS.get(reply.status, "UNKNOWN")
        error = {"code": reply.status, "message": f"scripted {reply.status}", "status": status}
        _send_json(handler, reply.status, {"error": error})
        return
    model_version = reply.model or match["model"]
    usage = {
        "promptTokenCount": reply.input_tokens,
        "candidatesTokenCount": reply.output_tokens,
        "totalTokenCount": reply.input_tokens + reply.output_tokens,
    }

    def response(text: str, *, last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
        if last:
            candidate["finishReason"] = "STOP"
        payload: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model_version,
            "responseId": "fake-response",
        }
        # Like the real API: a running count on every chunk, the final numbers on the last one.
        payload["usageMetadata"] = usage if last else {"promptTokenCount": reply.input_tokens}
        return payload

    if match["method"] == "generateContent":
        _send_json(handler, 200, response(reply.text, last=True))
        return
    pieces = reply.pieces()

    def events() -> Iterator[bytes]:
        for index, piece in enumerate(pieces):
            if index == reply.fail_after:
                error = {
                    "code": 503,
                    "message": "The service is unavailable.",
                    "status": "UNAVAILABLE",
                }
                yield f"data: {json.dumps({'error': error})}\r\n\r\n".encode()
                return
            payload = response(piece, last=index == len(pieces) - 1)
            yield f"data: {json.dumps(payload)}\r\n\r\n".encode()

    _stream(handler, events(), delay_s=reply.chunk_delay_s)


_DISPATCH: dict[Kind, Callable[[BaseHTTPRequestHandler, RecordedRequest, Reply], None]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "vertex": _vertex,
}


# -- helpers for tests that drive providers ------------------------------------------------


class DeltaCollector:
    """An `on_delta` that records pieces and asks to stop after `stop_after` of them."""

    def __init__(self, *, stop_after: int | None = None) -> None:
        self.pieces: list[str] = []
        self._stop_after = stop_after

    def __call__(self, piece: str) -> bool:
        self.pieces.append(piece)
        return self._stop_after is None or len(self.pieces) < self._stop_after

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def refused_base_url() -> str:
    """A local URL with nothing listening, so connections to it are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Credentials and default models the SDK providers use against these servers.
OPENAI_KEY = "sk-test-openai-0123456789"
ANTHROPIC_KEY = "sk-ant-test-0123456789"
VERTEX_TOKEN = "ya29.test-access-token"
VERTEX_PROJECT = "auraos-test"
VERTEX_LOCATION = "europe-west1"
DEFAULT_MODELS: dict[Kind, str] = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-haiku-4-5",
    "vertex": "gemini-3.1-flash-lite",
}


def vertex_credentials() -> Any:
    """A static OAuth token: no refresh and no metadata-server lookup, so no network."""
    from google.oauth2.credentials import Credentials

    return Credentials(token=VERTEX_TOKEN)  # type: ignore[no-untyped-call]


def build_provider(kind: Kind, base_url: str, *, timeout_s: float = 5.0) -> Provider:
    """The real SDK provider of `kind` talking to `base_url` (imported lazily: the SDKs are big)."""
    model = DEFAULT_MODELS[kind]
    if kind == "openai":
        from ai_service.generation.openai_provider import OpenAIProvider

        return OpenAIProvider(
            api_key=OPENAI_KEY, model=model, base_url=base_url, timeout_s=timeout_s
        )
    if kind == "anthropic":
        from ai_service.generation.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            api_key=ANTHROPIC_KEY, model=model, base_url=base_url, timeout_s=timeout_s
        )
    from ai_service.generation.vertex_provider import VertexProvider

    return VertexProvider(
        project=VERTEX_PROJECT,
        location=VERTEX_LOCATION,
        model=model,
        base_url=base_url,
        timeout_s=timeout_s,
        credentials=vertex_credentials(),
    )
