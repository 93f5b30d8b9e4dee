"""Client-chosen ids: one rule in the models and the rules; ids Firestore reserves are refused."""

import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.models.ids import ID_CHARS, RESERVED_ID, ClientId, DocumentName, EventId, Uid

RULES = Path(__file__).resolve().parents[3] / "firestore.rules"
REFUSED_BY_FIRESTORE = ["__turn__", "__conv__", "____", "__abcdefgh__", "a/b", ".", ".."]


@pytest.mark.parametrize("value", ["a", "turn-1_X", "x" * 64, "_a_", "__a", "a__"])
def test_client_ids_within_the_rule_are_accepted(value: str) -> None:
    assert TypeAdapter(ClientId).validate_python(value) == value


@pytest.mark.parametrize("value", [*REFUSED_BY_FIRESTORE, "", "x" * 65, "a b", "é"])
def test_client_ids_firestore_or_the_rules_refuse_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(ClientId).validate_python(value)


@pytest.mark.parametrize(
    "adapter", [TypeAdapter(EventId), TypeAdapter(Uid), TypeAdapter(DocumentName)]
)
@pytest.mark.parametrize("value", REFUSED_BY_FIRESTORE)
def test_every_id_type_refuses_what_firestore_refuses(
    adapter: TypeAdapter[str], value: str
) -> None:
    with pytest.raises(ValidationError):
        adapter.validate_python(value)


def test_uids_are_firebase_uids() -> None:
    adapter = TypeAdapter(Uid)
    assert adapter.validate_python("x" * 128) == "x" * 128
    for value in ("", "x" * 129, "u" * 1_000_000):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_the_rules_use_the_same_id_patterns() -> None:
    rules = RULES.read_text(encoding="utf-8")
    found = re.search(r"function isValidId\(id, minLen, maxLen\) \{(.*?)\}", rules, re.S)
    assert found
    assert f"id.matches('{ID_CHARS}')" in found.group(1)
    assert f"!id.matches('{RESERVED_ID}')" in found.group(1)
