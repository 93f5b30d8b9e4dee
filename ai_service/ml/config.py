"""Settings of the trained models, from `AURAOS_ML_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .artifacts import MODELS_DIR


class MLSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AURAOS_ML_", frozen=True, extra="ignore")

    models_dir: Path = MODELS_DIR
    #: ONNX Runtime intra-op threads for the encoder and the autoencoder (one per owned vCPU).
    threads: int = Field(default=1, ge=1, le=64)
    #: Check each artifact against the sha256 in its model card at start-up.
    verify_checksums: bool = True
    #: Optional models: start without them when their artifacts are absent.
    recommendations: bool = True
    anomaly: bool = True
    max_batch: int = Field(default=256, ge=1, le=4096)
    #: Out-of-scope threshold for intents; unset = the trained one. Higher rejects more
    #: out-of-scope text and more in-scope text too (ai_service/ml/README.md has the trade-off).
    intent_threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    #: The intent cascade (ml/intent_escalation.py): texts the served encoder's intent head is
    #: unsure of are re-read by the larger teacher model. Off: faster, 0.9 points less accurate.
    intent_escalation: bool = True
