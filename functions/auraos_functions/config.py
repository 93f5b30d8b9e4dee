"""Typed configuration of the functions, read from the environment once, on first use."""

from __future__ import annotations

import functools
import json
import os
import re

from pydantic import Field, ValidationError

from shared.errors import AuraError
from shared.models.base import Frozen


class ConfigurationError(AuraError):
    """The deployment's environment is wrong; fail loudly at the first request."""


class RateLimit(Frozen):
    """A token bucket: `capacity` calls at once, refilled at `capacity / window_s` per second."""

    capacity: int = Field(gt=0)
    window_s: float = Field(gt=0)


class FunctionsSettings(Frozen):
    project_id: str = Field(min_length=1)
    session_ttl_days: int = Field(default=30, gt=0)
    app_check_enforced: bool = False
    chat_rate_limit: RateLimit = RateLimit(capacity=20, window_s=60)
    callable_rate_limit: RateLimit = RateLimit(capacity=60, window_s=60)
    # Per-callable overrides of `callable_rate_limit`, e.g. exports are expensive.
    callable_rate_limits: dict[str, RateLimit] = Field(
        default_factory=lambda: {
            "exportMyData": RateLimit(capacity=5, window_s=3600),
            "deleteMyAccount": RateLimit(capacity=5, window_s=3600),
        }
    )
    # Per-user analytics quotas, shared by trackEvents and events written through the rules:
    # token buckets, so "a day" is any 24 hours (refilled at capacity / 86,400 per second).
    analytics_minute_quota: RateLimit = RateLimit(capacity=120, window_s=60)
    analytics_day_quota: RateLimit = RateLimit(capacity=10_000, window_s=86_400)
    turn_lease_s: int = Field(default=120, gt=0)
    max_turn_attempts: int = Field(default=3, gt=0)
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
    ai_service_url: str | None = None
    ai_service_timeout_s: float = Field(default=5, gt=0)
    on_emulators: bool = False

    def rate_limit_for(self, function_name: str) -> RateLimit:
        return self.callable_rate_limits.get(function_name, self.callable_rate_limit)

    def analytics_quotas(self) -> dict[str, RateLimit]:
        """The analytics buckets by their action name in `rate_limits/{hash of uid}`."""
        return {
            "analytics:minute": self.analytics_minute_quota,
            "analytics:day": self.analytics_day_quota,
        }


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _rate_limit_overrides(raw: str | None) -> dict[str, RateLimit]:
    """`{"exportMyData": [5, 3600], ...}`: capacity and window in seconds per callable."""
    if not raw:
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        raise ConfigurationError("AURAOS_CALLABLE_RATE_LIMITS must be a JSON object")
    return {name: RateLimit(capacity=pair[0], window_s=pair[1]) for name, pair in parsed.items()}


_LOOPBACK_HOST = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$")


def _fcm_emulator_host(on_emulators: bool) -> str | None:
    """AURAOS_FCM_EMULATOR_HOST, a loopback host:port, accepted only under the emulators: a
    deployed function must never send its users' pushes anywhere but FCM."""
    raw = os.environ.get("AURAOS_FCM_EMULATOR_HOST", "").strip()
    if not raw:
        return None
    if not on_emulators:
        raise ConfigurationError(
            "AURAOS_FCM_EMULATOR_HOST is only for the emulators (FIRESTORE_EMULATOR_HOST unset)"
        )
    if not _LOOPBACK_HOST.match(raw):
        raise ConfigurationError(f"AURAOS_FCM_EMULATOR_HOST must be a loopback host:port: {raw!r}")
    return raw


_AI_SERVICE_LOCAL = "http://127.0.0.1:{port}"
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?/?$")
_LOOPBACK_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}/?$")


def _ai_service_url(on_emulators: bool) -> str | None:
    """AURAOS_AI_SERVICE_URL without a trailing slash: an https origin when deployed (an ID
    token must never travel in clear text); under the emulators a loopback http origin,
    by default ai_service.sh's (127.0.0.1:AURAOS_AI_PORT, 8081)."""
    raw = os.environ.get("AURAOS_AI_SERVICE_URL", "").strip()
    if not raw:
        if not on_emulators:
            return None
        raw = _AI_SERVICE_LOCAL.format(port=os.environ.get("AURAOS_AI_PORT", "8081"))
    allowed = _LOOPBACK_URL if on_emulators else _HTTPS_URL
    if not (allowed.match(raw) or (on_emulators and _HTTPS_URL.match(raw))):
        expected = "a loopback http:// or an https:// origin" if on_emulators else "https://"
        raise ConfigurationError(f"AURAOS_AI_SERVICE_URL must be {expected}: {raw!r}")
    return raw.rstrip("/")


@functools.cache
def settings() -> FunctionsSettings:
    """The settings of this process; raises ConfigurationError naming what is wrong."""
    project = os.environ.get("GCLOUD_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT")
    on_emulators = bool(os.environ.get("FIRESTORE_EMULATOR_HOST"))
    try:
        return FunctionsSettings(
            project_id=project or "",
            app_check_enforced=_env_bool("AURAOS_APP_CHECK_ENFORCED", False),
            chat_rate_limit=RateLimit(
                capacity=int(os.environ.get("AURAOS_CHAT_RATE_CAPACITY", "20")),
                window_s=float(os.environ.get("AURAOS_CHAT_RATE_WINDOW_S", "60")),
            ),
            callable_rate_limit=RateLimit(
                capacity=int(os.environ.get("AURAOS_CALLABLE_RATE_CAPACITY", "60")),
                window_s=float(os.environ.get("AURAOS_CALLABLE_RATE_WINDOW_S", "60")),
            ),
            callable_rate_limits={
                **FunctionsSettings.model_fields["callable_rate_limits"].get_default(
                    call_default_factory=True
                ),
                **_rate_limit_overrides(os.environ.get("AURAOS_CALLABLE_RATE_LIMITS")),
            },
            analytics_minute_quota=RateLimit(
                capacity=int(os.environ.get("AURAOS_ANALYTICS_EVENTS_PER_MINUTE", "120")),
                window_s=60,
            ),
            analytics_day_quota=RateLimit(
                capacity=int(os.environ.get("AURAOS_ANALYTICS_EVENTS_PER_DAY", "10000")),
                window_s=86_400,
            ),
            max_turn_attempts=int(os.environ.get("AURAOS_MAX_TURN_ATTEMPTS", "3")),
            turn_lease_s=int(os.environ.get("AURAOS_TURN_LEASE_S", "120")),
            dead_letter_give_up_s=int(os.environ.get("AURAOS_DEAD_LETTER_GIVE_UP_S", "600")),
            fcm_emulator_host=_fcm_emulator_host(on_emulators),
            ai_service_url=_ai_service_url(on_emulators),
            ai_service_timeout_s=float(os.environ.get("AURAOS_AI_SERVICE_TIMEOUT_S", "5")),
            on_emulators=on_emulators,
        )
    except (ValidationError, ValueError, TypeError, IndexError) as exc:
        raise ConfigurationError(f"invalid functions configuration: {exc}") from exc
