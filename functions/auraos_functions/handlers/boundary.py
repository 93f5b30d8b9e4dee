"""The error boundary of every entry point: AuraError -> HttpsError, anything else -> INTERNAL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from firebase_functions import https_fn
from flask import Request, Response

from shared.errors import AuraError, Unauthenticated

from ..clients import firebase_app
from ..config import settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def to_https_error(error: AuraError) -> https_fn.HttpsError:
    """The callable-protocol form of one of our errors; its details reach the client."""
    code = https_fn.FunctionsErrorCode(error.code)
    return https_fn.HttpsError(code, error.message, error.details or None)


def error_boundary(func: Callable[P, R]) -> Callable[P, R]:
    """Map our errors to their HttpsError codes; log and hide everything unexpected."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except https_fn.HttpsError:
            raise
        except AuraError as error:
            log.info("request refused", extra={"code": error.code, "reason": error.message})
            raise to_https_error(error) from error
        except Exception as error:
            log.exception("unexpected error in %s", func.__name__)
            raise https_fn.HttpsError(
                https_fn.FunctionsErrorCode.INTERNAL, "Something went wrong; please retry."
            ) from error

    return wrapper


def caller_uid(request: https_fn.CallableRequest[Any]) -> str:
    """The verified uid of a callable's caller (and its App Check token when that is enforced)."""
    if request.auth is None:
        raise Unauthenticated("Sign in to call this function.")
    if settings().app_check_enforced and request.app is None:
        raise Unauthenticated("This app could not be verified (App Check).")
    uid: str | None = request.auth.uid
    if not uid:
        raise Unauthenticated("Sign in to call this function.")
    return uid


def callable_function(
    func: Callable[[https_fn.CallableRequest[Any]], R],
) -> Callable[[Request], Response]:
    """`https_fn.on_call` behind our error boundary, with the Admin SDK app created on first call.

    The SDK verifies ID tokens with the default Firebase app before our code runs; creating it
    here rather than in main.py keeps imports free of environment reads.
    """
    # on_call is typed as returning the decorated function, but it returns a Flask handler.
    endpoint = cast(Callable[[Request], Response], https_fn.on_call()(error_boundary(func)))

    @functools.wraps(endpoint)  # carries __name__ and the __firebase_endpoint__ manifest entry
    def serve(request: Request) -> Response:
        firebase_app()
        return endpoint(request)

    return serve
