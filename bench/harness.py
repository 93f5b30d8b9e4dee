"""Shared helpers of the benchmarks: private emulators, Firestore op counting, stats, machine info.

The emulators started here listen on free ports picked by the OS, never on the ports of the
Firebase emulator suite (4400, 4500, 5001, 8080-8085, 9099), so a benchmark can run next to it.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

ROOT = Path(__file__).resolve().parent.parent
FIRESTORE_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
RESERVED_PORTS = frozenset({4400, 4500, 5001, 8080, 8081, 8082, 8083, 8084, 8085, 9099})


# -- statistics -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "load_avg_1m": round(load1, 2),
        "load_avg_5m": round(load5, 2),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
    }


# -- emulators ------------------------------------------------------------------------------------


def free_port() -> int:
    """A port the OS reports free now (bound to port 0), never one of the suite's ports."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def sdk_root() -> Path:
    """The Google Cloud SDK's root (where `platform/*-emulator` live)."""
    cached = ROOT / ".emulators" / "sdk-root.cache"
    if cached.is_file():
        root = Path(cached.read_text(encoding="utf-8").split()[0])
        if (root / "platform").is_dir():
            return root
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError("the Google Cloud SDK (gcloud) is not installed")
    out = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Path(out.stdout.strip())


def java_binary() -> Path:
    """Java >= 21: the project's `.emulators/bin/java` (emulators/setup.sh), else PATH."""
    local = ROOT / ".emulators" / "bin" / "java"
    if local.exists():
        return local.resolve()
    found = shutil.which("java")
    if found is None:
        raise RuntimeError("no Java: run `bash emulators/setup.sh`")
    return Path(found).resolve()


