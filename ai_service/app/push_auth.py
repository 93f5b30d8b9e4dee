"""Pub/Sub push authentication: the OIDC token Pub/Sub attaches to each push must be Google-issued,
for our audience, and minted for the push service account.

The signing keys are fetched from `certs_url` (Google's `oauth2/v1/certs` by default; a PEM map or a
JWK set) and cached for a few minutes; a token signed by an unknown key id refetches them, at most
once per `_REFRESH_UNKNOWN_KID_S`, so key rotation is picked up without a fetch per request.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

import google.auth.exceptions
import google.auth.transport
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt

from shared.errors import AuraError, PermissionDenied, Transient, Unauthenticated
from shared.ttl_cache import TTLCache

from ..config import Settings

log = logging.getLogger(__name__)

GOOGLE_OAUTH2_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
_CERTS_MAX_AGE_S = 300.0
_REFRESH_UNKNOWN_KID_S = 30.0
_CLOCK_SKEW_S = 10
_FETCH_TIMEOUT_S = 10.0

Certs = Mapping[str, str]


class PushUnauthenticated(Unauthenticated):
    """No usable token: missing, malformed, badly signed, expired, or for another audience (401)."""


class PushForbidden(PermissionDenied):
    """A valid Google token, but not minted for the configured push service account (403)."""


class PushAuthUnavailable(Transient):
    """Keys unreachable or the check half-configured; Pub/Sub should redeliver (503)."""


# What `verify_push_request` raises, and what the push route answers for each.
PUSH_AUTH_STATUS: Mapping[type[AuraError], int] = {
    PushUnauthenticated: 401,
    PushForbidden: 403,
    PushAuthUnavailable: 503,
}
PUSH_AUTH_ERRORS = (PushUnauthenticated, PushForbidden, PushAuthUnavailable)


_caches_lock = threading.Lock()
_caches: dict[str, TTLCache[Certs]] = {}
_default_request: google.auth.transport.Request | None = None


def verify_push_token(
    *,
    authorization_header: str | None,
    audience: str,
    service_account: str,
    request: google.auth.transport.Request | None = None,
    certs_url: str | None = None,
) -> None:
    """Return when `Authorization: Bearer <token>` is a valid push token; raise otherwise.

    Checks, as `google.oauth2.id_token.verify_oauth2_token` does: signature against Google's keys,
    `iat`/`exp` (10 s skew), `aud` == `audience`, `iss` is accounts.google.com; then `email` ==
    `service_account` and `email_verified`. Raises PushUnauthenticated, PushForbidden or
    PushAuthUnavailable.
    """
    if not audience or not service_account:
        raise ValueError("push authentication needs an audience and a service account")
    token = _bearer_token(authorization_header)
    url = certs_url or GOOGLE_OAUTH2_CERTS_URL
    transport = request or _request()
    key_id = _key_id(token)
    certs = _certs(url=url, request=transport, max_age_s=_CERTS_MAX_AGE_S)
    if key_id is not None and key_id not in certs:
        certs = _certs(url=url, request=transport, max_age_s=_REFRESH_UNKNOWN_KID_S)
    try:
        claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
            token, certs=certs, audience=audience, clock_skew_in_seconds=_CLOCK_SKEW_S
        )
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        raise PushUnauthenticated(f"invalid push token: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise PushUnauthenticated("push token was not issued by accounts.google.com")
    email = claims.get("email")
    if not isinstance(email, str) or email.casefold() != service_account.casefold():
        raise PushForbidden(
            "push token was minted for another service account",
            details={"email": email if isinstance(email, str) else None},
        )
    if claims.get("email_verified") is not True:
        raise PushForbidden("push token's email is not verified")


def verify_push_request(
    *,
    settings: Settings,
    authorization_header: str | None,
    request: google.auth.transport.Request | None = None,
    certs_url: str | None = None,
) -> bool:
    """Verify a push per `settings`: True when verified, False when push auth is not configured.

    Configured means `require_push_auth`, or an audience or a service account set: one without
    the other fails closed (PushAuthUnavailable) rather than silently accepting every push.
    """
    audience, account = settings.push_audience, settings.push_service_account
    if not (settings.require_push_auth or audience or account):
        return False
    if not audience or not account:
        raise PushAuthUnavailable(
            "push authentication is half configured: set both AURAOS_PUSH_AUDIENCE and "
            "AURAOS_PUSH_SERVICE_ACCOUNT"
        )
    verify_push_token(
        authorization_header=authorization_header,
        audience=audience,
        service_account=account,
        request=request,
        certs_url=certs_url,
    )
    return True


def clear_certs_cache() -> None:
    """Forget every fetched key set (tests; a forced key refresh)."""
    with _caches_lock:
        _caches.clear()


def _bearer_token(header: str | None) -> str:
    if not header:
        raise PushUnauthenticated("push request has no Authorization header")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise PushUnauthenticated("Authorization header is not 'Bearer <token>'")
    return token


def _key_id(token: str) -> str | None:
    """The `kid` of the token's header, or None; a malformed token is refused here."""
    try:
        header_segment = token.split(".", 1)[0]
        header = json.loads(
            base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4))
        )
    except (ValueError, TypeError) as exc:
        raise PushUnauthenticated("push token is not a JWT") from exc
    if not isinstance(header, dict):
        raise PushUnauthenticated("push token is not a JWT")
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _request() -> google.auth.transport.Request:
    global _default_request  # noqa: PLW0603 - one pooled HTTP session per process
    with _caches_lock:
        if _default_request is None:
            import google.auth.transport.requests as transport_requests  # noqa: PLC0415

            _default_request = transport_requests.Request()
        return _default_request


def _certs(*, url: str, request: google.auth.transport.Request, max_age_s: float) -> Certs:
    with _caches_lock:
        cache = _caches.setdefault(url, TTLCache())
    return cache.get(load=lambda: _fetch_certs(url=url, request=request), max_age_s=max_age_s)


def _fetch_certs(*, url: str, request: google.auth.transport.Request) -> Certs:
    """{key id: PEM} from a Google-style PEM map or a JWK set (RSA keys)."""
    try:
        response = request(url=url, method="GET", timeout=_FETCH_TIMEOUT_S)
    except google.auth.exceptions.TransportError as exc:
        raise PushAuthUnavailable(f"cannot fetch push token keys from {url}: {exc}") from exc
    if response.status != http.client.OK:
        raise PushAuthUnavailable(f"cannot fetch push token keys from {url}: {response.status}")
    try:
        body: Any = json.loads(response.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PushAuthUnavailable(f"push token keys at {url} are not JSON") from exc
    if isinstance(body, dict) and isinstance(body.get("keys"), list):
        return _pems_from_jwks(body["keys"])
    if isinstance(body, dict) and all(isinstance(v, str) for v in body.values()):
        return {str(k): v for k, v in body.items()}
    raise PushAuthUnavailable(f"push token keys at {url} are neither a PEM map nor a JWK set")


def _pems_from_jwks(keys: list[Any]) -> Certs:
    pems: dict[str, str] = {}
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") != "RSA" or key.get("use", "sig") != "sig":
            continue
        try:
            numbers = rsa.RSAPublicNumbers(e=_b64_int(key["e"]), n=_b64_int(key["n"]))
            public = numbers.public_key()
        except (KeyError, TypeError, ValueError):
            log.warning("skipping a malformed JWK", extra={"kid": key.get("kid")})
            continue
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        pems[str(key.get("kid", ""))] = pem.decode("ascii")
    return pems


def _b64_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")
