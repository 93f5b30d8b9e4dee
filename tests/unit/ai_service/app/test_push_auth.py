"""Push OIDC verification with locally minted RS256 tokens and keys served from a local server."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from google.auth.transport.requests import Request

from ai_service.app import push_auth
from ai_service.app.push_auth import (
    PUSH_AUTH_ERRORS,
    PUSH_AUTH_STATUS,
    PushAuthUnavailable,
    PushForbidden,
    PushUnauthenticated,
    clear_certs_cache,
    verify_push_request,
    verify_push_token,
)
from ai_service.config import Settings
from shared.errors import PermissionDenied, Transient, Unauthenticated

AUDIENCE = "https://ai-service-abc-ew.a.run.app/pubsub/push"
PUSH_SA = "pubsub-push@auraos-dev.iam.gserviceaccount.com"


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def certificate_pem(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-signer")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self.private, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()

        def b64(value: int) -> str:
            import base64

            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": b64(numbers.n),
                "e": b64(numbers.e)}  # fmt: skip


def _new_key(kid: str) -> Key:
    return Key(kid=kid, private=rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def key() -> Key:
    return _new_key("kid-1")


@pytest.fixture(scope="module")
def other_key() -> Key:
    return _new_key("kid-2")


@dataclass
class CertServer:
    """Serves `routes[path] = (status, body)` on 127.0.0.1:<free port>; counts GETs per path."""

    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    base_url: str = ""

    def serve_pem(self, path: str, *keys: Key) -> str:
        self.routes[path] = (200, json.dumps({k.kid: k.certificate_pem() for k in keys}).encode())
        return self.base_url + path

    def serve_jwks(self, path: str, *keys: Key) -> str:
        self.routes[path] = (200, json.dumps({"keys": [k.jwk() for k in keys]}).encode())
        return self.base_url + path


@pytest.fixture
def certs() -> Iterator[CertServer]:
    server_state = CertServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_state.hits[self.path] = server_state.hits.get(self.path, 0) + 1
            status, body = server_state.routes.get(self.path, (404, b"{}"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    clear_certs_cache()
    try:
        yield server_state
    finally:
        clear_certs_cache()
        httpd.shutdown()
        httpd.server_close()


def mint(key: Key, **overrides: Any) -> str:
    """A token shaped like Pub/Sub's push token; `overrides` replace (None: remove) claims."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": "1234567890",
        "sub": "1234567890",
        "email": PUSH_SA,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    signer = crypt.RSASigner.from_string(key.private_pem, key_id=key.kid)  # type: ignore[no-untyped-call]
    token: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
    return token.decode()


def verify(token: str | None, url: str, *, bearer: bool = True) -> None:
    header = None if token is None else (f"Bearer {token}" if bearer else token)
    verify_push_token(
        authorization_header=header,
        audience=AUDIENCE,
        service_account=PUSH_SA,
        request=Request(),
        certs_url=url,
    )


def test_a_pubsub_shaped_token_passes_with_pem_certs(certs: CertServer, key: Key) -> None:
    url = certs.serve_pem("/oauth2/v1/certs", key)
    verify(mint(key), url)
    verify(mint(key, iss="accounts.google.com"), url)  # both issuer spellings Google uses


def test_a_jwk_set_works_too(certs: CertServer, key: Key, other_key: Key) -> None:
    url = certs.serve_jwks("/oauth2/v3/certs", other_key, key)
    verify(mint(key), url)


def test_the_error_types_map_to_401_403_and_503() -> None:
    assert issubclass(PushUnauthenticated, Unauthenticated)
    assert issubclass(PushForbidden, PermissionDenied)
    assert issubclass(PushAuthUnavailable, Transient)
    errors = (PushUnauthenticated, PushForbidden, PushAuthUnavailable)
    assert errors == PUSH_AUTH_ERRORS
    assert [(e.code, PUSH_AUTH_STATUS[e]) for e in errors] == [
        ("unauthenticated", 401),
        ("permission-denied", 403),
        ("unavailable", 503),
    ]


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (None, "no Authorization header"),
        ("", "no Authorization header"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer ", "Bearer"),
        ("Bearer not-a-jwt", "not a JWT"),
        ("Bearer a.b.c", "not a JWT"),
    ],
)
def test_a_missing_or_malformed_header_is_unauthenticated(
    certs: CertServer, key: Key, header: str | None, match: str
) -> None:
    url = certs.serve_pem("/certs", key)
    with pytest.raises(PushUnauthenticated, match=match):
        verify(header, url, bearer=False)
    assert certs.hits == {}  # refused before any key fetch


def test_the_scheme_is_case_insensitive(certs: CertServer, key: Key) -> None:
    url = certs.serve_pem("/certs", key)
    verify(f"bearer {mint(key)}", url, bearer=False)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"aud": "https://elsewhere.example/push"}, "wrong audience"),
        ({"aud": None}, "wrong audience"),
        ({"iss": "https://evil.example"}, "accounts.google.com"),
        ({"iss": None}, "accounts.google.com"),
        ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "expired"),
        ({"iat": int(time.time()) + 600}, "early"),
    ],
)
def test_bad_claims_are_unauthenticated(
    certs: CertServer, key: Key, overrides: dict[str, Any], match: str
) -> None:
    url = certs.serve_pem("/certs", key)
    with pytest.raises(PushUnauthenticated, match=match):
        verify(mint(key, **overrides), url)


