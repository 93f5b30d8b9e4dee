"""The contract table (shared/contract.py) and the harvest the contract test runs on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared import paths
from shared.contract import PATTERNS, model_for, unmodelled_fields, violation
from shared.models.assistant import Reminder
from shared.models.chat import ChatTurn
from shared.models.recommendations import Recommendations
from shared.models.records import CounterShard, DeletionJob, ProcessedEvent, RateLimits
from shared.models.users import UserProfile
from tests.integration.contract import Harvest, decode_fields

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _recommendations(source: str) -> dict[str, Any]:
    """recommendations/{uid} as ai_service/pipeline/analytics.py writes it."""
    item = {"itemId": "42", "title": "Dune", "authors": "Frank Herbert", "score": 0.9}
    return {
        "items": [{**item, "source": source}],
        "likedItems": [42],
        "interests": ["space opera"],
        "modelVersion": "als-1",
        "updatedAt": T0,
        "interactionsSeen": 1,
    }


@pytest.mark.parametrize(
    ("path", "model"),
    [
        (paths.user("u1"), UserProfile),
        (paths.turn("u1", "c1", "t1"), ChatTurn),
        (paths.reminder("u1", "r1"), Reminder),
        (paths.recommendations("u1"), Recommendations),
        (paths.counter_shard("events-2026-01-01", 3), CounterShard),
        (paths.rate_limit("u1"), RateLimits),
        (paths.processed_event("analytics-e1"), ProcessedEvent),
        (f"{paths.DELETION_JOBS}/abc", DeletionJob),
    ],
)
def test_a_path_of_shared_paths_finds_its_model(path: str, model: type[Any]) -> None:
    assert model_for(path) is model


def test_every_pattern_is_a_document_path() -> None:
    assert all(len(pattern.split("/")) % 2 == 0 for pattern, _ in PATTERNS)


def test_a_stored_document_its_model_reads_is_no_violation() -> None:
    assert violation(paths.recommendations("u1"), _recommendations("similar")) is None


def test_a_drifting_document_is_a_violation_with_its_path_and_error() -> None:
    found = violation(paths.recommendations("u1"), _recommendations("similar_items"))

    assert found is not None
    assert found.path == "recommendations/u1"
    assert "Recommendations refuses it: items.0.source" in found.error
    assert "'similar_items'" in found.error


def test_a_document_without_a_model_is_a_violation() -> None:
    found = violation("scratch/x", {"a": 1})

    assert found is not None
    assert "no shared model" in found.error


def test_fields_no_model_declares_are_listed_not_refused() -> None:
    data = _recommendations("similar")

    assert unmodelled_fields(paths.recommendations("u1"), data) == {"likedItems", "interests"}


def test_the_harvest_fails_a_drifting_document_read_from_the_emulator() -> None:
    rest_fields = {
        "items": {
            "arrayValue": {
                "values": [
                    {
                        "mapValue": {
                            "fields": {
                                "itemId": {"stringValue": "42"},
                                "title": {"stringValue": "Dune"},
                                "score": {"doubleValue": 0.9},
                                "source": {"stringValue": "similar_items"},
                            }
                        }
                    }
                ]
            }
        },
        "updatedAt": {"timestampValue": "2026-01-01T00:00:00.123456789Z"},
        "interactionsSeen": {"integerValue": "1"},
    }
    harvest = Harvest()

    harvest.check("recommendations/u1", decode_fields(rest_fields))
    harvest.check(paths.user("u1"), {"createdAt": T0, "updatedAt": T0, "timeZone": "Mars/Base"})

    assert list(harvest.violations) == ["recommendations/u1"]
    assert harvest.documents == {"recommendations/{uid}": 1, "users/{uid}": 1}


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"uid": "u1", "state": "PENDING", "requestedAt": T0, "updatedAt": T0, "done": []}, True),
        ({"state": "DONE", "requestedAt": T0, "updatedAt": T0, "completedAt": T0}, True),
        ({"uid": "u1", "state": "DONE", "requestedAt": T0, "updatedAt": T0}, False),
        (
            {"uid": "u1", "state": "DELETING", "requestedAt": T0, "updatedAt": T0, "done": ["x"]},
            False,
        ),
    ],
    ids=["pending", "done", "done-with-uid", "unknown-step"],
)
def test_a_deletion_job_is_read_as_the_privacy_service_writes_it(
    data: dict[str, Any], ok: bool
) -> None:
    assert (violation(f"{paths.DELETION_JOBS}/abc", data) is None) is ok


def test_rate_limit_buckets_are_read_by_action_name() -> None:
    stored = {
        "chat": {"tokens": 2.5, "updatedAt": T0},
        "callable:addTask": {"tokens": 0.0, "updatedAt": T0},
        "expireAt": T0,
    }

    read = RateLimits.from_document(stored)

    assert set(read.buckets) == {"chat", "callable:addTask"}
    assert violation(paths.rate_limit("u1"), {"chat": {"tokens": -1, "updatedAt": T0}}) is not None
