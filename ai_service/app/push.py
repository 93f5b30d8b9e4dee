"""Pub/Sub push endpoint: 400 for garbage, 204 when done (or permanently failed and recorded),
503 for a transient failure so Pub/Sub redelivers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from opentelemetry.trace import SpanKind

from shared import paths
from shared.errors import AuraError, InvalidInput, Transient
from shared.events import AnalyticsRecorded, ChatRequested, decode_push_body
from shared.tracing import TURN_PATH_ATTRIBUTE, context_from_traceparent, tracer

from .push_auth import PUSH_AUTH_ERRORS, PUSH_AUTH_STATUS, verify_push_request
from .state import services

log = logging.getLogger(__name__)
push = Blueprint("push", __name__)


@push.post("/pubsub/push")
def receive() -> ResponseReturnValue:
    try:
        verify_push_request(
            settings=services().settings,
            authorization_header=request.headers.get("Authorization"),
        )
    except PUSH_AUTH_ERRORS as error:
        log.warning("push refused", extra={"code": error.code, "reason": error.message})
        return jsonify(error=error.code), PUSH_AUTH_STATUS[type(error)]
    try:
        message_id, delivery_attempt, envelope = decode_push_body(request.get_json(silent=True))
    except InvalidInput as error:
        log.warning("malformed push message", extra={"reason": error.message})
        return jsonify(error=error.code, message=error.message, details=error.details), 400
    g.log_fields = {
        "messageId": message_id,
        "idempotencyKey": envelope.idempotency_key,
        "messageType": envelope.data.type,
        "deliveryAttempt": delivery_attempt,
    }
    message = envelope.data
    try:
        if isinstance(message, ChatRequested):
            path = paths.turn(message.uid, message.conversation_id, message.turn_id)
            with tracer().start_as_current_span(
                "ai_service.chat_turn",
                context=context_from_traceparent(envelope.traceparent),
                kind=SpanKind.CONSUMER,
                attributes={
                    TURN_PATH_ATTRIBUTE: path,
                    "auraos.turn.attempt": message.attempt,
                    "messaging.message.id": message_id,
                },
            ) as span:
                outcome = services().chat.run(message=message, event_id=envelope.idempotency_key)
                span.set_attribute("auraos.outcome", outcome.value)
            g.log_fields.update(uid=message.uid, turnId=message.turn_id, outcome=outcome.value)
        elif isinstance(message, AnalyticsRecorded):
            done = services().analytics.run(message=message)
            g.log_fields.update(uid=message.uid, eventId=message.event_id, outcome=done.value)
        else:
            log.info("message type not handled here; acknowledging", extra=g.log_fields)
    except Transient as error:
        log.warning(
            "transient failure; asking Pub/Sub to redeliver", extra={"reason": error.message}
        )
        return jsonify(error=error.code, message=error.message), 503
    except AuraError as error:
        # Permanent: it will never succeed, so acknowledge after recording why.
        log.error("message failed permanently", extra={"code": error.code, "reason": error.message})
    return Response(status=204)
