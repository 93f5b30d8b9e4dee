"""`recommendations/{uid}`: what the PWA shows in its recommendations panel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from .base import Document, Frozen


class RecommendationSource(StrEnum):
    """Which step of the fallback chain produced an item."""

    PERSONAL = "personal"
    SIMILAR = "similar"
    POPULAR = "popular"
    INTERESTS = "interests"


class RecommendedItem(Frozen):
    item_id: str
    title: str
    # Stored by ai_service beside the title (RecommendationTitle below reads both).
    authors: str | None = None
    score: float
    source: RecommendationSource


class Recommendations(Document):
    items: tuple[RecommendedItem, ...] = ()
    model_version: str | None = None
    updated_at: datetime
    interactions_seen: int = Field(default=0, ge=0)


class RecommendationSignals(Document):
    """What ai_service keeps of a user in the same document, beside `Recommendations`, between
    refreshes: the catalogue numbers they clicked and their recent searches (newest last)."""

    liked_items: tuple[int, ...] = ()
    interests: tuple[str, ...] = ()
    interactions_seen: int = Field(default=0, ge=0)


class RecommendationTitle(Document):
    """What the chat's recommendations tool reads of a stored item: its title and authors."""

    title: str
    authors: str | None = None
