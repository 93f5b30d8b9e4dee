"""What searchConversations reads: the caller's turns nearest a query vector, and the titles of
the caller's conversations. Reads only, all under `users/{uid}`.

The vector query runs over the `messages` collection group pre-filtered by `owner == uid`
(firestore.indexes.json has the index); ai_service writes `owner` and `embedding` on a turn
when it completes it, and the rules let no client write either. Each hit's path is checked to
be under the caller's conversations as well, so no other user's turn can ever come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector
from google.cloud.firestore_v1.vector_query import VectorQuery

from shared import paths

EMBEDDING_FIELD = "embedding"  # ai_service/stores/turns.py TURN_EMBEDDING_FIELD
OWNER_FIELD = "owner"  # ai_service/stores/turns.py TURN_OWNER_FIELD
_DISTANCE_FIELD = "searchDistance"  # where find_nearest puts each hit's distance


@dataclass(frozen=True, slots=True)
class TurnHit:
    """A turn of the caller's whose prompt embedding is within the distance bound."""

    conversation_id: str
    turn_id: str
    prompt: str
    distance: float
    """Cosine distance (1 - cosine similarity) between the prompt and the query."""


@dataclass(frozen=True, slots=True)
class ConversationTitle:
    conversation_id: str
    title: str | None


def nearest_turns(
    *,
    db: firestore.Client,
    uid: str,
    vector: Sequence[float],
    limit: int,
    max_distance: float,
) -> list[TurnHit]:
    """The caller's turns nearest `vector` by cosine distance, nearest first, at most `limit`
    and none further than `max_distance` (one vector query: `limit` reads at most)."""
    # Query.find_nearest is annotated as returning the class; it returns an instance.
    query = cast(
        VectorQuery,
        db.collection_group(paths.MESSAGES)
        .where(filter=FieldFilter(OWNER_FIELD, "==", uid))
        .find_nearest(
            vector_field=EMBEDDING_FIELD,
            query_vector=Vector(list(vector)),
            distance_measure=DistanceMeasure.COSINE,
            limit=limit,
            distance_result_field=_DISTANCE_FIELD,
            distance_threshold=max_distance,
        ),
    )
    prefix = f"{paths.user(uid)}/{paths.CONVERSATIONS}/"
    hits: list[TurnHit] = []
    for snapshot in query.stream():
        parts = snapshot.reference.path.removeprefix(prefix).split("/")
        data = snapshot.to_dict() or {}
        # users/{uid}/conversations/{cid}/messages/{turnId} of this caller, nothing else.
        if not snapshot.reference.path.startswith(prefix) or len(parts) != 3:
            continue
        if parts[1] != paths.MESSAGES or data.get(OWNER_FIELD) != uid:
            continue
        distance = data.get(_DISTANCE_FIELD)
        if not isinstance(distance, int | float):
            continue
        prompt = data.get("prompt")
        hits.append(
            TurnHit(
                conversation_id=parts[0],
                turn_id=parts[2],
                prompt=prompt if isinstance(prompt, str) else "",
                distance=float(distance),
            )
        )
    return hits


def recent_conversations(*, db: firestore.Client, uid: str, limit: int) -> list[ConversationTitle]:
    """The caller's `limit` most recently updated conversations with their titles (one query,
    the title field only)."""
    query = (
        db.collection(f"{paths.user(uid)}/{paths.CONVERSATIONS}")
        .order_by("updatedAt", direction=firestore.Query.DESCENDING)
        .limit(limit)
        .select(["title"])
    )
    return [_title(snapshot) for snapshot in query.stream()]


def conversation_titles(
    *, db: firestore.Client, uid: str, conversation_ids: Sequence[str]
) -> dict[str, str | None]:
    """The titles of these conversations of the caller's (None: untitled or gone), one batched
    read."""
    if not conversation_ids:
        return {}
    refs = [db.document(paths.conversation(uid, cid)) for cid in dict.fromkeys(conversation_ids)]
    found: dict[str, str | None] = dict.fromkeys(conversation_ids)
    for snapshot in db.get_all(refs, field_paths=["title"]):
        title = _title(snapshot)
        found[title.conversation_id] = title.title
    return found


def _title(snapshot: DocumentSnapshot[DocumentReference]) -> ConversationTitle:
    data = snapshot.to_dict() or {}
    title = data.get("title")
    return ConversationTitle(
        conversation_id=snapshot.id, title=title if isinstance(title, str) and title else None
    )
