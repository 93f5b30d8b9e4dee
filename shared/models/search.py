"""`searchConversations`: what the PWA sends and gets back when it searches the caller's chats.

A result is one conversation, found either by one of its turns (the turn's stored prompt
embedding is near the query's) or by its title (it contains the query's words). Results are
ranked best first by `score` in [0, 1]; a page token continues the same ranking.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from .base import Frozen

QUERY_MAX_CHARS = 500  # ai_service's /v1/embed takes texts of 1..500 characters
SNIPPET_MAX_CHARS = 160
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 20
PAGE_TOKEN_MAX_CHARS = 100

SearchQuery = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=QUERY_MAX_CHARS)
]


class SearchConversationsRequest(Frozen):
    """`searchConversations`: the caller's conversations that match `query`, a page at a time."""

    query: SearchQuery
    """What to look for, in the user's words (blank is refused)."""
    limit: StrictInt = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    """Results per page."""
    page_token: (
        Annotated[str, StringConstraints(min_length=1, max_length=PAGE_TOKEN_MAX_CHARS)] | None
    ) = None
    """The previous page's `nextPageToken`, for the same query; absent for the first page."""


class SearchMatch(StrEnum):
    SEMANTIC = "semantic"  # a turn's prompt means something close to the query
    TITLE = "title"  # the conversation's title contains the query's words


class ConversationHit(Frozen):
    """One conversation of the caller's that matches the query."""

    conversation_id: str
    turn_id: str | None
    """The turn whose prompt matched (semantic matches); None for a title match."""
    title: str
    snippet: Annotated[str, StringConstraints(max_length=SNIPPET_MAX_CHARS)]
    """The matching turn's prompt, or the title, cut to 160 characters."""
    score: float = Field(ge=0, le=1)
    """1 - cosine distance for a semantic match; the share of the query's words for a title."""
    match: SearchMatch


class SearchConversationsResponse(Frozen):
    results: tuple[ConversationHit, ...]
    next_page_token: str | None
    """Pass it back for the next page; None on the last page."""
    degraded: bool = False
    """True when ai_service could not embed the query: only titles were matched."""
