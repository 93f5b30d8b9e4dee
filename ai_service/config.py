"""Typed settings of ai_service, from `AURAOS_*` environment variables, validated at start-up.

One `Settings` for the service: its own values, plus the LLM providers (`settings.llm`,
`AURAOS_LLM_*`, generation/provider_config.py) and the trained models (`settings.ml`,
`AURAOS_ML_*`, ml/config.py) as sections read by the same pydantic-settings mechanism. The values
functions must agree with come from shared/settings.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import MaxTurnAttempts, TurnLeaseSeconds

from .generation.provider_config import LLMConfig, load_llm_config
from .ml.config import MLSettings


class Settings(BaseSettings):
    """Fails start-up (not the first request) when a value is missing or malformed."""

    model_config = SettingsConfigDict(
        env_prefix="AURAOS_", frozen=True, extra="ignore", populate_by_name=True
    )

    project_id: str = Field(
        min_length=1,
        validation_alias=AliasChoices(
            "AURAOS_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    turn_lease_s: TurnLeaseSeconds
    max_turn_attempts: MaxTurnAttempts
    stream_min_interval_ms: int = Field(default=150, ge=0, le=5000)
    history_turns: int = Field(default=4, ge=0, le=50)
    # How stale `config/flags` may be (0 reads it for every message).
    flags_max_age_s: float = Field(default=30.0, ge=0, le=3600)
    # The trained NLU, recommendation and anomaly models (ai_service/models); off: keyword rules.
    ml_models: bool = True
    # The embedded model (see ai_service/models/llm/MODEL.md and bench/README.md): `threads`
    # decode each slot; `batch_threads` read prompts (prefill uses every core even where decoding
    # on a shared machine does not); the host prompt cache keeps recent conversations' prefixes;
    # `read_ahead` reads a re-based turn's prompt while the model is idle (off: no work between
    # turns, for a host whose cores other work needs).
    llm_local_model: str = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    llm_local_threads: int = Field(default=1, ge=1, le=64)
    llm_local_batch_threads: int = Field(default=2, ge=1, le=64)
    llm_local_parallel: int = Field(default=2, ge=1, le=16)
    llm_local_n_ctx: int = Field(default=2048, ge=256, le=32768)
    llm_local_cache_mib: int = Field(default=256, ge=0, le=65536)
    llm_local_read_ahead: bool = True
    # Pub/Sub push authentication: every push must carry a valid OIDC token for this audience,
    # minted for this service account. Safe by default: a service that is not told who may push
    # refuses to start; the local stack opts out explicitly (AURAOS_REQUIRE_PUSH_AUTH=false,
    # set by emulators/env.sh and emulators/ai_service.sh), as do tests and benchmarks.
    push_audience: str | None = None
    push_service_account: str | None = None
    require_push_auth: bool = True
    llm: LLMConfig = Field(default_factory=load_llm_config)
    ml: MLSettings = Field(default_factory=MLSettings)

    @model_validator(mode="after")
    def _push_auth_is_complete(self) -> Settings:
        half_configured = bool(self.push_audience) != bool(self.push_service_account)
        if half_configured or (
            self.require_push_auth and not (self.push_audience and self.push_service_account)
        ):
            raise ValueError(
                "push auth needs AURAOS_PUSH_AUDIENCE and AURAOS_PUSH_SERVICE_ACCOUNT (a local "
                "stack without Pub/Sub OIDC tokens sets AURAOS_REQUIRE_PUSH_AUTH=false)"
            )
        return self
