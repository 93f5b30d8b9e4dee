"""The contract test (issue #14): every document the integration suite left in the Firestore
emulator is read by the shared model of its path (shared/contract.py). Named to be collected
last; the documents are harvested before each test clears the emulator (conftest.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .contract import SESSION, harvest

# What was read, by pattern, and the fields no model declares: for reviewing drift.
REPORT = Path(__file__).resolve().parents[2] / ".emulators" / "logs" / "contract.json"


def test_every_stored_document_is_read_by_its_shared_model() -> None:
    harvest("http://" + os.environ["FIRESTORE_EMULATOR_HOST"])  # whatever is there now, too
    if not SESSION.documents:
        pytest.skip("nothing harvested: run this module after (some of) the integration suite")

    report = {
        "harvests": SESSION.tests,
        "documents": dict(sorted(SESSION.documents.items())),
        "unmodelled": {p: sorted(names) for p, names in sorted(SESSION.unmodelled.items())},
        "violations": [str(v) for v in SESSION.violations.values()],
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")

    assert not SESSION.violations, (
        f"{len(SESSION.violations)} stored documents break the contract (all: {REPORT}):\n"
        + "\n".join(str(v) for v in list(SESSION.violations.values())[:40])
    )
