"""Only the store packages touch Firestore: everything else goes through them, in shared models.

The scan reads the source as Python (not text), so a docstring or comment naming a call does not
count and an aliased client (`client.collection(...)`) does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The packages allowed to call Firestore, and what is scanned.
STORES = (
    ROOT / "functions" / "auraos_functions" / "repositories",
    ROOT / "ai_service" / "stores",
)
SCANNED = (
    ROOT / "shared",
    ROOT / "functions" / "main.py",
    ROOT / "functions" / "auraos_functions",
    ROOT / "ai_service",
)
# Firestore's entry points: building a reference, a query, a transaction or a batch, and
# turning a snapshot into a raw dict.
FIRESTORE_CALLS = frozenset(
    {
        "collection",
        "collection_group",
        "collections",
        "document",
        "transaction",
        "batch",
        "bulk_writer",
        "get_all",
        "recursive_delete",
        "find_nearest",
        "to_dict",
    }
)


def firestore_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of every call of a Firestore entry point in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FIRESTORE_CALLS
        ):
            found.append((node.lineno, node.func.attr))
    return found


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for target in SCANNED:
        files.extend([target] if target.is_file() else sorted(target.rglob("*.py")))
    return [
        path
        for path in files
        if not any(path.is_relative_to(store) for store in STORES) and "venv" not in path.parts
    ]


def test_nothing_outside_the_stores_calls_firestore() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} .{method}()"
        for path in _scanned_files()
        for line, method in firestore_calls(path.read_text())
    ]
    assert offenders == [], "move these into a store:\n" + "\n".join(offenders)


def test_the_scan_covers_both_services() -> None:
    names = {path.relative_to(ROOT).parts[0] for path in _scanned_files()}
    assert names == {"shared", "functions", "ai_service"}
    assert len(_scanned_files()) > 50


@pytest.mark.parametrize(
    "snippet",
    [
        "db.collection('users').stream()",
        "client.document(path).get().to_dict()",
        "x = self._db.transaction()",
        "for doc in db.collection_group('messages').where('a', '==', 1).stream(): pass",
        "snapshot.to_dict() or {}",
        "db.batch().commit()",
    ],
)
def test_the_scan_finds_what_it_forbids(snippet: str) -> None:
    assert firestore_calls(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '"""Only stores call db.collection(...)."""',
        "# db.document(path).to_dict()",
        "model.to_document()",
        "paths.conversation(uid, cid)",
    ],
)
def test_the_scan_ignores_text_and_other_calls(snippet: str) -> None:
    assert firestore_calls(snippet) == []
