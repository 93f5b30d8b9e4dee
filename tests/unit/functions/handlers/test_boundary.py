"""The callable boundary: who is let in (auth, App Check when enforced, admin role)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from firebase_functions import https_fn
from flask import Request

from auraos_functions.config import settings
from auraos_functions.handlers.boundary import caller_uid, require_admin, to_https_error
from shared.errors import PermissionDenied, RateLimited, Unauthenticated


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GCLOUD_PROJECT", "demo-unit")
    settings.cache_clear()
    yield
    settings.cache_clear()


def _request(
    *, uid: str | None = "u1", role: str | None = "user", app: bool = False
) -> https_fn.CallableRequest[Any]:
    auth = None if uid is None else https_fn.AuthData(uid=uid, token={"role": role})
    app_data = https_fn.AppCheckData(app_id="1:web:abc", token={}) if app else None
    return https_fn.CallableRequest(
        data={}, raw_request=Request(Request.from_values().environ), auth=auth, app=app_data
    )


def test_signed_in_callers_pass_and_anonymous_ones_do_not() -> None:
    assert caller_uid(_request()) == "u1"
    with pytest.raises(Unauthenticated, match="Sign in"):
        caller_uid(_request(uid=None))


def test_app_check_is_required_only_where_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    assert caller_uid(_request(app=False)) == "u1"
    monkeypatch.setenv("AURAOS_APP_CHECK_ENFORCED", "true")
    settings.cache_clear()

    with pytest.raises(Unauthenticated, match="App Check"):
        caller_uid(_request(app=False))
    assert caller_uid(_request(app=True)) == "u1"


def test_admin_callables_need_the_admin_role() -> None:
    assert require_admin(_request(role="admin")) == "u1"
    with pytest.raises(PermissionDenied):
        require_admin(_request(role="user"))
    with pytest.raises(PermissionDenied):
        require_admin(_request(role=None))


def test_our_errors_keep_their_code_and_details_on_the_wire() -> None:
    error = to_https_error(RateLimited("Too many calls.", retry_after_s=12.5))
    assert error.code is https_fn.FunctionsErrorCode.RESOURCE_EXHAUSTED
    assert error.message == "Too many calls."
    assert error.details == {"retryAfterSeconds": 12.5}
