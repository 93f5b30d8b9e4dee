"""read_flags: the 30 s cache over `config/flags`, against a stand-in that records its reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from google.cloud import firestore
from pydantic import ValidationError

from auraos_functions.repositories import flags as flags_repo
from auraos_functions.repositories.flags import clear_flags_cache, read_flags
from shared.models.flags import FeatureFlags


class Snapshot:
    def __init__(self, data: dict[str, Any] | None) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any] | None:
        return self._data


class RecordingDb:
    """Just enough of firestore.Client: `document(path).get().to_dict()`, each read recorded."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data
        self.reads: list[str] = []

    def document(self, path: str) -> RecordingDb.Ref:
        return RecordingDb.Ref(self, path)

    class Ref:
        def __init__(self, db: RecordingDb, path: str) -> None:
            self._db, self._path = db, path

        def get(self) -> Snapshot:
            self._db.reads.append(self._path)
            return Snapshot(self._db.data)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """A controllable clock under the module's cache; the cache is emptied around each test."""
    fake = Clock()
    monkeypatch.setattr(flags_repo._cache, "_clock", fake)
    clear_flags_cache()
    yield fake
    clear_flags_cache()


def _db(data: dict[str, Any] | None) -> tuple[RecordingDb, firestore.Client]:
    fake = RecordingDb(data)
    return fake, cast("firestore.Client", fake)


def test_reads_config_flags_once_per_30_seconds(clock: Clock) -> None:
    fake, db = _db({"chatEnabled": False, "blockedEmailDomains": ["spam.example"]})

    first = read_flags(db=db)
    clock.now += 29
    assert read_flags(db=db) is first
    clock.now += 1
    read_flags(db=db)

    assert first.chat_enabled is False
    assert first.blocked_email_domains == ("spam.example",)
    assert fake.reads == ["config/flags", "config/flags"]


def test_a_missing_document_gives_the_defaults(clock: Clock) -> None:
    _, db = _db(None)
    assert read_flags(db=db) == FeatureFlags()


def test_max_age_zero_reads_now_and_refreshes_the_cache(clock: Clock) -> None:
    fake, db = _db({"chatEnabled": True})
    read_flags(db=db)
    fake.data = {"chatEnabled": False}

    assert read_flags(db=db).chat_enabled is True  # cached
    assert read_flags(db=db, max_age_s=0).chat_enabled is False
    assert read_flags(db=db).chat_enabled is False  # the fresh read is now the cached one
    assert len(fake.reads) == 2


def test_clear_flags_cache_forces_a_read(clock: Clock) -> None:
    fake, db = _db({})
    read_flags(db=db)
    clear_flags_cache()
    read_flags(db=db)
    assert len(fake.reads) == 2


def test_unknown_fields_are_ignored_and_bad_values_raise_uncached(clock: Clock) -> None:
    fake, db = _db({"chatEnabled": False, "writtenByNewerCode": 1})
    assert read_flags(db=db).chat_enabled is False

    fake.data = {"chatEnabled": "sometimes"}
    clear_flags_cache()
    with pytest.raises(ValidationError):
        read_flags(db=db)
    fake.data = {"chatEnabled": True}
    assert read_flags(db=db).chat_enabled is True
    assert len(fake.reads) == 3
