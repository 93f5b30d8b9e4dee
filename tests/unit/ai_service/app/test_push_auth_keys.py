"""Push tokens against odd key sets and odd tokens: what is not a usable key is skipped, a token
whose header is not an object is refused, and an unreachable key endpoint is transient."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ai_service.app.push_auth import (
    PushAuthUnavailable,
    PushUnauthenticated,
    clear_certs_cache,
    verify_push_token,
)

AUDIENCE = "https://ai-service.example/pubsub/push"
ACCOUNT = "push@auraos-dev.iam.gserviceaccount.com"


def _segment(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _token(header: Any) -> str:
    return f"{_segment(header)}.{_segment({'aud': AUDIENCE})}.c2lnbmF0dXJl"


@dataclass
class _Response:
    status: int
    data: bytes


@dataclass
class _KeyEndpoint:
    """A google.auth transport Request that answers every GET with one body."""

    body: Any
    fetches: int = 0

    def __call__(self, *, url: str, method: str = "GET", **kwargs: Any) -> _Response:
        self.fetches += 1
        return _Response(status=200, data=json.dumps(self.body).encode())


@pytest.fixture(autouse=True)
def _no_cached_keys() -> Iterator[None]:
    clear_certs_cache()
    yield
    clear_certs_cache()


def _verify(token: str, endpoint: Any, *, url: str | None = None) -> None:
    verify_push_token(
        authorization_header=f"Bearer {token}",
        audience=AUDIENCE,
        service_account=ACCOUNT,
        request=endpoint,
        certs_url=url or f"https://keys.example/{uuid.uuid4().hex}",
    )


def test_a_token_whose_header_is_not_an_object_is_not_a_jwt() -> None:
    endpoint = _KeyEndpoint({})

    with pytest.raises(PushUnauthenticated, match="push token is not a JWT"):
        _verify(_token(["RS256"]), endpoint)
    assert endpoint.fetches == 0  # refused before any key is fetched


def test_keys_that_are_not_rsa_signing_keys_or_are_malformed_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = _KeyEndpoint(
        {
            "keys": [
                {"kty": "EC", "kid": "k1", "crv": "P-256", "x": "AA", "y": "AA"},
                {"kty": "RSA", "kid": "k1", "use": "enc", "e": "AQAB", "n": "AQAB"},
                {"kty": "RSA", "kid": "k1", "e": "AQAB"},  # no modulus
                "not a key",
            ]
        }
    )

    with (
        caplog.at_level(logging.WARNING, logger="ai_service.app.push_auth"),
        pytest.raises(PushUnauthenticated, match="invalid push token"),
    ):
        _verify(_token({"alg": "RS256", "kid": "k1"}), endpoint)

    assert "skipping a malformed JWK" in caplog.text
    assert endpoint.fetches == 1  # a key set this fresh is not refetched for the unknown key id


def test_an_unreachable_key_endpoint_is_transient_with_the_default_transport() -> None:
    with pytest.raises(PushAuthUnavailable, match="cannot fetch push token keys"):
        _verify(_token({"alg": "RS256", "kid": "k1"}), None, url="http://127.0.0.1:9/certs")
