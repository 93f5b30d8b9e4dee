"""searchConversations: the caller's conversations that match a query, by meaning and by title.

By meaning: the query is embedded by ai_service (`POST /v1/embed`, the encoder whose prompt
embeddings ai_service stores on completed turns), then one owner-filtered vector query finds
the nearest turns under `MAX_DISTANCE`. By title: the query's words are looked for in the titles
of the caller's most recently updated conversations (a bounded scan). Both are merged, one
result per conversation (its best), best score first; a page is a slice of that ranking and the
page token says where the next one starts.

When ai_service cannot embed the query (down, slow, misconfigured) search still answers, from
titles only, with `degraded: true`: a search box that errors is worse than one that finds less,
and the PWA can say "showing title matches only". Bad input is INVALID_ARGUMENT; nothing is
ever written.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import google.auth.transport.requests
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError as AuthError
from google.cloud import firestore
from google.oauth2 import id_token
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from shared.errors import InvalidInput, Transient
from shared.models.chat import title_from_prompt
from shared.models.search import (
    SNIPPET_MAX_CHARS,
    ConversationHit,
    SearchConversationsRequest,
    SearchConversationsResponse,
    SearchMatch,
)

from ..config import settings
from ..repositories import search as store

log = logging.getLogger(__name__)

EMBEDDING_DIMENSIONS = 384
# Cosine distance above which a turn is not a match. Measured with the chat's encoder on
# multi-word queries: related prompts at 0.28-0.53 ("mountain trip" -> a hiking-in-the-Alps
# prompt 0.48), the nearest unrelated ones at 0.63-0.86. Single words sit higher (0.70 for
# "cake" and its recipe prompt); the title match covers them.
MAX_DISTANCE = 0.6
SEMANTIC_CANDIDATES = 60  # turns the vector query returns at most (one read each)
TITLE_SCAN = 200  # most recently updated conversations whose titles are matched
MAX_RANKED = 100  # results a query can page through
# A title that holds every query word scores this: above a loose semantic match (1 - 0.6),
# below a close one, so a turn that says the same thing still comes first.
TITLE_SCORE = 0.8
UNTITLED = "Untitled conversation"
DEGRADED_MESSAGE = "Search by meaning is unavailable right now"
_STOPWORDS = frozenset(  # words that would match nearly every title
    {"a", "an", "and", "are", "at", "be", "by", "can", "do", "for", "from", "how", "i", "in"}
    | {"is", "it", "me", "my", "of", "on", "or", "the", "to", "what", "with", "you"}
)


class QueryEmbedder(Protocol):
    def embed(self, text: str) -> tuple[float, ...]:
        """The query's unit-length embedding; Transient when it cannot be had now."""
        ...


# ------------------------------------------------------------------ the ai_service client


class _RetryableStatus(Transient):
    """ai_service answered a status worth retrying (Cloud Run's 429 and 5xx while scaling)."""


_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class AiServiceEmbedder:
    """`POST {base_url}/v1/embed` with a connect/read timeout and up to three tries (backing
    off 0.2 s, 0.4 s) within about two timeouts in all; deployed, each call carries an ID token
    for ai_service's URL (Cloud Run checks it), refreshed when it expires."""

    def __init__(self, *, base_url: str, timeout_s: float, authenticate: bool) -> None:
        self._url = f"{base_url}/v1/embed"
        self._audience = base_url
        self._timeout_s = timeout_s
        self._authenticate = authenticate
        self._session = requests.Session()
        self._credentials: Credentials | None = None

    def embed(self, text: str) -> tuple[float, ...]:
        try:
            body = self._post({"texts": [text]})
        except (requests.RequestException, ValueError, _RetryableStatus, AuthError) as error:
            log.warning("ai_service embed failed", extra={"reason": repr(error)[:300]})
            raise Transient(DEGRADED_MESSAGE) from error
        return _one_embedding(body)

    def _post(self, payload: dict[str, Any]) -> Any:
        @retry(
            retry=retry_if_exception_type(
                (requests.ConnectionError, requests.Timeout, _RetryableStatus)
            ),
            stop=stop_after_attempt(3) | stop_after_delay(2 * self._timeout_s),
            wait=wait_exponential(multiplier=0.2, max=1),
            reraise=True,
        )
        def attempt() -> Any:
            response = self._session.post(
                self._url,
                json=payload,
                headers=self._headers(),
                timeout=(min(2.0, self._timeout_s), self._timeout_s),
            )
            if response.status_code in _RETRYABLE_STATUSES:
                raise _RetryableStatus(f"HTTP {response.status_code}")
            response.raise_for_status()
            return response.json()

        return attempt()

    def _headers(self) -> dict[str, str]:
        if not self._authenticate:
            return {}
        request = google.auth.transport.requests.Request()
        if self._credentials is None:
            self._credentials = id_token.fetch_id_token_credentials(  # type: ignore[no-untyped-call]
                self._audience, request
            )
        if not self._credentials.valid:
            self._credentials.refresh(request)
        return {"Authorization": f"Bearer {self._credentials.token}"}