def test_a_token_signed_by_another_key_is_unauthenticated(
    certs: CertServer, key: Key, other_key: Key
) -> None:
    url = certs.serve_pem("/certs", key)
    forged = mint(Key(kid=key.kid, private=other_key.private))  # right kid, wrong key
    with pytest.raises(PushUnauthenticated, match="signature"):
        verify(forged, url)
    with pytest.raises(PushUnauthenticated, match="not found"):
        verify(mint(other_key), url)


def test_a_tampered_payload_is_unauthenticated(certs: CertServer, key: Key) -> None:
    url = certs.serve_pem("/certs", key)
    header, _, signature = mint(key).split(".")
    _, payload, _ = mint(key, email="attacker@evil.example").split(".")
    with pytest.raises(PushUnauthenticated, match="signature"):
        verify(f"{header}.{payload}.{signature}", url)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"email": "someone-else@auraos-dev.iam.gserviceaccount.com"}, "another service account"),
        ({"email": None}, "another service account"),
        ({"email_verified": False}, "not verified"),
        ({"email_verified": None}, "not verified"),
        ({"email_verified": "true"}, "not verified"),
    ],
)
def test_a_valid_token_for_another_identity_is_forbidden(
    certs: CertServer, key: Key, overrides: dict[str, Any], match: str
) -> None:
    url = certs.serve_pem("/certs", key)
    with pytest.raises(PushForbidden, match=match):
        verify(mint(key, **overrides), url)


def test_keys_are_fetched_once_and_refetched_for_a_new_key_id(
    certs: CertServer, key: Key, other_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = certs.serve_pem("/certs", key)
    for _ in range(3):
        verify(mint(key), url)
    assert certs.hits == {"/certs": 1}

    certs.serve_pem("/certs", key, other_key)  # Google rotates in a new signing key
    # An unknown kid refetches only when the keys are 30 s old, so junk cannot hammer Google.
    with pytest.raises(PushUnauthenticated, match="not found"):
        verify(mint(other_key), url)
    assert certs.hits == {"/certs": 1}

    monkeypatch.setattr(push_auth, "_REFRESH_UNKNOWN_KID_S", 0.0)  # as if 30 s had passed
    verify(mint(other_key), url)
    assert certs.hits == {"/certs": 2}
    verify(mint(key), url)
    assert certs.hits == {"/certs": 2}


def test_unreachable_or_broken_key_endpoints_are_transient(certs: CertServer, key: Key) -> None:
    certs.routes["/down"] = (500, b"oops")
    certs.routes["/garbage"] = (200, b"<html>")
    certs.routes["/list"] = (200, b"[1, 2]")
    for path in ("/down", "/garbage", "/list"):
        with pytest.raises(PushAuthUnavailable):
            verify(mint(key), certs.base_url + path)
    with pytest.raises(PushAuthUnavailable, match="cannot fetch"):
        verify(mint(key), "http://127.0.0.1:9/certs")  # discard port: connection refused


def test_failed_fetches_are_not_cached(certs: CertServer, key: Key) -> None:
    certs.routes["/certs"] = (503, b"{}")
    with pytest.raises(PushAuthUnavailable):
        verify(mint(key), certs.base_url + "/certs")
    certs.serve_pem("/certs", key)
    verify(mint(key), certs.base_url + "/certs")


def test_configuration_must_name_audience_and_account() -> None:
    with pytest.raises(ValueError, match="audience"):
        verify_push_token(authorization_header="Bearer x", audience="", service_account=PUSH_SA)


def _settings(**values: object) -> Settings:
    return Settings.model_validate({"project_id": "demo-unit", **values})


def test_verify_push_request_follows_the_settings(certs: CertServer, key: Key) -> None:
    url = certs.serve_pem("/certs", key)
    configured = _settings(
        push_audience=AUDIENCE, push_service_account=PUSH_SA, require_push_auth=True
    )
    header = f"Bearer {mint(key)}"

    assert verify_push_request(
        settings=configured, authorization_header=header, request=Request(), certs_url=url
    )
    with pytest.raises(PushUnauthenticated):
        verify_push_request(settings=configured, authorization_header=None, certs_url=url)
    # Explicitly opted out (the local stack): nothing to check, the push route carries on.
    opted_out = _settings(require_push_auth=False)
    assert not verify_push_request(settings=opted_out, authorization_header=None)


def test_push_auth_is_required_unless_a_deployment_opts_out() -> None:
    """Before: off by default, so a direct POST could answer another user's queued turn."""
    with pytest.raises(ValueError, match="AURAOS_REQUIRE_PUSH_AUTH=false"):
        _settings()
    assert _settings(require_push_auth=False).require_push_auth is False
    assert _settings(push_audience=AUDIENCE, push_service_account=PUSH_SA).require_push_auth


@pytest.mark.parametrize(
    "values",
    [{"push_audience": AUDIENCE}, {"push_service_account": PUSH_SA}],
)
def test_half_configured_push_auth_is_refused_at_start_up_and_fails_closed(
    values: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="AURAOS_PUSH_AUDIENCE and AURAOS_PUSH_SERVICE_ACCOUNT"):
        _settings(**values)
    # Settings built without validation (never in the app) still cannot open the door.
    unchecked = Settings.model_construct(
        project_id="demo-unit",
        push_audience=values.get("push_audience"),
        push_service_account=values.get("push_service_account"),
    )
    with pytest.raises(PushAuthUnavailable, match="half configured"):
        verify_push_request(settings=unchecked, authorization_header="Bearer x")
