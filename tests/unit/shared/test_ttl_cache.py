"""TTLCache: age-based reloads, max_age 0, errors, clear, and one load at a time across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from shared.ttl_cache import TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Returns 1, 2, 3, ... and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_reused_until_it_is_max_age_old() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)

    assert cache.get(load=load, max_age_s=30) == 1
    clock.now += 29.9
    assert cache.get(load=load, max_age_s=30) == 1
    assert cache.age_s() == pytest.approx(29.9)
    clock.now += 0.1
    assert cache.get(load=load, max_age_s=30) == 2
    assert load.calls == 2


def test_each_call_chooses_its_own_max_age() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)
    cache.get(load=load, max_age_s=30)
    clock.now += 5

    assert cache.get(load=load, max_age_s=60) == 1
    assert cache.get(load=load, max_age_s=5) == 2
    # The fresh read refreshed the cache for everyone.
    assert cache.get(load=load, max_age_s=30) == 2


def test_max_age_zero_always_loads() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)

    assert [cache.get(load=load, max_age_s=0) for _ in range(3)] == [1, 2, 3]


def test_negative_max_age_is_refused() -> None:
    cache: TTLCache[int] = TTLCache()
    with pytest.raises(ValueError, match="max_age_s"):
        cache.get(load=Loader(), max_age_s=-1)


def test_a_failed_load_raises_and_caches_nothing() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)

    def broken() -> int:
        raise OSError("backend down")

    with pytest.raises(OSError, match="backend down"):
        cache.get(load=broken, max_age_s=30)
    assert cache.age_s() is None
    assert cache.get(load=load, max_age_s=30) == 1


def test_a_failed_reload_keeps_the_old_value_for_callers_that_accept_it() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)
    cache.get(load=load, max_age_s=30)
    clock.now += 40

    def broken() -> int:
        raise OSError("backend down")

    with pytest.raises(OSError, match="backend down"):
        cache.get(load=broken, max_age_s=30)
    assert cache.get(load=broken, max_age_s=60) == 1


def test_clear_forces_a_load() -> None:
    clock, load = Clock(), Loader()
    cache: TTLCache[int] = TTLCache(clock=clock)
    cache.get(load=load, max_age_s=30)

    cache.clear()

    assert cache.age_s() is None
    assert cache.get(load=load, max_age_s=30) == 2


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_clear_during_a_load_keeps_that_load_out_of_the_cache() -> None:
    cache: TTLCache[str] = TTLCache()
    entered, release = threading.Event(), threading.Event()
    results: list[str] = []

    def slow() -> str:
        entered.set()
        assert release.wait(5)
        return "before-clear"

    thread = _in_thread(lambda: results.append(cache.get(load=slow, max_age_s=30)))
    assert entered.wait(5)
    cache.clear()
    release.set()
    thread.join(5)

    assert results == ["before-clear"]  # the caller still gets what it loaded
    assert cache.get(load=lambda: "after-clear", max_age_s=30) == "after-clear"


def test_concurrent_callers_share_one_load() -> None:
    cache: TTLCache[int] = TTLCache()
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []
    results: list[int] = []
    lock = threading.Lock()

    def slow() -> int:
        calls.append(1)
        entered.set()
        assert release.wait(5)
        return 7

    def caller() -> None:
        value = cache.get(load=slow, max_age_s=30)
        with lock:
            results.append(value)

    first = _in_thread(caller)
    assert entered.wait(5)
    others = [_in_thread(caller) for _ in range(7)]
    release.set()
    for thread in [first, *others]:
        thread.join(5)

    assert results == [7] * 8
    assert len(calls) == 1


def test_a_hit_does_not_wait_for_a_reload_in_flight() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(clock=clock)
    cache.get(load=lambda: "old", max_age_s=30)
    clock.now += 10
    entered, release = threading.Event(), threading.Event()
    results: list[str] = []

    def slow() -> str:
        entered.set()
        assert release.wait(5)
        return "new"

    thread = _in_thread(lambda: results.append(cache.get(load=slow, max_age_s=5)))
    assert entered.wait(5)
    try:
        # A caller content with a 30 s old value is answered while the reload is blocked.
        assert cache.get(load=lambda: "unexpected", max_age_s=30) == "old"
    finally:
        release.set()
        thread.join(5)
    assert results == ["new"]
    assert cache.get(load=lambda: "unexpected", max_age_s=30) == "new"
