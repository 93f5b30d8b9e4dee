"""`config/flags` for ai_service, read through a short cache shared by the worker's threads."""

from __future__ import annotations

import time
from collections.abc import Callable

from google.cloud import firestore

from shared.models.flags import FeatureFlags
from shared.ttl_cache import TTLCache

from .stores.flags import FlagsStore

DEFAULT_MAX_AGE_S = 30.0


class FlagsReader:
    """Reads `config/flags` at most once per `max_age_s` per process; defaults when it is missing.

    Thread-safe: gthread workers share one reader, and concurrent misses share one read. A failed
    read (or a document that does not validate) raises to the caller and caches nothing.
    """

    def __init__(
        self,
        *,
        db: firestore.Client,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_age_s < 0:
            raise ValueError("max_age_s must be >= 0")
        self._store = FlagsStore(db)
        self._max_age_s = max_age_s
        self._cache: TTLCache[FeatureFlags] = TTLCache(clock=clock)

    def get(self, *, max_age_s: float | None = None) -> FeatureFlags:
        """The flags, at most `max_age_s` (default: the reader's) seconds old; 0 reads now."""
        age = self._max_age_s if max_age_s is None else max_age_s
        return self._cache.get(load=self._store.get, max_age_s=age)

    def clear(self) -> None:
        """Forget the cached flags; the next `get` reads Firestore."""
        self._cache.clear()
