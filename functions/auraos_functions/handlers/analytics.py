"""Analytics entry points: the event trigger, trackEvents, recommendations and admin views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from firebase_functions import firestore_fn, https_fn
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared.models.base import utc_now
from shared.models.callable_requests import (
    AcknowledgeRequest,
    AlertListRequest,
    SummaryRequest,
    TrackEventsRequest,
)

from ..clients import firestore_client
from ..services import analytics
from ..services.requests import parse_request
from .boundary import background_trigger, callable_function, caller_uid, require_admin


@firestore_fn.on_document_created(document="analytics_events/{eventId}")
@background_trigger
def on_analytics_event(
    event: firestore_fn.Event[DocumentSnapshot[DocumentReference] | None],
) -> None:
    analytics.record_and_forward(
        db=firestore_client(), event_id=event.params["eventId"], now=utc_now()
    )


@callable_function
def trackEvents(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    uid = caller_uid(request)
    tracked = analytics.track_events(
        db=firestore_client(), uid=uid, request=parse_request(TrackEventsRequest, request.data)
    )
    return tracked.to_json_dict()


@callable_function
def getRecommendations(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    stored = analytics.get_recommendations(db=firestore_client(), uid=caller_uid(request))
    if stored is None:
        return {"items": [], "updatedAt": None}
    return {
        "items": [item.to_json_dict() for item in stored.items],
        "modelVersion": stored.model_version,
        "updatedAt": stored.updated_at.isoformat(),
    }


@callable_function
def getAnalyticsSummary(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    require_admin(request)
    days = analytics.analytics_summary(
        db=firestore_client(), request=parse_request(SummaryRequest, request.data)
    )
    return {
        "days": [
            {"day": d.day, "activeUsers": d.active_users, "events": d.events, "byType": d.by_type}
            for d in days
        ]
    }


def _json_time(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@callable_function
def listSecurityAlerts(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    require_admin(request)
    stored = analytics.list_alerts(
        db=firestore_client(), request=parse_request(AlertListRequest, request.data)
    )
    alerts = [
        {"id": s.alert_id, **{k: _json_time(v) for k, v in s.alert.to_document().items()}}
        for s in stored
    ]
    return {"alerts": alerts}


@callable_function
def acknowledgeAlert(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    admin_uid = require_admin(request)
    alert_id = analytics.acknowledge_alert(
        db=firestore_client(),
        admin_uid=admin_uid,
        request=parse_request(AcknowledgeRequest, request.data),
        now=utc_now(),
    )
    return {"alertId": alert_id, "acknowledged": True}
