"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: models loaded)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from .state import services

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> ResponseReturnValue:
    state = services()
    return jsonify(
        status="ready", project=state.settings.project_id, analyzer=type(state.analyzer).__name__
    )
