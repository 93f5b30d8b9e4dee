"""searchConversations: the caller's conversations that match a query (services/search.py)."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from ..clients import firestore_client
from ..services import search
from .boundary import callable_function, caller_uid


@callable_function
def searchConversations(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return search.search_conversations(
        db=firestore_client(),
        uid=caller_uid(request),
        data=request.data,
        embedder=search.default_embedder(),
    )
