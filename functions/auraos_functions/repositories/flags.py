"""`config/flags`, read through a short cache so hot paths do not pay a read per call."""

from __future__ import annotations

import threading
import time

from google.cloud import firestore

from shared import paths
from shared.models.flags import FeatureFlags

_TTL_S = 30.0
_lock = threading.Lock()
_cached: tuple[float, FeatureFlags] | None = None


def read_flags(*, db: firestore.Client, max_age_s: float = _TTL_S) -> FeatureFlags:
    """The current flags, at most `max_age_s` old; defaults when the document is missing."""
    global _cached  # noqa: PLW0603 - a process-wide cache is the point
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < max_age_s:
            return _cached[1]
    snapshot = db.document(paths.FLAGS_DOC).get()
    flags = FeatureFlags.model_validate(snapshot.to_dict() or {})
    with _lock:
        _cached = (now, flags)
    return flags


def clear_flags_cache() -> None:
    global _cached  # noqa: PLW0603
    with _lock:
        _cached = None
