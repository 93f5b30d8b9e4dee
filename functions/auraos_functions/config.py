"""Typed configuration of the functions, read from the environment once, on first use."""

from __future__ import annotations

import functools
import re

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigurationError
from shared.settings import MaxTurnAttempts, TurnLeaseSeconds

from .domain import RateLimit

__all__ = ["ConfigurationError", "FunctionsSettings", "RateLimit", "settings"]


DEFAULT_CALLABLE_RATE_LIMITS = {
    "exportMyData": RateLimit(capacity=5, window_s=3600),
    "deleteMyAccount": RateLimit(capacity=5, window_s=3600),
}


class FunctionsSettings(BaseSettings):
    """Every `AURAOS_*` variable the functions read, validated together on first use."""

    model_config = SettingsConfigDict(
        env_prefix="AURAOS_", env_ignore_empty=True, frozen=True, extra="ignore"
    )

    project_id: str = Field(
        min_length=1, validation_alias=AliasChoices("GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT")
    )
    # Set by the emulators themselves: the local stack, where loopback endpoints are allowed.
    on_emulators: bool = Field(default=False, validation_alias="FIRESTORE_EMULATOR_HOST")
    session_ttl_days: int = Field(default=30, gt=0)
    app_check_enforced: bool = False
    chat_rate_capacity: int = Field(default=20, gt=0)
    chat_rate_window_s: float = Field(default=60, gt=0)
    callable_rate_capacity: int = Field(default=60, gt=0)
    callable_rate_window_s: float = Field(default=60, gt=0)
    # Per-callable overrides of the callable bucket, JSON `{"exportMyData": [5, 3600], ...}`
    # (capacity, window in seconds) merged over these: exports are expensive.
    callable_rate_limits: dict[str, RateLimit] = Field(
        default_factory=lambda: dict(DEFAULT_CALLABLE_RATE_LIMITS)
    )
    # Per-user analytics quotas, shared by trackEvents and events written through the rules:
    # token buckets, so "a day" is any 24 hours (refilled at capacity / 86,400 per second).
    analytics_events_per_minute: int = Field(default=120, gt=0)
    analytics_events_per_day: int = Field(default=10_000, gt=0)
    turn_lease_s: TurnLeaseSeconds
    max_turn_attempts: MaxTurnAttempts
    # How long a dead-lettered, never-claimed turn is re-published by the sweeper before it
    # ends ERROR: longer than a realistic outage of ai_service.
    dead_letter_give_up_s: int = Field(default=600, gt=0)
    publish_timeout_s: float = Field(default=10, gt=0)
    # host:port of a local server speaking the FCM v1 API (tests/fakes/fcm_server.py); only
    # under the emulators, where real FCM cannot be reached. None there: no push is sent.
    fcm_emulator_host: str | None = None
    # ai_service's base URL (searchConversations embeds its query at /v1/embed): the Cloud Run
    # URL in production, called with an ID token for it; ai_service.sh's port on the emulators.
    # None: not configured, and search matches titles only.
    configured_ai_service_url: str | None = Field(
        default=None, validation_alias="AURAOS_AI_SERVICE_URL"
    )
    ai_port: int = Field(default=8081, gt=0, lt=65536)
    ai_service_timeout_s: float = Field(default=5, gt=0)

    @field_validator("on_emulators", mode="before")
    @classmethod
    def _emulator_host_set(cls, value: object) -> object:
        return bool(value) if isinstance(value, str) else value

    @field_validator("callable_rate_limits", mode="before")
    @classmethod
    def _overrides(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("AURAOS_CALLABLE_RATE_LIMITS must be a JSON object")
        parsed = {
            name: RateLimit(capacity=pair[0], window_s=pair[1])
            if isinstance(pair, list | tuple) and len(pair) == 2
            else pair
            for name, pair in value.items()
        }
        return {**DEFAULT_CALLABLE_RATE_LIMITS, **parsed}

    @model_validator(mode="after")
    def _local_endpoints(self) -> FunctionsSettings:
        _check_fcm_emulator_host(self.fcm_emulator_host, on_emulators=self.on_emulators)
        _check_ai_service_url(self.configured_ai_service_url, on_emulators=self.on_emulators)
        return self

    @property
    def chat_rate_limit(self) -> RateLimit:
        return RateLimit(capacity=self.chat_rate_capacity, window_s=self.chat_rate_window_s)

    @property
    def callable_rate_limit(self) -> RateLimit:
        return RateLimit(capacity=self.callable_rate_capacity, window_s=self.callable_rate_window_s)

    @property
    def analytics_minute_quota(self) -> RateLimit:
        return RateLimit(capacity=self.analytics_events_per_minute, window_s=60)

    @property
    def analytics_day_quota(self) -> RateLimit:
        return RateLimit(capacity=self.analytics_events_per_day, window_s=86_400)

    @property
    def ai_service_url(self) -> str | None:
        """ai_service's origin without a trailing slash; under the emulators by default
        ai_service.sh's (127.0.0.1:AURAOS_AI_PORT)."""
        if self.configured_ai_service_url:
            return self.configured_ai_service_url.rstrip("/")
        return f"http://127.0.0.1:{self.ai_port}" if self.on_emulators else None

    def rate_limit_for(self, function_name: str) -> RateLimit:
        return self.callable_rate_limits.get(function_name, self.callable_rate_limit)

    def analytics_quotas(self) -> dict[str, RateLimit]:
        """The analytics buckets by their action name in `rate_limits/{hash of uid}`."""
        return {
            "analytics:minute": self.analytics_minute_quota,
            "analytics:day": self.analytics_day_quota,
        }


_LOOPBACK_HOST = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?/?$")
_LOOPBACK_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}/?$")


def _check_fcm_emulator_host(host: str | None, *, on_emulators: bool) -> None:
    """AURAOS_FCM_EMULATOR_HOST, a loopback host:port, accepted only under the emulators: a
    deployed function must never send its users' pushes anywhere but FCM."""
    if host is None:
        return
    if not on_emulators:
        raise ValueError(
            "AURAOS_FCM_EMULATOR_HOST is only for the emulators (FIRESTORE_EMULATOR_HOST unset)"
        )
    if not _LOOPBACK_HOST.match(host):
        raise ValueError(f"AURAOS_FCM_EMULATOR_HOST must be a loopback host:port: {host!r}")


def _check_ai_service_url(url: str | None, *, on_emulators: bool) -> None:
    """An https origin when deployed (an ID token must never travel in clear text); under the
    emulators a loopback http origin too."""
    if url is None:
        return
    if _HTTPS_URL.match(url) or (on_emulators and _LOOPBACK_URL.match(url)):
        return
    expected = "a loopback http:// or an https:// origin" if on_emulators else "https://"
    raise ValueError(f"AURAOS_AI_SERVICE_URL must be {expected}: {url!r}")


@functools.cache
def settings() -> FunctionsSettings:
    """The settings of this process; raises ConfigurationError naming what is wrong."""
    try:
        return FunctionsSettings()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid functions configuration: {exc}") from exc
