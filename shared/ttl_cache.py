"""A one-value cache with a maximum age, safe across threads; the caller supplies the loader.

No I/O here: `load` does the reading (a Firestore document, a certificate set), so functions and
ai_service share the caching rules without sharing a client library.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    loaded_at: float  # clock reading taken just before the load began
    value: T


class TTLCache(Generic[T]):
    """Holds the last loaded value and reloads it once it is `max_age_s` old.

    One load runs at a time: callers that find the value stale while another thread is loading
    wait and take that thread's result instead of issuing their own read. Hits never wait for a
    load. A failing load raises to its caller and caches nothing; `clear()` makes the next call
    load, and a load already in flight when `clear()` runs does not repopulate the cache.
    `max_age_s=0` always loads, unless a load that started after the call finished meanwhile.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()  # guards _entry and _generation
        self._load_lock = threading.Lock()  # one load at a time
        self._entry: _Entry[T] | None = None
        self._generation = 0

    def get(self, *, load: Callable[[], T], max_age_s: float) -> T:
        """The cached value if younger than `max_age_s` seconds, else the result of `load()`."""
        if max_age_s < 0:
            raise ValueError("max_age_s must be >= 0")
        asked = self._clock()
        with self._lock:
            entry = self._fresh(asked, max_age_s)
        if entry is not None:
            return entry.value
        with self._load_lock:
            with self._lock:  # another thread may have loaded while this one waited
                entry = self._fresh(asked, max_age_s)
                generation = self._generation
            if entry is not None:
                return entry.value
            started = self._clock()
            value = load()
            with self._lock:
                if generation == self._generation:
                    self._entry = _Entry(loaded_at=started, value=value)
            return value

    def age_s(self) -> float | None:
        """Seconds since the cached value's load began, or None when empty."""
        with self._lock:
            return None if self._entry is None else self._clock() - self._entry.loaded_at

    def clear(self) -> None:
        """Forget the value; the next `get` loads."""
        with self._lock:
            self._entry = None
            self._generation += 1

    def _fresh(self, asked: float, max_age_s: float) -> _Entry[T] | None:
        entry = self._entry
        if entry is not None and asked - entry.loaded_at < max_age_s:
            return entry
        return None
