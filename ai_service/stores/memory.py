"""The user's memories (`users/{uid}/memories/{id}`), with their vectors for nearest search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

from shared import paths
from shared.models.memory import Memory

EMBEDDING_FIELD = "embedding"
DISTANCE_FIELD = "distance"
_LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class StoredMemory:
    id: str
    memory: Memory
    distance: float | None = None  # cosine distance to the query, for a nearest search


def _memory(snapshot: Any) -> Memory:
    data = dict(snapshot.to_dict() or {})
    data.pop(EMBEDDING_FIELD, None)
    data.pop(DISTANCE_FIELD, None)
    return Memory.from_document(data)


class MemoryStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def _collection(self, uid: str) -> Any:
        return self._db.collection(paths.memories(uid))

    def get(self, *, uid: str, memory_id: str) -> StoredMemory | None:
        snapshot = self._db.document(paths.memory(uid, memory_id)).get()
        if not snapshot.exists:
            return None
        return StoredMemory(id=snapshot.id, memory=_memory(snapshot))

    def put(
        self, *, uid: str, memory_id: str, memory: Memory, embedding: Sequence[float] | None
    ) -> StoredMemory:
        """Create the memory, or replace what it says while keeping when it was first learned
        (a transaction: two turns stating the same slot at once leave one memory)."""
        ref = self._db.document(paths.memory(uid, memory_id))

        @firestore.transactional
        def write(transaction: firestore.Transaction) -> Memory:
            snapshot = ref.get(transaction=transaction)
            kept = memory
            if snapshot.exists:
                earlier = _memory(snapshot)
                kept = memory.model_copy(
                    update={"created_at": earlier.created_at, "pinned": earlier.pinned}
                )
            document = kept.to_document()
            if embedding is not None:
                document[EMBEDDING_FIELD] = Vector(list(embedding))
            transaction.set(ref, document)
            return kept

        stored = write(self._db.transaction())
        return StoredMemory(id=memory_id, memory=stored)

    def nearest(
        self, *, uid: str, vector: Sequence[float], limit: int, max_distance: float
    ) -> list[StoredMemory]:
        """The user's memories nearest to `vector` (cosine), closest first, within
        `max_distance`: one vector query."""
        query = self._collection(uid).find_nearest(
            vector_field=EMBEDDING_FIELD,
            query_vector=Vector(list(vector)),
            limit=limit,
            distance_measure=DistanceMeasure.COSINE,
            distance_result_field=DISTANCE_FIELD,
            distance_threshold=max_distance,
        )
        found: list[StoredMemory] = []
        for snapshot in query.stream():
            distance = (snapshot.to_dict() or {}).get(DISTANCE_FIELD)
            found.append(
                StoredMemory(
                    id=snapshot.id,
                    memory=_memory(snapshot),
                    distance=float(distance) if distance is not None else None,
                )
            )
        return found

    def all(self, *, uid: str) -> list[StoredMemory]:
        """The user's memories, newest first (bounded)."""
        query = (
            self._collection(uid)
            .order_by("updatedAt", direction=firestore.Query.DESCENDING)
            .limit(_LIST_LIMIT)
        )
        return [StoredMemory(id=s.id, memory=_memory(s)) for s in query.stream()]

    def delete(self, *, uid: str, memory_id: str) -> None:
        self._db.document(paths.memory(uid, memory_id)).delete()

    def mark_used(self, *, uid: str, memory_ids: Sequence[str], at: datetime) -> None:
        """Record when memories last went into a reply (one batched write)."""
        if not memory_ids:
            return
        batch = self._db.batch()
        for memory_id in memory_ids:
            batch.update(self._db.document(paths.memory(uid, memory_id)), {"lastUsedAt": at})
        try:
            batch.commit()
        except gexc.NotFound:
            return  # forgotten in the meantime: nothing to mark
