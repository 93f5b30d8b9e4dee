"""The Flask application factory: validate configuration, load models once, register routes."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from shared.logs import configure_logging, trace_id_from_headers
from shared.models.base import utc_now
from shared.tracing import TraceConfig, configure_tracing

from ..clients import firestore_client
from ..config import Settings
from ..flags import FlagsReader
from ..nlu.analysis import Analyzer, Embedder
from ..nlu.baseline import BaselineAnalyzer
from ..pipeline.analytics import AnalyticsProcessor
from ..pipeline.chat import (
    STANDING_SYSTEM_PROMPT,
    ChatPipeline,
    PipelineSettings,
    ReplyGenerator,
)
from ..stores.assistant import AssistantStore
from ..stores.memory import MemoryStore
from ..tools import dates
from ..tools.service import ToolTurns
from .health import health
from .push import push
from .state import SERVICES_KEY, Services

if TYPE_CHECKING:  # the ML stack is imported only when the models are on
    from ..ml.anomaly import AnomalyDetector
    from ..ml.recsys import Recommender

log = logging.getLogger("ai_service.request")


def create_app(
    settings: Settings | None = None, *, generator: ReplyGenerator | None = None
) -> Flask:
    """Build the app. Configuration errors raise here, so a bad deploy never becomes ready."""
    settings = settings or Settings()  # values come from the environment
    configure_logging(level=settings.log_level, project_id=settings.project_id)
    configure_tracing(service="auraos-ai-service", config=TraceConfig.from_env())
    app = Flask(__name__)
    db = firestore_client(settings.project_id)
    flags = FlagsReader(db=db, max_age_s=settings.flags_max_age_s)
    analyzer: Analyzer = BaselineAnalyzer()
    embedder: Embedder | None = None  # memory needs the trained encoder's embeddings
    detector: AnomalyDetector | None = None
    recommender: Recommender | None = None
    if settings.ml_models:
        # Imported here: onnxruntime and scikit-learn load only when the models are on.
        from ..ml.registry import EXTENSION_KEY, ModelRegistry  # noqa: PLC0415
        from ..ml.routes import ml_api  # noqa: PLC0415

        registry = ModelRegistry.load(settings.ml)
        registry.warm_up()
        analyzer, detector, recommender = (
            registry.analyzer,
            registry.anomaly,
            registry.recommender,
        )
        embedder = registry.analyzer
        app.extensions[EXTENSION_KEY] = registry
        app.register_blueprint(ml_api)
    if generator is None:
        # Imported here: it pulls the LLM runtime, which tests that inject a generator never need.
        from ..generation.factory import build_generator  # noqa: PLC0415

        generator = build_generator(settings, shared_system=STANDING_SYSTEM_PROMPT)
    pipeline = ChatPipeline(
        db=db,
        analyzer=analyzer,
        generator=generator,
        settings=PipelineSettings(
            lease=timedelta(seconds=settings.turn_lease_s),
            stream_interval_s=settings.stream_min_interval_ms / 1000,
            history_turns=settings.history_turns,
        ),
        clock=utc_now,
        tools=ToolTurns(store=AssistantStore(db), embedder=embedder),
        memory=MemoryStore(db),
        embedder=embedder,
        flags=flags.get,
    )
    dates.warm_up()  # the date parser's data, loaded now rather than on the first reminder
    analytics = AnalyticsProcessor(
        db=db, detector=detector, recommender=recommender, clock=utc_now, flags=flags.get
    )
    app.extensions[SERVICES_KEY] = Services(
        settings=settings,
        db=db,
        analyzer=analyzer,
        chat=pipeline,
        flags=flags,
        analytics=analytics,
    )
    app.register_blueprint(health)
    app.register_blueprint(push)
    _install_request_logging(app)
    return app


def _install_request_logging(app: Flask) -> None:
    """One structured line per request, with the trace id Cloud Logging correlates on."""

    @app.before_request
    def start_timer() -> None:
        g.started = time.monotonic()
        g.trace = trace_id_from_headers(request.headers)

    @app.after_request
    def log_request(response: Response) -> Response:
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "httpRequest": {
                    "requestMethod": request.method,
                    "requestUrl": request.path,
                    "status": response.status_code,
                    "latency": f"{time.monotonic() - g.get('started', time.monotonic()):.3f}s",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "trace": g.get("trace"),
                **g.get("log_fields", {}),
            },
        )
        return response
