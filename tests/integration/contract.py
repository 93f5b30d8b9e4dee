"""The contract test's harvest: every document a test leaves in the Firestore emulator.

`harvest()` runs before each test clears the emulator (tests/integration/conftest.py): it
reads every document (runQuery over all descendants, as the fuzz suite's snapshot does) and
checks each against the shared model of its path (shared/contract.py). tests/integration/
test_zz_contract.py, collected last, fails on what was found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from shared.contract import Violation, pattern_for, unmodelled_fields, violation
from tools.local_stack import PROJECT_ID

_PREFIX = f"projects/{PROJECT_ID}/databases/(default)/documents/"


_SCALARS: dict[str, Callable[[Any], Any]] = {
    "nullValue": lambda _: None,
    "integerValue": int,
    "doubleValue": float,
    "timestampValue": lambda raw: datetime.fromisoformat(str(raw).replace("Z", "+00:00")),
}


def decode_value(value: Mapping[str, Any]) -> Any:
    """A Firestore REST `Value` as the Python client returns it (a vector as a plain map)."""
    kind, raw = next(iter(value.items()))
    if kind == "mapValue":
        return decode_fields(raw.get("fields", {}))
    if kind == "arrayValue":
        return [decode_value(item) for item in raw.get("values", [])]
    convert = _SCALARS.get(kind)
    return convert(raw) if convert else raw  # string, boolean, bytes, reference, geo point


def decode_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: decode_value(item) for key, item in fields.items()}


@dataclass
class Harvest:
    """What the harvests found so far in this session."""

    documents: Counter[str] = field(default_factory=Counter)  # pattern (or path) -> documents
    violations: dict[str, Violation] = field(default_factory=dict)  # first one per path
    unmodelled: dict[str, set[str]] = field(default_factory=dict)  # pattern -> field names
    tests: int = 0

    def check(self, path: str, data: Mapping[str, Any]) -> None:
        pattern = pattern_for(path) or path
        self.documents[pattern] += 1
        found = violation(path, data)
        if found is not None:
            self.violations.setdefault(path, found)
        extra = unmodelled_fields(path, data)
        if extra:
            self.unmodelled.setdefault(pattern, set()).update(extra)


SESSION = Harvest()


def stored_documents(firestore_base: str) -> dict[str, dict[str, Any]]:
    """Every document in the emulator's default database, by path."""
    response = requests.post(
        f"{firestore_base}/v1/{_PREFIX.rstrip('/')}:runQuery",
        json={"structuredQuery": {"from": [{"allDescendants": True}]}},
        headers={"Authorization": "Bearer owner"},
        timeout=60,
    )
    response.raise_for_status()
    return {
        row["document"]["name"].removeprefix(_PREFIX): decode_fields(
            row["document"].get("fields", {})
        )
        for row in response.json()
        if "document" in row
    }


def harvest(firestore_base: str, into: Harvest = SESSION) -> None:
    """Check every stored document against the contract; a failed read is recorded, not raised
    (the test about to run is not the one to fail for it)."""
    try:
        documents = stored_documents(firestore_base)
    except requests.RequestException as error:
        into.violations.setdefault("<harvest>", Violation("<harvest>", f"read failed: {error}"))
        return
    into.tests += 1
    for path, data in documents.items():
        into.check(path, data)
