"""One small error hierarchy under one root; each entry point maps it to its own wire codes."""

from __future__ import annotations


class AuraError(Exception):
    """Root of every error AuraOS raises on purpose. `code` is stable and safe to show a user."""

    code = "internal"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(AuraError):
    """The caller sent something that can never be accepted as it is."""

    code = "invalid-argument"


class Unauthenticated(AuraError):
    """No valid identity came with the request."""

    code = "unauthenticated"


class PermissionDenied(AuraError):
    """The caller is known but may not do this."""

    code = "permission-denied"


class NotFound(AuraError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    code = "not-found"


class Conflict(AuraError):
    """The request clashes with the current state, e.g. a turn already claimed."""

    code = "failed-precondition"


class RateLimited(AuraError):
    """Too many requests; `retry_after_s` says when to try again."""

    code = "resource-exhausted"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, details={"retryAfterSeconds": round(retry_after_s, 3)})
        self.retry_after_s = retry_after_s


class Transient(AuraError):
    """A dependency failed in a way that may succeed on retry (Pub/Sub should redeliver)."""

    code = "unavailable"


class ConfigurationError(AuraError):
    """The process was started with settings it cannot run with: fix them, don't retry."""

    code = "failed-precondition"
