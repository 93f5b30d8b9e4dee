"""The embedded, offline default provider: a small GGUF model run in-process by xllamacpp.

No key, no network. The model is loaded once per process (call `load()` at start-up, or the
first `generate()` does) and served by llama.cpp's server engine, which is thread-safe and
batches up to `parallel` requests at once. A model this small must be grounded by the prompt:
it writes, it does not know.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import (
    ChatMessage,
    GenerationRequest,
    GenerationResult,
    OnDelta,
    ProviderError,
    Role,
    ToolRunner,
)
from .local_model import DEFAULT_MODEL_ID, ModelUnavailable, locate_model, model_spec

log = logging.getLogger(__name__)

# Sampling for short, factual replies; the temperature comes from each request.
TOP_P = 0.9
TOP_K = 40
MIN_P = 0.05
REPEAT_PENALTY = 1.1
CHATML_STOP = ("<|im_end|>", "<|im_start|>")
_CONTROL_TOKEN = re.compile(r"<\|[A-Za-z0-9_]{1,32}\|>")
_RUNTIME_VERBOSITY = 1  # llama.cpp writes to stderr itself: errors only
_PROMPT_CACHE_MIB = 256  # host-RAM prompt cache: ~12 KB per token on the 0.5B, ~70 conversations
# 0 sends every request the provider does not pin (see _Slots) to the least recently used slot
# and, on the way, saves that slot's prompt to the host cache and loads the cached prompt that
# best matches the request: a conversation comes back to its own prefix after others. Above 0,
# llama.cpp picks the slot sharing the longest prefix and skips the cache while that keeps half
# of the slot (the shared system prompt alone does): measured, continuing turns then re-read
# everything after the system prompt.
_SLOT_SIMILARITY = 0.0
_WARM_UP_PROMPT = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
_CONTEXT_ERROR = "exceed_context_size_error"


def _clean(text: str) -> str:
    """Content with ChatML control markers removed, so text cannot forge a turn."""
    return _CONTROL_TOKEN.sub("", text)


def chatml_turns(system: str, messages: tuple[ChatMessage, ...]) -> str:
    """The ChatML turns of a system text and messages: a prompt, up to where the assistant
    would be asked to speak."""
    turns = [(Role.SYSTEM, system)] if system.strip() else []
    turns += [(m.role, m.content) for m in messages]
    return "".join(f"<|im_start|>{role.value}\n{_clean(text)}<|im_end|>\n" for role, text in turns)


def chatml_prompt(system: str, messages: tuple[ChatMessage, ...]) -> str:
    """The ChatML prompt for a system text and messages, ending where the assistant speaks."""
    return chatml_turns(system, messages) + "<|im_start|>assistant\n"


@dataclass
class _Stream:
    """What one streamed completion produced, filled in by the runtime's callback."""

    on_delta: OnDelta
    started: float = field(default_factory=time.monotonic)
    pieces: list[str] = field(default_factory=list)
    chunks: int = 0
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    first_token_s: float | None = None
    cached_tokens: int | None = None  # prompt tokens the runtime took from its cache
    prompt_ms: float | None = None  # the runtime's time reading the rest of the prompt
    cancelled: bool = False
    error: dict[str, Any] | None = None
    callback_error: BaseException | None = None

    def __call__(self, chunk: Any) -> bool:
        """Runtime callback: True asks the runtime to stop."""
        if not isinstance(chunk, dict):
            return False
        if "error" in chunk:
            error = chunk["error"]
            self.error = error if isinstance(error, dict) else {"message": str(error)}
            return True
        self._account(chunk)
        for choice in chunk.get("choices") or ():
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            text = choice.get("text") or ""
            if not text:
                continue
            if self.first_token_s is None:
                self.first_token_s = time.monotonic() - self.started
            self.pieces.append(text)
            try:
                keep_going = self.on_delta(text)
            except BaseException as error:  # re-raised by generate(), outside the runtime
                self.callback_error = error
                return True
            if not keep_going:
                self.cancelled = True
                return True
        return False

    def _account(self, chunk: dict[str, Any]) -> None:
        if chunk.get("choices"):
            self.chunks += 1
        timings = chunk.get("timings")
        if isinstance(timings, dict) and "prompt_n" in timings:
            self.prompt_tokens = int(timings["prompt_n"]) + int(timings.get("cache_n", 0))
            self.cached_tokens = int(timings.get("cache_n", 0))
            self.prompt_ms = float(timings.get("prompt_ms", 0.0))
            self.output_tokens = int(timings.get("predicted_n", 0))
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = int(usage.get("prompt_tokens", self.prompt_tokens or 0))
            self.output_tokens = int(usage.get("completion_tokens", self.output_tokens or 0))


