"""`config/flags`: switches an operator flips without a deploy."""

from __future__ import annotations

from pydantic import Field

from .base import Document


class FeatureFlags(Document):
    """Defaults apply when the document or a field is missing."""

    chat_enabled: bool = True
    analytics_enabled: bool = True
    recommendations_enabled: bool = True
    blocked_email_domains: tuple[str, ...] = ()
    allowed_models: tuple[str, ...] = ()
    maintenance_message: str | None = None
    extra: dict[str, bool] = Field(default_factory=dict)