def _one_embedding(body: Any) -> tuple[float, ...]:
    """The single embedding of an /v1/embed answer, checked (a wrong answer is ai_service's
    fault, and degrades the search like an outage)."""
    embeddings = body.get("embeddings") if isinstance(body, dict) else None
    vector = embeddings[0] if isinstance(embeddings, list) and len(embeddings) == 1 else None
    if (
        not isinstance(vector, list)
        or len(vector) != EMBEDDING_DIMENSIONS
        or not all(isinstance(x, int | float) and math.isfinite(x) for x in vector)
    ):
        log.warning("ai_service embed answered an unusable body")
        raise Transient(DEGRADED_MESSAGE)
    return tuple(float(x) for x in vector)


@functools.cache
def default_embedder() -> QueryEmbedder | None:
    """ai_service at the configured URL, once per process; None when none is configured."""
    config = settings()
    if config.ai_service_url is None:
        return None
    return AiServiceEmbedder(
        base_url=config.ai_service_url,
        timeout_s=config.ai_service_timeout_s,
        authenticate=not config.on_emulators,
    )


# ------------------------------------------------------------------ page tokens

_TOKEN = re.compile(r"^v1\.([st])\.(\d{1,3})\.([0-9a-f]{16})$")
_BAD_PAGE = "Invalid request: pageToken does not belong to this search; start again without it."


@dataclass(frozen=True, slots=True)
class _Page:
    semantic: bool  # False: the search was degraded to titles, and its later pages stay so
    offset: int


def _digest(uid: str, query: str, semantic: bool) -> str:
    key = f"{uid}\n{'s' if semantic else 't'}\n{_normal(query)}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def _token(uid: str, query: str, page: _Page) -> str:
    mode = "s" if page.semantic else "t"
    return f"v1.{mode}.{page.offset}.{_digest(uid, query, page.semantic)}"


def _page(uid: str, query: str, token: str | None) -> _Page:
    """Where this page starts; INVALID_ARGUMENT for a token of another query, user or shape."""
    if token is None:
        return _Page(semantic=True, offset=0)
    found = _TOKEN.match(token)
    if found is None:
        raise InvalidInput(_BAD_PAGE)
    semantic, offset = found[1] == "s", int(found[2])
    if not 0 < offset < MAX_RANKED or found[3] != _digest(uid, query, semantic):
        raise InvalidInput(_BAD_PAGE)
    return _Page(semantic=semantic, offset=offset)


# ------------------------------------------------------------------ matching and ranking