@dataclass
class Emulator:
    name: str
    host: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def stop(self) -> None:
        """Stop the process group this emulator was started in (ours alone)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def _wait_ready(name: str, host: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {name} emulator exited with {process.returncode}")
        try:
            if requests.get(f"http://{host}/", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the {name} emulator did not start in {timeout_s:.0f}s")


def _start(name: str, argv: list[str], port: int, env: dict[str, str], logs: Path) -> Emulator:
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"{name}-{port}.log").open("wb")
    process = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    emulator = Emulator(name=name, host=f"127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_ready(name, emulator.host, process, timeout_s=90)
    except BaseException:
        emulator.stop()
        raise
    return emulator


@contextmanager
def private_emulators(logs: Path) -> Iterator[tuple[Emulator, Emulator]]:
    """(firestore, pubsub) emulators of the Cloud SDK on fresh free ports; stopped on exit."""
    root = sdk_root()
    java = java_binary()
    env = {**os.environ, "JAVA_HOME": str(java.parent.parent), "JAVA": str(java)}
    env["PATH"] = f"{java.parent}{os.pathsep}{env.get('PATH', '')}"
    jar = root / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    port = free_port()
    firestore = _start(
        "firestore",
        [
            str(java),
            "-Duser.language=en",
            "-cp",
            str(jar),
            FIRESTORE_MAIN_CLASS,
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        port,
        env,
        logs,
    )
    try:
        port = free_port()
        pubsub = _start(
            "pubsub",
            [
                str(root / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"),
                "--host=127.0.0.1",
                f"--port={port}",
            ],
            port,
            env,
            logs,
        )
        try:
            yield firestore, pubsub
        finally:
            pubsub.stop()
    finally:
        firestore.stop()


# -- Firestore op counting ------------------------------------------------------------------------


@dataclass
class OpCounter:
    """Billable Firestore reads and writes, counted under the phase set while they happen.

    Counted at the GAPIC layer every high-level API goes through (document get, get_all,
    transaction get, query get/stream, batch and transaction commits, update with a precondition):
    a read per document returned by a lookup (found or missing), a query costs the documents it
    returns and at least one, an aggregation one; a write per `Write` in a commit. Operations
    outside a phase (seeding, the benchmark's own reads) are not counted. Real-time listeners use
    the Listen stream, which is not counted here.
    """

    phase: str | None = None
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, n: int = 1) -> None:
        phase = self.phase
        if phase is None or n == 0:
            return
        with self._lock:
            self.counts[(phase, kind)] += n

    @contextmanager
    def under(self, phase: str | None) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    def take(self) -> Counter[tuple[str, str]]:
        """The counts so far, which are then reset."""
        with self._lock:
            taken, self.counts = self.counts, Counter()
        return taken


class _CountingIterator:
    """Wraps a server stream: counts its responses as they are consumed, delegates the rest."""

    def __init__(self, inner: Any, on_response: Callable[[Any], None]) -> None:
        self._inner = inner
        self._on_response = on_response

    def __iter__(self) -> _CountingIterator:
        return self

    def __next__(self) -> Any:
        response = next(self._inner)
        self._on_response(response)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _has(message: Any, name: str) -> bool:
    pb = getattr(message, "_pb", message)
    return bool(pb.HasField(name))


def _commit_writes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    request = kwargs.get("request", args[0] if args else None)
    if request is None:
        return len(kwargs.get("writes") or ())
    writes = request.get("writes") if isinstance(request, dict) else request.writes
    return len(writes or ())


def install_counter(counter: OpCounter) -> Callable[[], None]:
    """Patch the Firestore GAPIC client class to count into `counter`; returns the undo."""
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    originals: dict[str, Any] = {
        name: getattr(FirestoreClient, name)
        for name in ("batch_get_documents", "run_query", "run_aggregation_query", "commit")
    }

    def on_lookup(response: Any) -> None:
        if _has(response, "found") or _has(response, "missing"):
            counter.add("reads")

    def batch_get_documents(self: Any, *args: Any, **kwargs: Any) -> Any:
        inner = originals["batch_get_documents"](self, *args, **kwargs)
        return _CountingIterator(inner, on_lookup)

    def run_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        state = {"documents": 0}

        def on_result(response: Any) -> None:
            if _has(response, "document"):
                state["documents"] += 1
                if state["documents"] > 1:  # the first one is the query's minimum, counted below
                    counter.add("reads")

        counter.add("reads")  # a query is billed at least one read, even when it returns nothing
        counter.add("queries")
        return _CountingIterator(originals["run_query"](self, *args, **kwargs), on_result)

    def run_aggregation_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter.add("reads")
        counter.add("queries")
        return originals["run_aggregation_query"](self, *args, **kwargs)

    def commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        response = originals["commit"](self, *args, **kwargs)  # a failed commit writes nothing
        counter.add("writes", _commit_writes(args, kwargs))
        counter.add("commits")
        return response

    patched: dict[str, Any] = {
        "batch_get_documents": batch_get_documents,
        "run_query": run_query,
        "run_aggregation_query": run_aggregation_query,
        "commit": commit,
    }
    for name, function in patched.items():
        setattr(FirestoreClient, name, function)

    def undo() -> None:
        for name, function in originals.items():
            setattr(FirestoreClient, name, function)

    return undo


def self_check_counter(db: Any, counter: OpCounter, prefix: str) -> None:
    """Prove the counter on known operations; raises AssertionError naming the first mismatch."""
    from google.cloud import firestore

    def expect(label: str, reads: int, writes: int, action: Callable[[], object]) -> None:
        counter.take()
        with counter.under("check"):
            action()
        got = counter.take()
        seen = (got[("check", "reads")], got[("check", "writes")])
        if seen != (reads, writes):
            raise AssertionError(f"op counter: {label}: expected {(reads, writes)}, got {seen}")

    coll = db.collection(f"{prefix}_check")
    a, b, c = coll.document("a"), coll.document("b"), coll.document("c")
    expect("set", 0, 1, lambda: a.set({"n": 1}))
    expect("get", 1, 0, a.get)
    expect("get missing", 1, 0, coll.document("nope").get)

    def batch_two() -> None:
        batch = db.batch()
        batch.set(b, {"n": 2})
        batch.set(c, {"n": 3})
        batch.commit()

    expect("batch of 2", 0, 2, batch_two)
    expect("get_all of 2", 2, 0, lambda: list(db.get_all([a, b])))
    expect("query of 3", 3, 0, lambda: coll.limit(10).get())
    expect("stream of 2", 2, 0, lambda: list(coll.limit(2).stream()))
    expect("empty query", 1, 0, lambda: db.collection(f"{prefix}_empty").limit(5).get())
    snapshot = a.get()
    expect(
        "update with precondition",
        0,
        1,
        lambda: a.update(
            {"n": firestore.Increment(1)},
            option=db.write_option(last_update_time=snapshot.update_time),
        ),
    )
    expect(
        "merge set with transforms", 0, 1, lambda: a.set({"m": firestore.Increment(1)}, merge=True)
    )

    @firestore.transactional
    def read_then_write(transaction: Any) -> None:
        data = a.get(transaction=transaction).to_dict() or {}
        transaction.update(a, {"n": int(data.get("n", 0)) + 1})

    expect("transaction", 1, 1, lambda: read_then_write(db.transaction()))
    counter.take()
