"""Pub/Sub push endpoint: 400 for garbage, 204 when done (or permanently failed and recorded),
503 for a transient failure so Pub/Sub redelivers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from shared.errors import AuraError, InvalidInput, Transient
from shared.events import AnalyticsRecorded, ChatRequested, decode_push_body

from .push_auth import PushAuthError, verify_push_request
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
    except PushAuthError as error:
        log.warning("push refused", extra={"code": error.code, "reason": error.message})
        return jsonify(error=error.code), error.http_status
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
            outcome = services().chat.run(message=message, event_id=envelope.idempotency_key)
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
