"""What a running app holds: settings, clients and loaded models, built once in `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from google.cloud import firestore

from ..config import Settings
from ..flags import FlagsReader
from ..nlu.analysis import Analyzer
from ..pipeline.analytics import AnalyticsProcessor
from ..pipeline.chat import ChatPipeline

SERVICES_KEY = "auraos"


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: firestore.Client
    analyzer: Analyzer
    chat: ChatPipeline
    flags: FlagsReader
    analytics: AnalyticsProcessor


def services() -> Services:
    found: Services = current_app.extensions[SERVICES_KEY]
    return found
