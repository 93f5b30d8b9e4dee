"""Reading everything one user owns for the GDPR export (the places are in `user_data`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference
from google.cloud.firestore_v1.vector import Vector

from shared import paths
from shared.models.export import DataExport

from . import user_data


def _json_ready(value: Any) -> Any:
    """Firestore values as JSON: timestamps as ISO strings, references as paths, vectors as
    lists of numbers."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return _scalar_ready(value)


def _scalar_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, firestore.DocumentReference):
        return value.path
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Vector):  # a memory's embedding: its numbers
        return list(value)
    return value


def _subtree(ref: DocumentReference) -> dict[str, Any]:
    """A document and all its subcollections as nested dicts."""
    snapshot = ref.get()
    node: dict[str, Any] = {"id": ref.id, **(snapshot.to_dict() or {})}
    for collection in ref.collections():
        node[collection.id] = [_subtree(doc.reference) for doc in collection.stream()]
    return node


def _documents(db: firestore.Client, collection: str, field: str, uid: str) -> list[dict[str, Any]]:
    return [
        {"id": doc.id, **(doc.to_dict() or {})}
        for doc in user_data.documents_where(db=db, collection=collection, field=field, value=uid)
    ]


def export_user_data(*, db: firestore.Client, uid: str, now: datetime) -> DataExport:
    """Every document that holds the user's uid: the account's whole tree (with each of
    paths.ASSISTANT_COLLECTIONS as a list, possibly empty), then what lies outside it."""
    account = _subtree(db.document(paths.user(uid)))
    for collection in paths.ASSISTANT_COLLECTIONS:  # always there, empty or not
        account.setdefault(collection, [])
    keyed = {
        collection: db.document(f"{collection}/{uid}").get().to_dict()
        for collection in user_data.KEYED_BY_UID
    }
    queried = {
        query.export_as: _documents(db, query.collection, query.field, uid)
        for query in user_data.UID_QUERIES
    }
    audit_log = [
        entry
        for field in user_data.AUDIT_FIELDS
        for entry in _documents(db, paths.AUDIT_LOGS, field, uid)
    ]
    return DataExport(
        uid=uid,
        exported_at=now,
        account=_json_ready(account),
        keyed=_json_ready(keyed),
        queried=_json_ready(queried),
        audit_log=_json_ready(audit_log),
    )
