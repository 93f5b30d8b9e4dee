"""Analytics events (`analytics_events/{eventId}`) and the aggregates built from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError, model_validator

from .base import Document, Frozen

# The characters and length of shared.models.ids.EventId (which also refuses __x__ ids).
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
EVENT_RETENTION_DAYS = 90


class EventType(StrEnum):
    APP_OPEN = "app_open"
    PAGE_VIEW = "page_view"
    FEATURE_USED = "feature_used"
    SEARCH = "search"
    RECOMMENDATION_CLICK = "recommendation_click"
    ERROR = "error"


class _NoData(Frozen):
    pass


class PageViewData(Frozen):
    path: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class FeatureUsedData(Frozen):
    feature: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SearchData(Frozen):
    query: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RecommendationClickData(Frozen):
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ErrorData(Frozen):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    message: Annotated[str, StringConstraints(max_length=512)]


# Each type's `data` schema; firestore.rules encodes the same table.
EVENT_DATA_SCHEMAS: dict[EventType, type[Frozen]] = {
    EventType.APP_OPEN: _NoData,
    EventType.PAGE_VIEW: PageViewData,
    EventType.FEATURE_USED: FeatureUsedData,
    EventType.SEARCH: SearchData,
    EventType.RECOMMENDATION_CLICK: RecommendationClickData,
    EventType.ERROR: ErrorData,
}


def validate_event_data(event_type: EventType, data: dict[str, Any]) -> None:
    """ValueError naming each problem as `data.<field>` when `data` does not fit the type."""
    try:
        EVENT_DATA_SCHEMAS[event_type].model_validate(data)
    except ValidationError as error:
        raise ValueError(
            "; ".join(
                f"data.{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}"
                for e in error.errors()
            )
        ) from None


class AnalyticsEvent(Document):
    """One user action. `data` is validated against its type's schema."""

    uid: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: EventType
    data: dict[str, Any] = Field(default_factory=dict)
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    client_time: datetime
    create_time: datetime | None = None
    expire_at: datetime | None = None

    @model_validator(mode="after")
    def _data_matches_type(self) -> AnalyticsEvent:
        validate_event_data(self.type, self.data)
        return self


class DailyStats(Document):
    """`users/{uid}/stats/{yyyy-mm-dd}`: one user's activity on one UTC day."""

    day: str
    events: int = Field(default=0, ge=0)
    by_type: dict[str, int] = Field(default_factory=dict)
    by_hour: dict[str, int] = Field(default_factory=dict)  # client-clock hour "0".."23"
    sessions: tuple[str, ...] = ()
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None
