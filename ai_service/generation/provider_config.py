"""Typed configuration of the LLM providers and the router, read from `AURAOS_LLM_*` variables.

A pydantic-settings section of ai_service's `Settings` (`settings.llm`), validated at start-up.
Environment variables (all optional):

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

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources.utils import parse_env_vars

from shared.errors import ConfigurationError
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


class LLMConfigError(ConfigurationError):
    """The LLM configuration is unusable; raised at start-up, never per request."""


def _stripped(value: object) -> object:
    """Variables as people paste them: surrounding blanks dropped, a blank value unset."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def is_transient_status(status: int) -> bool:
    """HTTP statuses worth retrying: timeouts, conflicts, rate limits and server errors."""
    return status in (408, 409, 429) or status >= 500


def is_placeholder_key(key: str) -> bool:
    """True for values copied from a template rather than a real key."""
    value = key.strip()
    return value.lower() in _PLACEHOLDER_KEYS or bool(_PLACEHOLDER_PATTERN.match(value))


class _Endpoint(Frozen):
    """What every cloud provider's section has (`AURAOS_LLM_P_ENABLED`, `_BASE_URL`,
    `_TIMEOUT_S`, `_MAX_RETRIES`); a blank variable counts as unset."""

    @model_validator(mode="before")
    @classmethod
    def _strip(cls, values: object) -> object:
        if isinstance(values, dict):
            stripped = {name: _stripped(value) for name, value in values.items()}
            return {name: value for name, value in stripped.items() if value is not None}
        return values

    enabled: bool = True
    base_url: str | None = None
    timeout_s: float = Field(default=20.0, gt=0.0, le=600.0)
    max_retries: int = Field(default=1, ge=0, le=10)


class ProviderSettings(_Endpoint):
    """One API-key provider (OpenAI, Anthropic). The key is a SecretStr so it never prints."""

    api_key: SecretStr | None = None
    # `AURAOS_LLM_P_MODEL`
    default_model: str = Field(
        min_length=1, validation_alias=AliasChoices("model", "default_model", "defaultModel")
    )

    @model_validator(mode="after")
    def _no_placeholder_key(self) -> ProviderSettings:
        if self.api_key is not None and is_placeholder_key(self.api_key.get_secret_value()):
            raise ValueError("api_key looks like a placeholder, not a real key")
        return self

    @property
    def usable(self) -> bool:
        return self.enabled and self.api_key is not None


class VertexSettings(_Endpoint):
    """Gemini on Vertex AI: project and location instead of a key (ADC authenticates)."""

    project: str | None = None
    location: str = Field(default="global", min_length=1)
    default_model: str = Field(
        default=DEFAULT_MODELS[VERTEX],
        min_length=1,
        validation_alias=AliasChoices("model", "default_model", "defaultModel"),
    )

    @property
    def usable(self) -> bool:
        return self.enabled and bool(self.project)


class LLMConfig(BaseSettings):
    """Everything the router needs: providers, their order, allowed models, prices, backoff.

    `AURAOS_LLM_OPENAI_API_KEY` is `openai.api_key`: one level of nesting, split at the first
    `_` after the prefix.
    """

    model_config = SettingsConfigDict(
        env_prefix=_ENV,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_ignore_empty=True,
        frozen=True,
        extra="ignore",
    )

    openai: ProviderSettings = ProviderSettings(default_model=DEFAULT_MODELS[OPENAI])
    anthropic: ProviderSettings = ProviderSettings(default_model=DEFAULT_MODELS[ANTHROPIC])
    vertex: VertexSettings = VertexSettings()
    local_enabled: bool = True
    chain: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CHAIN
    # JSON `{"provider": ["model", ...]}`, replacing the defaults of the providers it names.
    allowed_models: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_ALLOWED_MODELS)
    )
    # JSON `{"model": [input_usd_per_mtok, output_usd_per_mtok]}`, merged over the defaults.
    prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    backoff_initial_s: float = Field(default=0.5, ge=0.0, le=30.0)
    backoff_max_s: float = Field(default=4.0, ge=0.0, le=60.0)

    @field_validator("openai", "anthropic", mode="before")
    @classmethod
    def _provider_defaults(cls, value: object, info: Any) -> object:
        names = ("model", "default_model", "defaultModel")
        if isinstance(value, dict) and not any(_stripped(value.get(name)) for name in names):
            return {"default_model": DEFAULT_MODELS[info.field_name], **value}
        return value

    @field_validator("chain", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_models", mode="before")
    @classmethod
    def _over_default_models(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        for provider, models in value.items():
            if not isinstance(models, list | tuple) or not all(
                isinstance(m, str) and m for m in models
            ):
                raise ValueError(f"[{provider!r}] must be a list of model ids")
        return {**DEFAULT_ALLOWED_MODELS, **value}

    @field_validator("prices", mode="before")
    @classmethod
    def _over_default_prices(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        prices: dict[str, object] = dict(DEFAULT_PRICES)
        for model, pair in value.items():
            if isinstance(pair, ModelPrice):
                prices[model] = pair
                continue
            if not (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(p, int | float) and not isinstance(p, bool) for p in pair)
            ):
                raise ValueError(f"[{model!r}] must be [input_usd, output_usd] per 1M tokens")
            prices[model] = {"input_usd_per_mtok": pair[0], "output_usd_per_mtok": pair[1]}
        return prices

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


class _MappingSource(EnvSettingsSource):
    """The `AURAOS_LLM_*` variables of a given mapping instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(LLMConfig)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def load_llm_config(environ: Mapping[str, str] | None = None) -> LLMConfig:
    """The config from `AURAOS_LLM_*` variables (os.environ unless given); fails loudly."""
    try:
        if environ is None:
            return LLMConfig()
        return LLMConfig.model_validate(_MappingSource(environ)())
    except ValidationError as error:
        # Each problem by its field, never the input: keys must not reach a log.
        problems = "; ".join(
            ": ".join(filter(None, (".".join(map(str, problem["loc"])), problem["msg"])))
            for problem in error.errors(include_url=False, include_input=False)
        )
        raise LLMConfigError(f"invalid LLM configuration: {problems}") from None
    except SettingsError as error:  # a JSON variable that is not JSON
        raise LLMConfigError(f"invalid LLM configuration: {error}") from None
