"""The user's tasks, notes and notifications (`users/{uid}/{collection}/{id}`), by id.

Each change is a transaction that reads the item first, so a missing item (never there, or
another user's id: it is looked up under the caller's uid only) is None, never a blind write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from google.cloud import firestore

from shared import paths
from shared.models.base import Document

M = TypeVar("M", bound=Document)


def add_item(*, db: firestore.Client, uid: str, collection: str, item: Document) -> str:
    """A new item of one of the user's ASSISTANT_COLLECTIONS under a generated id."""
    paths.user_item(uid, collection, "x")  # refuses a collection that is not one of them
    ref = db.collection(f"{paths.user(uid)}/{collection}").document()
    ref.create(item.to_document())
    return str(ref.id)


def update_item(
    *,
    db: firestore.Client,
    uid: str,
    collection: str,
    item_id: str,
    model: type[M],
    changes: Callable[[M], Mapping[str, Any]],
) -> M | None:
    """Apply `changes(item)` (camelCase fields; may raise to refuse) in one transaction; the
    item as it is afterwards, or None when the user has no such item. No change, no write."""
    ref = db.document(paths.user_item(uid, collection, item_id))

    @firestore.transactional
    def update(transaction: firestore.Transaction) -> M | None:
        data = ref.get(transaction=transaction).to_dict()
        if data is None:
            return None
        fields = dict(changes(model.from_document(data)))
        if fields:
            transaction.update(ref, fields)
        return model.from_document({**data, **fields})

    result: M | None = update(db.transaction())
    return result


def delete_item(*, db: firestore.Client, uid: str, collection: str, item_id: str) -> bool:
    """Delete the item; False when the user has no such item."""
    ref = db.document(paths.user_item(uid, collection, item_id))

    @firestore.transactional
    def delete(transaction: firestore.Transaction) -> bool:
        if not ref.get(transaction=transaction).exists:
            return False
        transaction.delete(ref)
        return True

    result: bool = delete(db.transaction())
    return result


def update_all(
    *,
    db: firestore.Client,
    uid: str,
    collection: str,
    item_ids: Sequence[str],
    model: type[M],
    changes: Callable[[M], Mapping[str, Any]],
) -> tuple[list[str], int]:
    """`changes` for each of several items, all or nothing: (the ids the user has none of,
    how many were written); when any is missing nothing is written."""
    refs = {item_id: db.document(paths.user_item(uid, collection, item_id)) for item_id in item_ids}

    @firestore.transactional
    def update(transaction: firestore.Transaction) -> tuple[list[str], int]:
        found = {
            snapshot.id: snapshot.to_dict()
            for snapshot in transaction.get_all(list(refs.values()))
            if snapshot.exists
        }
        missing = [item_id for item_id in refs if item_id not in found]
        if missing:
            return missing, 0
        written = 0
        for item_id, data in found.items():
            fields = dict(changes(model.from_document(data or {})))
            if fields:
                transaction.update(refs[item_id], fields)
                written += 1
        return [], written

    result: tuple[list[str], int] = update(db.transaction())
    return result
