"""searchConversations: the caller's conversations that match a query (services/search.py)."""

from __future__ import annotations

from typing import Any

from firebase_functions import https_fn

from shared.models.search import SearchConversationsRequest

from ..clients import firestore_client
from ..services import search
from ..services.requests import parse_request
from .boundary import callable_function, caller_uid


@callable_function
def searchConversations(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    uid = caller_uid(request)
    found = search.search_conversations(
        db=firestore_client(),
        uid=uid,
        request=parse_request(SearchConversationsRequest, request.data),
        embedder=search.default_embedder(),
    )
    return found.model_dump(by_alias=True, mode="json")
