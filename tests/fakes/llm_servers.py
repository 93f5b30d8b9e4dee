"""Local HTTP servers that speak the OpenAI, Anthropic and Vertex AI (Gemini) wire formats.

Each server runs a stdlib ThreadingHTTPServer on 127.0.0.1 (port 0) in a daemon thread, so the
real SDKs make real HTTP requests against it. Tests script what it answers, one `Reply` per
request (the last one repeats), and read back every request it received.

Function calling: a `Reply` with `tool_calls` answers a request that offers tools (and does not
forbid calling them) with those calls, after its text, streamed in the provider's own format;
`RESULT` in a reply's text stands for the last tool result the request carries, so a scripted
follow-up shows that the result reached the model. Requests without tools get text as before.
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

SIGNATURE = "ZmFrZS10aG91Z2h0LXNpZ25hdHVyZQ=="  # base64 of the signature the fake Gemini signs with
VERTEX_PATH = re.compile(
    r"^/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)$"
)


RESULT = "{result}"
"""In a reply's text: the content of the last tool result the request carries."""


@dataclass(frozen=True)
class ToolCall:
    """A function call the fake model makes."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)  # str: sent as is (malformed)
    call_id: str | None = None  # default: one the server makes up (none for Vertex, as Gemini)


@dataclass(frozen=True)
class SentToolResult:
    """A tool result as a request carried it back to the model, whatever the wire format."""

    call_id: str | None
    name: str | None  # Gemini's function responses carry the name; the others the id only
    content: str  # the result as text (Gemini's response object as JSON)
    is_error: bool | None  # Anthropic's flag; None where the format has none


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
    tool_calls: tuple[ToolCall, ...] = ()  # made after the text when the request offers tools
    obey_tool_choice: bool = True  # False: calls tools even when the request forbids it

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

    def pieces(self, result: str | None = None) -> list[str]:
        """The text (RESULT replaced by `result`) split into `chunks` nearly equal, non-empty
        deltas (fewer for short text; none for empty text)."""
        return _split(self.text.replace(RESULT, result or ""), self.chunks)

    def calls_for(self, request: RecordedRequest) -> tuple[ToolCall, ...]:
        """The tool calls this reply makes to `request`: none unless it offers tools."""
        if not request.offered_tools():
            return ()
        if request.tool_choice_none() and self.obey_tool_choice:
            return ()
        return self.tool_calls


def _split(text: str, chunks: int) -> list[str]:
    count = max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), count)
    out: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        out.append(text[start:end])
        start = end
    return [piece for piece in out if piece]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any
    kind: Kind = "openai"

    def _body(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def offered_tools(self) -> list[str]:
        """Names of the functions the request offers the model."""
        body = self._body()
        if self.kind == "openai":
            return [t["function"]["name"] for t in body.get("tools") or ()]
        if self.kind == "anthropic":
            return [t["name"] for t in body.get("tools") or ()]
        return [
            d["name"] for t in body.get("tools") or () for d in t.get("functionDeclarations") or ()
        ]

    def tool_choice_none(self) -> bool:
        """Whether the request forbids calling the tools it lists."""
        body = self._body()
        if self.kind == "openai":
            return body.get("tool_choice") == "none"
        if self.kind == "anthropic":
            return (body.get("tool_choice") or {}).get("type") == "none"
        config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
        return str(config.get("mode", "")).upper() == "NONE"

    def tool_results(self) -> list[SentToolResult]:
        """The tool results the request carries back to the model, in order."""
        body = self._body()
        if self.kind == "openai":
            return [
                SentToolResult(m.get("tool_call_id"), None, _text_of(m.get("content")), None)
                for m in body.get("messages") or ()
                if m.get("role") == "tool"
            ]
        if self.kind == "anthropic":
            return [
                SentToolResult(
                    b.get("tool_use_id"),
                    None,
                    _text_of(b.get("content")),
                    bool(b.get("is_error", False)),
                )
                for m in body.get("messages") or ()
                if isinstance(m.get("content"), list)
                for b in m["content"]
                if b.get("type") == "tool_result"
            ]
        return [
            SentToolResult(
                p["functionResponse"].get("id"),
                p["functionResponse"].get("name"),
                json.dumps(p["functionResponse"].get("response")),
                None,
            )
            for c in body.get("contents") or ()
            for p in c.get("parts") or ()
            if "functionResponse" in p
        ]


def _text_of(content: Any) -> str:
    """A message content as text: a string, or the text of its text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _arguments_text(call: ToolCall) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _last_result(request: RecordedRequest) -> str | None:
    results = request.tool_results()
    return results[-1].content if results else None


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
                kind=kind,
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
    number = len(request.tool_results())  # distinct call ids across the rounds of one reply
    calls = [
        (call.call_id or f"call_{number}_{index}", call)
        for index, call in enumerate(reply.calls_for(request))
    ]
    finish = "tool_calls" if calls else "stop"
    pieces = reply.pieces(_last_result(request))
    if not body.get("stream"):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(pieces) or None,
            "refusal": None,
        }
        if calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": _arguments_text(call)},
                }
                for call_id, call in calls
            ]
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
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
        for index, piece in enumerate(pieces):
            if index == reply.fail_after:
                error = {"message": "The server had an error", "type": "server_error"}
                yield _sse({"error": error})
                return
            yield chunk({"content": piece}, None)
        for index, (call_id, call) in enumerate(calls):
            # As the API streams them: id and name first, then the arguments in pieces.
            head = {"name": call.name, "arguments": ""}
            yield chunk(
                {
                    "tool_calls": [
                        {"index": index, "id": call_id, "type": "function", "function": head}
                    ]
                },
                None,
            )
            for part in _split(_arguments_text(call), 3):
                yield chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": part}}]}, None
                )
        yield chunk({}, finish)
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
    number = len(request.tool_results())
    calls = [
        (call.call_id or f"toolu_{number}_{index}", call)
        for index, call in enumerate(reply.calls_for(request))
    ]
    stop_reason = "tool_use" if calls else "end_turn"
    pieces = reply.pieces(_last_result(request))
    if not body.get("stream"):
        content: list[dict[str, Any]] = (
            [{"type": "text", "text": "".join(pieces)}] if pieces else []
        )
        content += [
            {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
            for call_id, call in calls
        ]
        final = {
            **message,
            "content": content,
            "stop_reason": stop_reason,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }
        _send_json(handler, 200, final)
        return

    def block(index: int, start: dict[str, Any], deltas: list[dict[str, Any]]) -> Iterator[bytes]:
        yield _sse(
            {"type": "content_block_start", "index": index, "content_block": start},
            "content_block_start",
        )
        for delta in deltas:
            yield _sse(
                {"type": "content_block_delta", "index": index, "delta": delta},
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": index}, "content_block_stop")

    def events() -> Iterator[bytes]:
        yield _sse({"type": "message_start", "message": message}, "message_start")
        index = 0
        if pieces or not calls:
            yield _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            )
            yield _sse({"type": "ping"}, "ping")
            for position, piece in enumerate(pieces):
                if position == reply.fail_after:
                    error = {"type": "overloaded_error", "message": "Overloaded"}
                    yield _sse({"type": "error", "error": error}, "error")
                    return
                delta = {"type": "text_delta", "text": piece}
                yield _sse(
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                    "content_block_delta",
                )
            yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            index = 1
        for call_id, call in calls:
            # As the API streams a tool_use block: empty input, then its JSON in pieces.
            start = {"type": "tool_use", "id": call_id, "name": call.name, "input": {}}
            parts = ["", *_split(_arguments_text(call), 3)]
            yield from block(
                index, start, [{"type": "input_json_delta", "partial_json": p} for p in parts]
            )
            index += 1
        yield _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
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

    calls = reply.calls_for(request)
    malformed = next((c for c in calls if isinstance(c.arguments, str)), None)
    pieces = reply.pieces(_last_result(request))

    def response(
        text: str | None, *, last: bool, calls: tuple[ToolCall, ...] = ()
    ) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": text}] if text is not None else []
        for call in calls:
            function_call: dict[str, Any] = {"name": call.name, "args": call.arguments}
            if call.call_id:
                function_call["id"] = call.call_id
            # Gemini 3 signs its calls; the signature must come back with the call.
            parts.append({"functionCall": function_call, "thoughtSignature": SIGNATURE})
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
        if last and malformed is not None:
            # Gemini does not send a call it cannot parse: it ends the candidate saying so.
            candidate = {
                "content": {"role": "model", "parts": parts} if parts else {},
                "finishReason": "MALFORMED_FUNCTION_CALL",
                "finishMessage": f"Malformed function call: {malformed.arguments}",
            }
        elif last:
            candidate["finishReason"] = "STOP"
        payload: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model_version,
            "responseId": "fake-response",
        }
        # Like the real API: a running count on every chunk, the final numbers on the last one.
        payload["usageMetadata"] = usage if last else {"promptTokenCount": reply.input_tokens}
        return payload

    well_formed = () if malformed is not None else calls
    if match["method"] == "generateContent":
        text = "".join(pieces) if pieces else None
        _send_json(handler, 200, response(text, last=True, calls=well_formed))
        return

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
            last = index == len(pieces) - 1 and not calls
            payload = response(piece, last=last)
            yield f"data: {json.dumps(payload)}\r\n\r\n".encode()
        if calls or not pieces:
            # A function call arrives whole, in the last chunk, as the API streams it.
            payload = response(None, last=True, calls=well_formed)
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
