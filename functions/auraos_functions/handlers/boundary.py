"""The boundary of every entry point: authenticate, authorise, rate-limit, map errors.

Callables: our errors become HttpsError with their code and details; anything unexpected is
logged and becomes INTERNAL with a message that leaks nothing. Background triggers (Firestore,
Pub/Sub, schedules): a transient failure is raised again so the platform may retry, a permanent
one is logged and dropped (`background_trigger`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar, cast

import flask
from firebase_functions import https_fn
from flask import Request, Response
from google.api_core import exceptions as gexc
from opentelemetry.trace import SpanKind

from shared.errors import AuraError, PermissionDenied, RateLimited, Transient, Unauthenticated
from shared.models.base import utc_now
from shared.models.security import AuditAction
from shared.models.turn_ref import TurnRef
from shared.models.users import Role
from shared.tracing import TURN_PATH_ATTRIBUTE, configure_tracing, current_trace_id, tracer

from ..clients import firebase_app, firestore_client
from ..config import settings
from ..repositories import audit, rate_limits
from ..services import accounts

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
CallableHandler = Callable[[https_fn.CallableRequest[Any]], R]
# A background trigger: one event in, nothing out (what it did is written, published or logged).
E = TypeVar("E")
TriggerHandler = Callable[[E], None]


class GetProbeNoise(logging.Filter):
    """Drops the SDK's two root-logger lines for a GET to a callable or blocking function.

    The Functions emulator sends each blocking function a GET when it first loads it; the SDK
    answers 400 and logs "Request has invalid method. GET" and "ERROR ... Invalid request, unable
    to process." at every start-up, which reads as a failure and is none (nothing ran). A GET is
    never a real call (clients and Identity Platform POST), so the pair is dropped for GETs only:
    a malformed POST is still logged.
    """

    TEMPLATES = frozenset({"Request has invalid method. %s", "Invalid request, unable to process."})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "root" or record.msg not in self.TEMPLATES:
            return True
        return not (flask.has_request_context() and flask.request.method == "GET")


def quiet_get_probes() -> None:
    """Install GetProbeNoise on the root logger once (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(f, GetProbeNoise) for f in root.filters):
        root.addFilter(GetProbeNoise())


@contextlib.contextmanager
def turn_span(name: str, *, turn: TurnRef) -> Iterator[None]:
    """A trigger's span for one turn: the root of the turn's trace (its context travels on in
    the envelope the trigger publishes)."""
    configure_tracing(service="auraos-functions")
    attributes = {TURN_PATH_ATTRIBUTE: turn.path}
    with tracer().start_as_current_span(name, kind=SpanKind.CONSUMER, attributes=attributes):
        yield


# Google API errors that may pass on a later try (the client library's own retry gave up).
TRANSIENT_GOOGLE_ERRORS: tuple[type[Exception], ...] = (
    gexc.Aborted,
    gexc.BadGateway,
    gexc.DeadlineExceeded,
    gexc.GatewayTimeout,
    gexc.InternalServerError,
    gexc.ResourceExhausted,
    gexc.RetryError,
    gexc.ServiceUnavailable,
    gexc.TooManyRequests,
    gexc.Unknown,
)


def is_transient(error: BaseException) -> bool:
    """Whether the platform should deliver the event again: ours say so by type, Google's
    API errors by their status, and a network or timeout error is assumed to pass."""
    if isinstance(error, AuraError):
        return isinstance(error, Transient)
    return isinstance(error, (*TRANSIENT_GOOGLE_ERRORS, ConnectionError, TimeoutError))


def background_trigger(func: TriggerHandler[E]) -> TriggerHandler[E]:
    """The boundary of a Firestore, Pub/Sub or scheduled trigger, decorated under its
    `firebase_functions` decorator.

    A permanent error of ours (InvalidInput, NotFound, Conflict...) can never succeed, so it is
    logged with its reason and dropped: the trigger returns and nothing is redelivered. A
    transient one (`Transient`, a Google API error that may pass) is logged and raised again, so
    a trigger deployed with retries is run again. Anything else is logged with its stack and
    raised (a bug: the platform's own error reporting should see it).
    """

    @functools.wraps(func)
    def run(event: E) -> None:
        try:
            func(event)
        except Exception as error:
            trace = current_trace_id()
            extra = {"function": func.__name__, "trace": trace, "reason": str(error)[:500]}
            if isinstance(error, AuraError) and not isinstance(error, Transient):
                log.warning("trigger dropped the event", extra={**extra, "code": error.code})
                return
            if is_transient(error):
                log.warning("trigger failed; may be retried", extra=extra)
            else:
                log.exception("unexpected error in %s", func.__name__, extra=extra)
            raise

    return run


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
    if _sign_in_provider(request) == "anonymous":
        raise PermissionDenied(ANONYMOUS_MESSAGE)
    return uid