class _Slots:
    """Which slot each request runs in, chosen here so a conversation finds its own prefix.

    llama.cpp sends an unpinned request to its least recently used idle slot, saving what that
    slot held to the host cache and loading the best cached match. A user who sends the next
    turn at once therefore lands in the other slot, which holds an older turn, and re-reads the
    turn just answered (measured: every turn of a lone conversation missed). So the
    provider keeps the prompt each slot last read: a prompt that extends an idle slot's one is
    pinned to it (`id_slot`: the runtime then reuses the prefix in place), and any other goes
    unpinned to the slot llama.cpp picks, the idle one used least recently, which is mirrored
    here. Requests wait here rather than in the runtime, so the mirror knows every slot's state.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._ready = threading.Condition()
        self._prompts = [""] * count
        self._used = [0.0] * count
        self._busy = [False] * count
        self._reading_ahead = [False] * count

    def acquire(self, prompt: str, *, slot: int | None = None) -> tuple[int, bool]:
        """(slot, pinned) for `prompt` (or `slot` itself), once one is idle; `release` follows.

        A prompt that continues a read-ahead still running waits for it rather than take
        another slot and read it all again."""
        with self._ready:
            if slot is not None:
                self._ready.wait_for(lambda: not self._busy[slot])
                self._busy[slot] = True
                return slot, True
            self._ready.wait_for(
                lambda: not all(self._busy) and not self._continues_a_read_ahead(prompt)
            )
            return self._take(prompt)

    def acquire_if_all_idle(self, prompt: str) -> tuple[int, bool] | None:
        """`acquire` for a read-ahead of `prompt`: None at once unless no slot is busy."""
        with self._ready:
            if any(self._busy):
                return None
            slot, pinned = self._take(prompt)
            self._prompts[slot] = prompt  # what it will hold, for requests that continue it
            self._reading_ahead[slot] = True
            return slot, pinned

    def _take(self, prompt: str) -> tuple[int, bool]:
        idle = [i for i, busy in enumerate(self._busy) if not busy]
        resident = [i for i in idle if self._continues(i, prompt)]
        pinned = bool(resident)
        if pinned:
            chosen = max(resident, key=lambda i: len(self._prompts[i]))
        else:
            chosen = min(idle, key=lambda i: self._used[i])
        self._busy[chosen] = True
        return chosen, pinned

    def release(self, slot: int, prompt: str) -> None:
        """`slot` is idle again and holds `prompt` ("" where it is not known) and its reply."""
        with self._ready:
            self._prompts[slot] = prompt
            self._used[slot] = time.monotonic()
            self._busy[slot] = False
            self._reading_ahead[slot] = False
            self._ready.notify_all()

    def _continues_a_read_ahead(self, prompt: str) -> bool:
        return any(
            reading and self._continues(slot, prompt)
            for slot, reading in enumerate(self._reading_ahead)
        )

    def _continues(self, slot: int, prompt: str) -> bool:
        held = self._prompts[slot]
        return bool(held) and prompt.startswith(held)


def _read_prompt(server: Any, slots: _Slots, prompt: str, *, slot: int, pinned: bool) -> bool:
    """Read `prompt` into `slot`, acquired by the caller and released here; False on failure.

    A read is an optimisation: a failure only leaves the later request slower."""
    body: dict[str, Any] = {
        "prompt": prompt,
        "max_tokens": 1,
        "temperature": 0.0,
        "cache_prompt": True,
    }
    if pinned:
        body["id_slot"] = slot
    held = ""
    try:
        returned = server.handle_completions(body)
        if not (isinstance(returned, dict) and "error" in returned):
            held = prompt
    except Exception:
        log.warning("local model prompt read failed", exc_info=True)
    finally:
        slots.release(slot, held)
    return bool(held)


def _warm_slots(server: Any, slots: _Slots, prompt: str) -> None:
    """Read `prompt` into every slot: the runtime only consults its prompt cache for a slot that
    holds something, and a first turn that starts with `prompt` then reads only the rest."""
    for slot in range(slots.count):
        slots.acquire(prompt, slot=slot)
        if not _read_prompt(server, slots, prompt, slot=slot, pinned=True):
            return


class LocalProvider:
    """`Provider` over an embedded llama.cpp model (default Qwen2.5-Coder-0.5B-Instruct Q4_K_M).

    `n_ctx` is the context of each of the `parallel` slots; `threads` decode each slot (1 degrades
    gracefully on a small shared machine); `batch_threads` read prompts (prefill scales with cores
    where decoding does not); `cache_mib` sizes the host-RAM prompt cache that keeps recent
    conversations' prefixes; `max_tokens` caps every request's reply; `shared_system`, the start
    of every request's system text, is read into each slot at load so first turns skip it;
    `read_ahead` False makes `read_ahead()` do nothing.
    """

    name = "local"

    def __init__(
        self,
        *,
        model_id: str = DEFAULT_MODEL_ID,
        n_ctx: int = 2048,
        threads: int = 1,
        batch_threads: int | None = None,
        parallel: int = 1,
        max_tokens: int = 512,
        cache_mib: int = _PROMPT_CACHE_MIB,
        cache_dir: Path | None = None,
        seed: int | None = None,
        shared_system: str = "",
        read_ahead: bool = True,
    ) -> None:
        batch = threads if batch_threads is None else batch_threads
        if n_ctx < 256 or min(threads, batch, parallel, max_tokens) < 1 or cache_mib < 0:
            raise ValueError(
                "n_ctx >= 256, threads, batch_threads, parallel and max_tokens >= 1, cache_mib >= 0"
            )
        self.model_id = model_id
        self.n_ctx = n_ctx
        self.threads = threads
        self.batch_threads = batch
        self.parallel = parallel
        self.cache_mib = cache_mib
        self.max_tokens = max_tokens
        self.cache_dir = cache_dir
        self.seed = seed
        self.shared_system = shared_system
        self.reads_ahead = read_ahead
        self._lock = threading.Lock()
        self._server: Any = None
        self._slots = _Slots(parallel)
        self._load_error: ProviderError | None = None
        self.load_seconds: float | None = None

    def default_model(self) -> str:
        return self.model_id

    @property
    def loaded(self) -> bool:
        return self._server is not None

    def load(self) -> None:
        """Locate, verify and load the model once; later calls return at once. Thread-safe."""
        if self._server is not None:
            return
        with self._lock:
            if self._has_server():  # another thread loaded it while this one waited
                return
            if self._load_error is not None:
                raise self._load_error
            try:
                self._server = self._start()
            except ProviderError as error:
                self._load_error = error
                raise

    def _warm_up_prompt(self) -> str:
        if not self.shared_system.strip():
            return _WARM_UP_PROMPT
        # The start of every system turn: the caller's own text follows in the same turn.
        return f"<|im_start|>system\n{_clean(self.shared_system)}"

    def _has_server(self) -> bool:
        return self._server is not None

    def close(self) -> None:
        """Drop the model (its memory goes when running generations finish)."""
        with self._lock:
            self._server = None

    def _start(self) -> Any:
        started = time.monotonic()
        try:
            model_spec(self.model_id)  # every registered model speaks ChatML
            path = locate_model(self.model_id, cache_dir=self.cache_dir)
        except ModelUnavailable as error:
            raise ProviderError(error.message, provider=self.name, retryable=False) from error
        # Imported here: no stubs, and it maps a 100 MB native library.
        import xllamacpp  # noqa: PLC0415

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_parallel = self.parallel
        params.n_ctx = self.n_ctx * self.parallel  # the runtime splits it across slots
        params.fit_params = False  # keep n_ctx as asked
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.batch_threads
        params.n_threads_http = 1
        params.cache_ram_mib = self.cache_mib
        params.slot_prompt_similarity = _SLOT_SIMILARITY
        params.verbosity = _RUNTIME_VERBOSITY
        params.offline = True
        # The engine also listens on 127.0.0.1 (random port); lock that door with a key nobody has.
        params.ui = False
        params.endpoint_slots = False
        params.endpoint_metrics = False
        params.api_keys = [secrets.token_urlsafe(32)]
        try:
            server = xllamacpp.Server(params)
        except RuntimeError as error:
            raise ProviderError(
                f"the local model {self.model_id} failed to load from {path}: {error}",
                provider=self.name,
                retryable=False,
            ) from error
        _warm_slots(server, self._slots, self._warm_up_prompt())
        self.load_seconds = time.monotonic() - started
        log.info(
            "local model loaded",
            extra={
                "model": self.model_id,
                "loadSeconds": round(self.load_seconds, 2),
                "nCtx": self.n_ctx,
                "threads": self.threads,
                "batchThreads": self.batch_threads,
                "parallel": self.parallel,
                "cacheMib": self.cache_mib,
            },
        )
        return server

    def read_ahead(self, request: GenerationRequest) -> None:
        """Read the start of a coming request into a slot, in the background, if the model is
        loaded and idle: a read-ahead never waits for a slot, so under load it does nothing."""
        server = self._server
        if not self.reads_ahead or server is None or request.model not in (None, self.model_id):
            return
        prefix = chatml_turns(request.system, request.messages)
        taken = self._slots.acquire_if_all_idle(prefix)
        if taken is None:
            return
        slot, pinned = taken
        reader = threading.Thread(
            target=_read_prompt,
            args=(server, self._slots, prefix),
            kwargs={"slot": slot, "pinned": pinned},
            name="local-read-ahead",
            daemon=False,  # exit waits for it: native code torn down mid-read crashed the process
        )
        try:
            reader.start()
        except RuntimeError:  # no thread to be had (exhausted, or the interpreter is stopping)
            self._slots.release(slot, "")
            log.warning("local read-ahead not started", exc_info=True)

    def generate(
        self, request: GenerationRequest, on_delta: OnDelta, *, run_tool: ToolRunner | None = None
    ) -> GenerationResult:
        """Stream a reply to `on_delta` (False from it stops early) and return the whole of it.

        `request.tools` and `run_tool` are ignored: a model this small acts through the NLU
        path, not by calling functions."""
        if request.model is not None and request.model != self.model_id:
            raise ProviderError(
                f"model {request.model!r} is not loaded here (serving {self.model_id})",
                provider=self.name,
                retryable=False,
            )
        self.load()
        messages = request.messages
        while True:
            stream = self._complete(chatml_prompt(request.system, messages), request, on_delta)
            if stream.error is None:
                break
            too_long = stream.error.get("type") == _CONTEXT_ERROR
            if too_long and len(messages) > 1 and not stream.pieces:
                log.info("prompt exceeds the context; dropping the oldest message")
                messages = messages[1:]
                continue
            raise self._runtime_error(stream.error)
        text = "".join(stream.pieces)
        output_tokens = stream.output_tokens if stream.output_tokens is not None else stream.chunks
        prompt_tokens = stream.prompt_tokens if stream.prompt_tokens is not None else 0
        if stream.cancelled:
            output_tokens = max(output_tokens, len(stream.pieces))
        log.debug(
            "local generation done",
            extra={
                "model": self.model_id,
                "inputTokens": prompt_tokens,
                "outputTokens": output_tokens,
                "cachedTokens": stream.cached_tokens,
                "promptMs": None if stream.prompt_ms is None else round(stream.prompt_ms),
                "ttftMs": None if stream.first_token_s is None else int(stream.first_token_s * 1e3),
                "totalMs": int((time.monotonic() - stream.started) * 1e3),
                "cancelled": stream.cancelled,
            },
        )
        return GenerationResult(
            text=text.strip(),
            provider=self.name,
            model=self.model_id,
            input_tokens=prompt_tokens,
            output_tokens=output_tokens,
            finish_reason="cancelled" if stream.cancelled else stream.finish_reason,
        )

    def _complete(self, prompt: str, request: GenerationRequest, on_delta: OnDelta) -> _Stream:
        server = self._server
        if server is None:  # closed in between
            raise ProviderError("the local model is not loaded", provider=self.name, retryable=True)
        body: dict[str, Any] = {
            "prompt": prompt,
            "stream": True,
            "timings_per_token": True,  # prompt and output token counts on every chunk
            "max_tokens": min(request.max_tokens, self.max_tokens),
            "temperature": request.temperature,
            "top_p": TOP_P,
            "top_k": TOP_K,
            "min_p": MIN_P,
            "repeat_penalty": REPEAT_PENALTY,
            "stop": list(CHATML_STOP),
            "cache_prompt": True,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        stream = _Stream(on_delta)
        slot, pinned = self._slots.acquire(prompt)
        if pinned:
            body["id_slot"] = slot
        held = ""  # what the slot holds after a failure is not known
        try:
            returned = server.handle_completions(body, stream)
            failed = stream.error is not None or (
                isinstance(returned, dict) and "error" in returned
            )
            held = "" if failed else prompt
        except Exception as error:
            raise ProviderError(
                f"local generation failed: {error}", provider=self.name, retryable=True
            ) from error
        finally:
            self._slots.release(slot, held)
        if stream.callback_error is not None:
            raise stream.callback_error
        if isinstance(returned, dict) and "error" in returned and stream.error is None:
            failure = returned["error"]
            stream.error = failure if isinstance(failure, dict) else {"message": str(failure)}
        return stream

    def _runtime_error(self, error: dict[str, Any]) -> ProviderError:
        code = error.get("code")
        message = str(error.get("message") or error)
        client_side = isinstance(code, int) and 400 <= code < 500
        return ProviderError(
            f"local generation failed: {message}", provider=self.name, retryable=not client_side
        )
