"""Analytics entry points: the event trigger, trackEvents, recommendations and admin views."""

from __future__ import annotations

from typing import Any

from firebase_functions import firestore_fn, https_fn
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared.models.base import utc_now

from ..clients import firestore_client
from ..services import analytics
from .boundary import callable_function, caller_uid, require_admin


@firestore_fn.on_document_created(document="analytics_events/{eventId}")
def on_analytics_event(
    event: firestore_fn.Event[DocumentSnapshot[DocumentReference] | None],
) -> None:
    analytics.record_and_forward(
        db=firestore_client(), event_id=event.params["eventId"], now=utc_now()
    )


@callable_function
def trackEvents(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return analytics.track_events(db=firestore_client(), uid=caller_uid(request), data=request.data)


@callable_function
def getRecommendations(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return analytics.get_recommendations(db=firestore_client(), uid=caller_uid(request))


@callable_function
def getAnalyticsSummary(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    require_admin(request)
    return analytics.analytics_summary(db=firestore_client(), data=request.data)


@callable_function
def listSecurityAlerts(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    require_admin(request)
    return analytics.list_alerts(db=firestore_client(), data=request.data)


@callable_function
def acknowledgeAlert(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    return analytics.acknowledge_alert(
        db=firestore_client(), admin_uid=require_admin(request), data=request.data, now=utc_now()
    )
