"""`config/flags`, read through a short cache so hot paths do not pay a read per call."""

from __future__ import annotations

from google.cloud import firestore

from shared import paths
from shared.models.flags import FeatureFlags
from shared.ttl_cache import TTLCache

DEFAULT_MAX_AGE_S = 30.0

# Process-wide: one function instance serves many requests, and flags are the same for all.
_cache: TTLCache[FeatureFlags] = TTLCache()


def read_flags(*, db: firestore.Client, max_age_s: float = DEFAULT_MAX_AGE_S) -> FeatureFlags:
    """The current flags, at most `max_age_s` old (0: read now); defaults for a missing document.

    Concurrent callers share one read. A failed read (or a document that does not validate)
    raises and caches nothing.
    """
    return _cache.get(load=lambda: load_flags(db=db), max_age_s=max_age_s)


def load_flags(*, db: firestore.Client) -> FeatureFlags:
    """One uncached read of `config/flags`."""
    snapshot = db.document(paths.FLAGS_DOC).get()
    return FeatureFlags.model_validate(snapshot.to_dict() or {})


def clear_flags_cache() -> None:
    """Forget the cached flags (tests, and after an operator write in the same process)."""
    _cache.clear()
