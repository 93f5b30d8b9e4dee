"""firebase.json, .firebaserc and firestore.indexes.json against their documented structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import paths
from shared.models.memory import EMBEDDING_DIMENSIONS

ROOT = Path(__file__).resolve().parents[3]


def _json(name: str) -> Any:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


FIREBASE: dict[str, Any] = _json("firebase.json")
INDEXES: dict[str, Any] = _json("firestore.indexes.json")
EMULATOR_PORTS = {
    "auth": 9099,
    "firestore": 8080,
    "pubsub": 8085,
    "functions": 5001,
    "hub": 4400,
    "logging": 4500,
}
COLLECTIONS = {value for name, value in vars(paths).items() if name.isupper() and "/" not in value}


def test_top_level_sections() -> None:
    assert set(FIREBASE) <= {"firestore", "functions", "emulators", "hosting", "storage"}
    assert {"firestore", "functions", "emulators"} <= set(FIREBASE)


def test_firestore_rules_and_indexes_files_exist() -> None:
    firestore = FIREBASE["firestore"]
    assert set(firestore) <= {"rules", "indexes", "database", "location"}
    for key in ("rules", "indexes"):
        assert (ROOT / firestore[key]).is_file(), firestore[key]
    assert "rules_version = '2';" in (ROOT / firestore["rules"]).read_text(encoding="utf-8")


def test_one_python_311_codebase_that_ignores_the_venv() -> None:
    [codebase] = FIREBASE["functions"]
    assert codebase["source"] == "functions"
    assert codebase["codebase"] == "default"
    assert codebase["runtime"] == "python311"
    for ignored in ("venv", ".git", "__pycache__", "*.local", "firebase-debug.log"):
        assert ignored in codebase["ignore"]
    assert (ROOT / codebase["source"] / "main.py").is_file()
    assert (ROOT / codebase["source"] / "requirements.txt").is_file()
    # `shared/` is mirrored into the source before every deploy.
    [predeploy] = codebase["predeploy"]
    assert "emulators/sync_shared.sh" in predeploy
    assert (ROOT / "emulators" / "sync_shared.sh").is_file()


def test_emulators_on_fixed_local_ports_without_ui() -> None:
    emulators = FIREBASE["emulators"]
    assert emulators["singleProjectMode"] is True
    assert emulators["ui"] == {"enabled": False}
    for name, port in EMULATOR_PORTS.items():
        assert emulators[name] == {"host": "127.0.0.1", "port": port}, name
    ports = [v["port"] for v in emulators.values() if isinstance(v, dict) and "port" in v]
    assert len(ports) == len(set(ports))


def test_the_default_project_is_a_demo_project() -> None:
    # Nothing deploys without an explicit --project (cloudbuild.yaml passes _DEPLOY_PROJECT).
    assert _json(".firebaserc")["projects"]["default"].startswith("demo-")


def _check_index_field(field: dict[str, Any]) -> None:
    assert "fieldPath" in field
    modes = {"order", "arrayConfig", "vectorConfig"} & set(field)
    assert len(modes) == 1, field
    if "order" in field:
        assert field["order"] in {"ASCENDING", "DESCENDING"}
    if "arrayConfig" in field:
        assert field["arrayConfig"] == "CONTAINS"
    if "vectorConfig" in field:
        assert field["vectorConfig"] == {"dimension": EMBEDDING_DIMENSIONS, "flat": {}}


def test_indexes_file_shape() -> None:
    assert set(INDEXES) <= {"indexes", "fieldOverrides"}
    for index in INDEXES.get("indexes", []):
        assert set(index) <= {"collectionGroup", "queryScope", "fields", "density", "apiScope"}
        assert index["collectionGroup"] in COLLECTIONS
        assert index["queryScope"] in {"COLLECTION", "COLLECTION_GROUP"}
        vector = any("vectorConfig" in field for field in index["fields"])
        assert vector or len(index["fields"]) >= 2, "single-field indexes are automatic"
        if vector:  # the vector field comes last, after its equality pre-filters
            assert "vectorConfig" in index["fields"][-1]
        for field in index["fields"]:
            _check_index_field(field)


@pytest.mark.parametrize("override", INDEXES.get("fieldOverrides", []))
def test_field_overrides_shape(override: dict[str, Any]) -> None:
    assert set(override) <= {"collectionGroup", "fieldPath", "indexes", "ttl"}
    assert override["collectionGroup"] in COLLECTIONS
    assert override["fieldPath"]
    assert isinstance(override.get("ttl", False), bool)
    for index in override["indexes"]:
        assert index.get("queryScope", "COLLECTION") in {"COLLECTION", "COLLECTION_GROUP"}
        _check_index_field({"fieldPath": override["fieldPath"], **index})


def test_the_branch_path_query_has_its_composite_index() -> None:
    """ai_service's history along a branch: branch == X, createTime < t, newest first."""
    fields = [
        [(f["fieldPath"], f.get("order")) for f in index["fields"]]
        for index in INDEXES["indexes"]
        if index["collectionGroup"] == "messages" and index["queryScope"] == "COLLECTION"
    ]
    assert [("branch", "ASCENDING"), ("createTime", "DESCENDING")] in fields


@pytest.mark.parametrize(
    ("group", "scope", "prefilters"),
    [
        ("memories", "COLLECTION", []),  # recall: one user's memories
        ("notes", "COLLECTION", []),  # search_notes
        ("messages", "COLLECTION_GROUP", ["owner"]),  # searchConversations, owner pre-filtered
    ],
)
def test_every_vector_query_has_its_vector_index(
    group: str, scope: str, prefilters: list[str]
) -> None:
    """Production refuses a find_nearest without a vector index (the emulator does not)."""
    found = [
        [f["fieldPath"] for f in index["fields"]]
        for index in INDEXES["indexes"]
        if index["collectionGroup"] == group
        and index["queryScope"] == scope
        and "vectorConfig" in index["fields"][-1]
    ]
    assert [*prefilters, "embedding"] in found
