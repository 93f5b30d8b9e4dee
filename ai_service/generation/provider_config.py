"""Typed configuration of the LLM providers and the router, read from `AURAOS_LLM_*` variables.

Environment variables (all optional; read only when `load_llm_config` is called):

Per SDK provider, with P in OPENAI, ANTHROPIC:
    AURAOS_LLM_P_API_KEY      the API key; without one the provider is left out of the chain.
                              Placeholders ("changeme", "your-key-here", "<...>") are refused.
    AURAOS_LLM_P_BASE_URL     endpoint override (proxies, gateways, local fakes in tests).
    AURAOS_LLM_P_MODEL        default model (a conversation may choose another allowed model).
    AURAOS_LLM_P_TIMEOUT_S    per-request timeout in seconds (default 20).
    AURAOS_LLM_P_MAX_RETRIES  retries of transient failures before falling back (default 1).
    AURAOS_LLM_P_ENABLED      "false" switches the provider off even when it has a key.
Gemini on Vertex AI (authenticates with Application Default Credentials, so it has no key):
    AURAOS_LLM_VERTEX_PROJECT the Google Cloud project; without one Vertex is left out.
    AURAOS_LLM_VERTEX_LOCATION region or "global" (default "global").
    AURAOS_LLM_VERTEX_BASE_URL, _MODEL, _TIMEOUT_S, _MAX_RETRIES, _ENABLED as above.
The bundled local model (needs no key):
    AURAOS_LLM_LOCAL_ENABLED  "false" removes it from the chain (default true).
Routing:
    AURAOS_LLM_CHAIN          comma-separated fallback order
                              (default "openai,anthropic,vertex,local").
    AURAOS_LLM_ALLOWED_MODELS JSON {"provider": ["model", ...]}: the models a conversation may
                              pick; replaces the default lists for the providers it names.
    AURAOS_LLM_PRICES         JSON {"model": [input_usd_per_mtok, output_usd_per_mtok]}, merged
                              over the defaults in costs.py.
    AURAOS_LLM_BACKOFF_INITIAL_S / AURAOS_LLM_BACKOFF_MAX_S  retry backoff (defaults 0.5 / 4).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator

from shared.models.base import Frozen

from .costs import DEFAULT_PRICES, ModelPrice

OPENAI = "openai"
ANTHROPIC = "anthropic"
VERTEX = "vertex"
LOCAL = "local"
KNOWN_PROVIDERS = (OPENAI, ANTHROPIC, VERTEX, LOCAL)
DEFAULT_CHAIN = (OPENAI, ANTHROPIC, VERTEX, LOCAL)

DEFAULT_MODELS = {
    OPENAI: "gpt-4.1-mini",
    ANTHROPIC: "claude-haiku-4-5",
    VERTEX: "gemini-3.1-flash-lite",
}
DEFAULT_ALLOWED_MODELS: Mapping[str, tuple[str, ...]] = {
    OPENAI: ("gpt-4.1-mini", "gpt-4.1-nano", "gpt-5.4-mini", "gpt-5.4-nano"),
    ANTHROPIC: ("claude-haiku-4-5", "claude-sonnet-4-6"),
    VERTEX: ("gemini-3.1-flash-lite", "gemini-3-flash"),
}

_ENV = "AURAOS_LLM_"
_PLACEHOLDER_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "placeholder",
        "todo",
        "tbd",
        "none",
        "null",
        "secret",
        "apikey",
        "api-key",
        "api_key",
        "dummy",
        "test",
        "sk-",
        "sk-...",
    }
)
# "your-key-here", "YOUR_API_KEY", "<openai key>", "${OPENAI_KEY}", "xxxx", "****", "...".
_PLACEHOLDER_PATTERN = re.compile(r"^(your[-_ ].*|<.*>|\$\{.*\}|x+|\*+|\.+|-+)$", re.IGNORECASE)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class LLMConfigError(ValueError):
    """The LLM configuration is unusable; raised at start-up, never per request."""


def is_transient_status(status: int) -> bool:
    """HTTP statuses worth retrying: timeouts, conflicts, rate limits and server errors."""
    return status in (408, 409, 429) or status >= 500


def is_placeholder_key(key: str) -> bool:
    """True for values copied from a template rather than a real key."""
    value = key.strip()
    return value.lower() in _PLACEHOLDER_KEYS or bool(_PLACEHOLDER_PATTERN.match(value))


class ProviderSettings(Frozen):
    """One API-key provider (OpenAI, Anthropic). The key is a SecretStr so it never prints."""

    enabled: bool = True
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout_s: float = Field(default=20.0, gt=0.0, le=600.0)
    max_retries: int = Field(default=1, ge=0, le=10)
    default_model: str = Field(min_length=1)

    @model_validator(mode="after")
    def _no_placeholder_key(self) -> ProviderSettings:
        if self.api_key is not None and is_placeholder_key(self.api_key.get_secret_value()):
            raise ValueError("api_key looks like a placeholder, not a real key")
        return self

    @property
    def usable(self) -> bool:
        return self.enabled and self.api_key is not None


class VertexSettings(Frozen):
    """Gemini on Vertex AI: project and location instead of a key (ADC authenticates)."""

    enabled: bool = True
    project: str | None = None
    location: str = Field(default="global", min_length=1)
    base_url: str | None = None
    timeout_s: float = Field(default=20.0, gt=0.0, le=600.0)
    max_retries: int = Field(default=1, ge=0, le=10)
    default_model: str = Field(default=DEFAULT_MODELS[VERTEX], min_length=1)

    @property
    def usable(self) -> bool:
        return self.enabled and bool(self.project)


class LLMConfig(Frozen):
    """Everything the router needs: providers, their order, allowed models, prices, backoff."""

    openai: ProviderSettings = ProviderSettings(default_model=DEFAULT_MODELS[OPENAI])
    anthropic: ProviderSettings = ProviderSettings(default_model=DEFAULT_MODELS[ANTHROPIC])
    vertex: VertexSettings = VertexSettings()
    local_enabled: bool = True
    chain: tuple[str, ...] = DEFAULT_CHAIN
    allowed_models: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_ALLOWED_MODELS)
    )
    prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    backoff_initial_s: float = Field(default=0.5, ge=0.0, le=30.0)
    backoff_max_s: float = Field(default=4.0, ge=0.0, le=60.0)

    @model_validator(mode="after")
    def _known_names(self) -> LLMConfig:
        unknown = [
            name for name in (*self.chain, *self.allowed_models) if name not in KNOWN_PROVIDERS
        ]
        if unknown:
            raise ValueError(f"unknown providers {sorted(set(unknown))}; known: {KNOWN_PROVIDERS}")
        if len(set(self.chain)) != len(self.chain):
            raise ValueError("chain names a provider twice")
        return self

    def active_chain(self) -> tuple[str, ...]:
        """The chain without the providers that are disabled or lack credentials."""
        usable = {
            OPENAI: self.openai.usable,
            ANTHROPIC: self.anthropic.usable,
            VERTEX: self.vertex.usable,
            LOCAL: self.local_enabled,
        }
        return tuple(name for name in self.chain if usable[name])

    def max_retries(self) -> dict[str, int]:
        """Retries of transient failures per provider; the local model is not retried."""
        return {
            OPENAI: self.openai.max_retries,
            ANTHROPIC: self.anthropic.max_retries,
            VERTEX: self.vertex.max_retries,
            LOCAL: 0,
        }


def load_llm_config(environ: Mapping[str, str] | None = None) -> LLMConfig:
    """Build the config from `AURAOS_LLM_*` variables (os.environ unless given); fails loudly."""
    env = os.environ if environ is None else environ
    try:
        return LLMConfig(
            openai=_provider_settings(env, OPENAI),
            anthropic=_provider_settings(env, ANTHROPIC),
            vertex=_vertex_settings(env),
            local_enabled=_bool(env, f"{_ENV}LOCAL_ENABLED", default=True),
            chain=_chain(env),
            allowed_models=_allowed_models(env),
            prices=_prices(env),
            **_floats(env, backoff_initial_s="BACKOFF_INITIAL_S", backoff_max_s="BACKOFF_MAX_S"),
        )
    except ValidationError as error:
        # Pydantic's message names the field but never echoes SecretStr values.
        raise LLMConfigError(f"invalid LLM configuration: {error}") from error


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = _get(env, name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise LLMConfigError(f"{name} must be true or false, not {value!r}")


def _floats(env: Mapping[str, str], **fields: str) -> dict[str, Any]:
    """Numeric fields that are set, keyed by model field; pydantic checks their ranges."""
    values: dict[str, Any] = {}
    for field, suffix in fields.items():
        raw = _get(env, f"{_ENV}{suffix}")
        if raw is not None:
            try:
                values[field] = float(raw)
            except ValueError:
                raise LLMConfigError(f"{_ENV}{suffix} must be a number, not {raw!r}") from None
    return values


def _common(env: Mapping[str, str], prefix: str) -> dict[str, Any]:
    values = _floats(env, timeout_s=f"{prefix}TIMEOUT_S")
    retries = _get(env, f"{_ENV}{prefix}MAX_RETRIES")
    if retries is not None:
        if not retries.isdigit():
            raise LLMConfigError(f"{_ENV}{prefix}MAX_RETRIES must be a whole number")
        values["max_retries"] = int(retries)
    for field, suffix in (("base_url", "BASE_URL"), ("default_model", "MODEL")):
        value = _get(env, f"{_ENV}{prefix}{suffix}")
        if value is not None:
            values[field] = value
    values["enabled"] = _bool(env, f"{_ENV}{prefix}ENABLED", default=True)
    return values


def _provider_settings(env: Mapping[str, str], name: str) -> ProviderSettings:
    prefix = f"{name.upper()}_"
    values = {"default_model": DEFAULT_MODELS[name], **_common(env, prefix)}
    key = _get(env, f"{_ENV}{prefix}API_KEY")
    if key is not None:
        if is_placeholder_key(key):
            # Refused rather than skipped: a template value in production is a deploy mistake.
            raise LLMConfigError(f"{_ENV}{prefix}API_KEY is a placeholder, not a real key")
        values["api_key"] = SecretStr(key)
    return ProviderSettings.model_validate(values)


def _vertex_settings(env: Mapping[str, str]) -> VertexSettings:
    values = _common(env, "VERTEX_")
    for field, suffix in (("project", "PROJECT"), ("location", "LOCATION")):
        value = _get(env, f"{_ENV}VERTEX_{suffix}")
        if value is not None:
            values[field] = value
    return VertexSettings.model_validate(values)


def _chain(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = _get(env, f"{_ENV}CHAIN")
    if raw is None:
        return DEFAULT_CHAIN
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


def _json(env: Mapping[str, str], name: str) -> dict[str, Any] | None:
    raw = _get(env, name)
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise LLMConfigError(f"{name} is not valid JSON: {error.msg}") from None
    if not isinstance(parsed, dict):
        raise LLMConfigError(f"{name} must be a JSON object")
    return parsed


def _allowed_models(env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    allowed = dict(DEFAULT_ALLOWED_MODELS)
    name = f"{_ENV}ALLOWED_MODELS"
    for provider, models in (_json(env, name) or {}).items():
        if not isinstance(models, list) or not all(isinstance(m, str) and m for m in models):
            raise LLMConfigError(f"{name}[{provider!r}] must be a list of model ids")
        allowed[provider] = tuple(models)
    return allowed


def _prices(env: Mapping[str, str]) -> dict[str, ModelPrice]:
    prices = dict(DEFAULT_PRICES)
    name = f"{_ENV}PRICES"
    for model, pair in (_json(env, name) or {}).items():
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(p, int | float) and not isinstance(p, bool) for p in pair)
        ):
            raise LLMConfigError(f"{name}[{model!r}] must be [input_usd, output_usd] per 1M tokens")
        try:
            prices[model] = ModelPrice(input_usd_per_mtok=pair[0], output_usd_per_mtok=pair[1])
        except ValidationError:
            raise LLMConfigError(f"{name}[{model!r}] prices must not be negative") from None
    return prices