def _normal(text: str) -> str:
    """Case- and accent-insensitive form: "Café" and "cafe" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _normal(text))


def _query_words(query: str) -> list[str]:
    words = list(dict.fromkeys(_words(query)))
    return [w for w in words if w not in _STOPWORDS and len(w) > 1]


def _title_score(title: str, words: Sequence[str]) -> float:
    """TITLE_SCORE times the share of the query's words that begin a word of the title
    ("tyre" finds "tyres")."""
    if not words:
        return 0.0
    title_words = _words(title)
    matched = sum(1 for w in words if any(t.startswith(w) for t in title_words))
    return TITLE_SCORE * matched / len(words)


def _snippet(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SNIPPET_MAX_CHARS else line[: SNIPPET_MAX_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class _Candidate:
    conversation_id: str
    turn_id: str | None
    text: str  # the prompt (semantic) or the title
    title: str | None
    score: float
    match: SearchMatch

    def rank(self) -> tuple[float, int, str, str]:
        # Stable across pages: ties broken by kind (a turn first), then ids.
        return (
            -self.score,
            self.match is SearchMatch.TITLE,
            self.conversation_id,
            self.turn_id or "",
        )


def _ranked(
    *, db: firestore.Client, uid: str, query: str, vector: tuple[float, ...] | None
) -> list[_Candidate]:
    best: dict[str, _Candidate] = {}

    def offer(candidate: _Candidate) -> None:
        held = best.get(candidate.conversation_id)
        if held is None or candidate.rank() < held.rank():
            best[candidate.conversation_id] = candidate

    titles = store.recent_conversations(db=db, uid=uid, limit=TITLE_SCAN)
    known_titles = {t.conversation_id: t.title for t in titles}
    if vector is not None:
        hits = store.nearest_turns(
            db=db, uid=uid, vector=vector, limit=SEMANTIC_CANDIDATES, max_distance=MAX_DISTANCE
        )
        for hit in hits:
            offer(
                _Candidate(
                    conversation_id=hit.conversation_id,
                    turn_id=hit.turn_id,
                    text=hit.prompt,
                    title=known_titles.get(hit.conversation_id),
                    score=round(min(1.0, max(0.0, 1.0 - hit.distance)), 4),
                    match=SearchMatch.SEMANTIC,
                )
            )
    words = _query_words(query)
    for conversation in titles:
        if conversation.title is None:
            continue
        score = round(_title_score(conversation.title, words), 4)
        if score > 0:
            offer(
                _Candidate(
                    conversation_id=conversation.conversation_id,
                    turn_id=None,
                    text=conversation.title,
                    title=conversation.title,
                    score=score,
                    match=SearchMatch.TITLE,
                )
            )
    return sorted(best.values(), key=_Candidate.rank)[:MAX_RANKED]


def _hits(
    *, db: firestore.Client, uid: str, candidates: Sequence[_Candidate]
) -> tuple[ConversationHit, ...]:
    """The page's results, with the titles the title scan did not read (older conversations)."""
    missing = [c.conversation_id for c in candidates if c.title is None and c.turn_id]
    titles = store.conversation_titles(db=db, uid=uid, conversation_ids=missing)
    hits: list[ConversationHit] = []
    for c in candidates:
        title = c.title or titles.get(c.conversation_id) or title_from_prompt(c.text) or UNTITLED
        hits.append(
            ConversationHit(
                conversation_id=c.conversation_id,
                turn_id=c.turn_id,
                title=title,
                snippet=_snippet(c.text or title),
                score=c.score,
                match=c.match,
            )
        )
    return tuple(hits)


# ------------------------------------------------------------------ the callable


def search_conversations(
    *,
    db: firestore.Client,
    uid: str,
    request: SearchConversationsRequest,
    embedder: QueryEmbedder | None,
) -> SearchConversationsResponse:
    """One page of the caller's conversations matching `request.query` (see the module)."""
    page = _page(uid, request.query, request.page_token)
    vector: tuple[float, ...] | None = None
    if page.semantic:
        try:
            if embedder is None:
                raise Transient("ai_service is not configured (AURAOS_AI_SERVICE_URL)")
            vector = embedder.embed(request.query)
        except Transient as error:
            log.warning("search degraded to titles", extra={"reason": error.message})
    semantic = vector is not None
    ranked = _ranked(db=db, uid=uid, query=request.query, vector=vector)
    end = page.offset + request.limit
    more = end < len(ranked)
    return SearchConversationsResponse(
        results=_hits(db=db, uid=uid, candidates=ranked[page.offset : end]),
        next_page_token=_token(uid, request.query, _Page(semantic, end)) if more else None,
        degraded=not semantic,
    )