# Guest (anonymous) accounts skip before_user_created, so they get no profile, no consent and no
# role: they may do nothing but sign in properly. The rules refuse their writes for the same
# reason (no usable users/{uid}); here they get a message that says what to do.
ANONYMOUS_MESSAGE = "Sign in with an e-mail address to use AuraOS; guest sessions can't chat."


def _sign_in_provider(request: https_fn.CallableRequest[Any]) -> str | None:
    token = request.auth.token if request.auth is not None else {}
    firebase = token.get("firebase") if isinstance(token, dict) else None
    provider = firebase.get("sign_in_provider") if isinstance(firebase, dict) else None
    return provider if isinstance(provider, str) else None


def require_admin(request: https_fn.CallableRequest[Any]) -> str:
    """The caller's uid when their token carries the admin role."""
    uid = caller_uid(request)
    token = request.auth.token if request.auth is not None else {}
    if token.get("role") != Role.ADMIN.value:
        raise PermissionDenied("Only administrators may do this.")
    return uid


def _require_usable_account(request: https_fn.CallableRequest[Any], uid: str) -> None:
    """Revocation and account state, once per call (the SDK checked the signature only)."""
    header = request.raw_request.headers.get("Authorization", "")
    accounts.require_usable_account(
        db=firestore_client(),
        app=firebase_app(),
        uid=uid,
        id_token=header.removeprefix("Bearer ").strip(),
    )


def _spend_rate_limit(uid: str, function_name: str) -> None:
    now = utc_now()
    db = firestore_client()
    try:
        rate_limits.take_token(
            db=db,
            uid=uid,
            action=f"callable:{function_name}",
            limit=settings().rate_limit_for(function_name),
            now=now,
        )
    except RateLimited as limited:
        # One audit entry per user, callable and minute, however hard they hammer it.
        audit.record(
            db=db,
            action=AuditAction.RATE_LIMIT_TRIPPED,
            now=now,
            key=f"{uid}:{function_name}:{now:%Y%m%d%H%M}",
            actor_uid=uid,
            target_uid=uid,
            details={"action": function_name, **limited.details},
        )
        raise


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def malformed_body(request: Request) -> Response | None:
    """INVALID_ARGUMENT (400, as the SDK answers a bad request) for a JSON POST whose body is not
    `{"data": ...}` in valid JSON and UTF-8; None when the SDK may go on.

    The SDK parses the body before any of our code runs and answers INTERNAL when it cannot:
    an empty, truncated or non-JSON body, invalid UTF-8, nesting deeper than the parser's
    recursion limit, or a top-level string or number. Unpaired surrogates (`"\\ud800"`)
    parse but no store can encode them, and NaN or Infinity are not JSON (no client SDK sends
    them). Other methods and content types the SDK refuses itself.
    """
    if request.method != "POST" or request.mimetype != "application/json":
        return None
    try:
        body = json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
        usable = isinstance(body, dict) and set(body) == {"data"}
        if usable:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        usable = False
    if usable:
        return None
    log.info("malformed callable request", extra={"bytes": request.content_length})
    message = 'The request must be a JSON object {"data": ...} in UTF-8.'
    error = {"status": https_fn.FunctionsErrorCode.INVALID_ARGUMENT.name, "message": message}
    return flask.make_response(flask.jsonify(error=error), 400)


def callable_function(func: CallableHandler[R]) -> Callable[[Request], Response]:
    """`https_fn.on_call` with our boundary: the caller must be signed in (and pass App Check
    when enforced), hold an unrevoked token of a usable account (not disabled, deactivated,
    being deleted or gone) and be within their rate limit before `func` runs.

    The SDK verifies ID tokens with the default Firebase app before our code runs; creating it
    here rather than in main.py keeps imports free of environment reads.
    """

    @functools.wraps(func)
    def guarded(request: https_fn.CallableRequest[Any]) -> R:
        uid = caller_uid(request)
        _require_usable_account(request, uid)  # before the rate limit's write
        _spend_rate_limit(uid, func.__name__)
        return func(request)

    # on_call is typed as returning the decorated function, but it returns a Flask handler.
    endpoint = cast(Callable[[Request], Response], https_fn.on_call()(error_boundary(guarded)))

    @functools.wraps(endpoint)  # carries __name__ and the __firebase_endpoint__ manifest entry
    def serve(request: Request) -> Response:
        firebase_app()
        refused = malformed_body(request)
        return refused if refused is not None else endpoint(request)

    return serve
