"""FlagsReader: ai_service's cached view of `config/flags`, against a recording stand-in."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest
from google.cloud import firestore

from ai_service.flags import FlagsReader
from shared.models.flags import FeatureFlags


class Snapshot:
    def __init__(self, data: dict[str, Any] | None) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any] | None:
        return self._data


class RecordingDb:
    """`document(path).get().to_dict()`; each read recorded, optionally held until released."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data
        self.reads: list[str] = []
        self.hold: threading.Event | None = None
        self.reading = threading.Event()

    def document(self, path: str) -> RecordingDb.Ref:
        return RecordingDb.Ref(self, path)

    class Ref:
        def __init__(self, db: RecordingDb, path: str) -> None:
            self._db, self._path = db, path

        def get(self) -> Snapshot:
            self._db.reads.append(self._path)
            self._db.reading.set()
            if self._db.hold is not None:
                assert self._db.hold.wait(5)
            return Snapshot(self._db.data)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def _reader(
    data: dict[str, Any] | None, *, max_age_s: float = 30
) -> tuple[RecordingDb, Clock, FlagsReader]:
    fake, clock = RecordingDb(data), Clock()
    reader = FlagsReader(db=cast("firestore.Client", fake), max_age_s=max_age_s, clock=clock)
    return fake, clock, reader


def test_the_flags_are_read_once_per_max_age() -> None:
    fake, clock, reader = _reader({"recommendationsEnabled": False, "extra": {"beta": True}})

    flags = reader.get()
    clock.now += 29.5
    assert reader.get() is flags
    clock.now += 0.5
    reader.get()

    assert flags.recommendations_enabled is False
    assert flags.extra == {"beta": True}
    assert fake.reads == ["config/flags", "config/flags"]


def test_defaults_when_the_document_is_missing() -> None:
    _, _, reader = _reader(None)
    assert reader.get() == FeatureFlags()


def test_a_call_may_ask_for_fresher_flags_and_clear_forgets() -> None:
    fake, _, reader = _reader({"chatEnabled": True})
    reader.get()
    fake.data = {"chatEnabled": False}

    assert reader.get().chat_enabled is True
    assert reader.get(max_age_s=0).chat_enabled is False
    reader.clear()
    reader.get()
    assert len(fake.reads) == 3


def test_a_negative_max_age_is_refused() -> None:
    with pytest.raises(ValueError, match="max_age_s"):
        _reader({}, max_age_s=-1)


def test_worker_threads_share_one_read() -> None:
    fake, _, reader = _reader({"chatEnabled": False})
    fake.hold = threading.Event()
    results: list[FeatureFlags] = []

    threads = [
        threading.Thread(target=lambda: results.append(reader.get()), daemon=True) for _ in range(6)
    ]
    threads[0].start()
    assert fake.reading.wait(5)
    for thread in threads[1:]:
        thread.start()
    fake.hold.set()
    for thread in threads:
        thread.join(5)

    assert len(results) == 6
    assert all(flags.chat_enabled is False for flags in results)
    assert fake.reads == ["config/flags"]
