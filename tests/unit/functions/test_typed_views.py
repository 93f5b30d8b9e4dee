"""The typed views handlers serialise: the data export's JSON and a trigger's turn state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from auraos_functions.repositories.turns import turn_state
from shared.models.chat import TurnState
from shared.models.export import DataExport

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class _Snapshot:
    def __init__(self, data: dict[str, Any] | None) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any] | None:
        return self._data


def _snapshot(data: dict[str, Any] | None) -> DocumentSnapshot[DocumentReference]:
    return cast(DocumentSnapshot[DocumentReference], _Snapshot(data))


def test_the_export_answers_one_key_per_collection_beside_the_account() -> None:
    export = DataExport(
        uid="u1",
        exported_at=T0,
        account={"id": "u1", "tasks": []},
        keyed={"recommendations": None},
        queried={"analyticsEvents": [{"id": "e1"}], "securityAlerts": []},
        audit_log=[{"id": "a1"}],
    )

    assert export.to_response() == {
        "uid": "u1",
        "exportedAt": "2026-12-02T12:00:00+00:00",
        "account": {"id": "u1", "tasks": []},
        "recommendations": None,
        "analyticsEvents": [{"id": "e1"}],
        "securityAlerts": [],
        "auditLog": [{"id": "a1"}],
    }


def test_a_snapshot_s_turn_state_is_read_and_anything_else_is_none() -> None:
    assert turn_state(_snapshot({"status": {"state": "RETRY"}})) is TurnState.RETRY
    assert turn_state(_snapshot({"status": {"state": "LOST"}})) is None
    assert turn_state(_snapshot({"prompt": "hi"})) is None
    assert turn_state(_snapshot(None)) is None
    assert turn_state(None) is None
