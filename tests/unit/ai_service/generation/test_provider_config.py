"""Building the LLM configuration from AURAOS_LLM_* variables."""

from __future__ import annotations

import pytest

from ai_service.generation.costs import DEFAULT_PRICES
from ai_service.generation.provider_config import (
    DEFAULT_CHAIN,
    LLMConfig,
    LLMConfigError,
    ProviderSettings,
    is_placeholder_key,
    is_transient_status,
    load_llm_config,
)

REAL_KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5q"


def test_defaults_without_environment() -> None:
    config = load_llm_config({})

    assert config.chain == DEFAULT_CHAIN
    assert config.active_chain() == ("local",)  # no keys, no Vertex project
    assert config.openai.default_model == "gpt-4.1-mini"
    assert config.prices == dict(DEFAULT_PRICES)
    assert "gpt-4.1-mini" in config.allowed_models["openai"]


def test_keys_and_project_enable_providers() -> None:
    config = load_llm_config(
        {
            "AURAOS_LLM_OPENAI_API_KEY": REAL_KEY,
            "AURAOS_LLM_ANTHROPIC_API_KEY": "sk-ant-api03-xyz987",
            "AURAOS_LLM_VERTEX_PROJECT": "auraos-prod",
            "AURAOS_LLM_VERTEX_LOCATION": "europe-west4",
        }
    )

    assert config.active_chain() == ("openai", "anthropic", "vertex", "local")
    assert config.openai.api_key is not None
    assert config.openai.api_key.get_secret_value() == REAL_KEY
    assert config.vertex.location == "europe-west4"


def test_provider_overrides() -> None:
    config = load_llm_config(
        {
            "AURAOS_LLM_OPENAI_API_KEY": REAL_KEY,
            "AURAOS_LLM_OPENAI_BASE_URL": "http://proxy.internal/v1",
            "AURAOS_LLM_OPENAI_MODEL": "gpt-5.4-mini",
            "AURAOS_LLM_OPENAI_TIMEOUT_S": "7.5",
            "AURAOS_LLM_OPENAI_MAX_RETRIES": "3",
        }
    )

    assert config.openai.base_url == "http://proxy.internal/v1"
    assert config.openai.default_model == "gpt-5.4-mini"
    assert config.openai.timeout_s == 7.5
    assert config.max_retries()["openai"] == 3


def test_chain_order_and_disabling() -> None:
    config = load_llm_config(
        {
            "AURAOS_LLM_CHAIN": "anthropic, local ,openai",
            "AURAOS_LLM_OPENAI_API_KEY": REAL_KEY,
            "AURAOS_LLM_ANTHROPIC_API_KEY": "sk-ant-api03-xyz987",
            "AURAOS_LLM_ANTHROPIC_ENABLED": "false",
            "AURAOS_LLM_LOCAL_ENABLED": "0",
        }
    )

    assert config.chain == ("anthropic", "local", "openai")
    assert config.active_chain() == ("openai",)


@pytest.mark.parametrize(
    "key",
    ["changeme", "CHANGEME", "your-key-here", "YOUR_API_KEY", "<openai-key>", "xxxx", "${KEY}"],
)
def test_placeholder_keys_are_refused(key: str) -> None:
    with pytest.raises(LLMConfigError, match="placeholder"):
        load_llm_config({"AURAOS_LLM_ANTHROPIC_API_KEY": key})


def test_placeholder_check_also_guards_direct_construction() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        ProviderSettings.model_validate({"api_key": "changeme", "default_model": "m"})


def test_real_keys_are_not_placeholders() -> None:
    assert not is_placeholder_key(REAL_KEY)
    assert not is_placeholder_key("sk-ant-api03-xyz987")


def test_blank_key_means_not_configured() -> None:
    assert load_llm_config({"AURAOS_LLM_OPENAI_API_KEY": "   "}).openai.api_key is None


def test_key_never_appears_in_repr_or_errors() -> None:
    config = load_llm_config({"AURAOS_LLM_OPENAI_API_KEY": REAL_KEY})
    assert REAL_KEY not in repr(config)
    assert REAL_KEY not in str(config.model_dump())

    with pytest.raises(LLMConfigError) as caught:
        load_llm_config(
            {"AURAOS_LLM_OPENAI_API_KEY": REAL_KEY, "AURAOS_LLM_OPENAI_TIMEOUT_S": "-1"}
        )
    assert REAL_KEY not in str(caught.value)


def test_allowed_models_and_prices_from_json() -> None:
    config = load_llm_config(
        {
            "AURAOS_LLM_ALLOWED_MODELS": '{"openai": ["gpt-5.5"]}',
            "AURAOS_LLM_PRICES": '{"gpt-5.5": [5, 30], "gpt-4.1-mini": [0.5, 2.0]}',
        }
    )

    assert config.allowed_models["openai"] == ("gpt-5.5",)
    assert config.allowed_models["anthropic"]  # untouched defaults
    assert config.prices["gpt-5.5"].output_usd_per_mtok == 30
    assert config.prices["gpt-4.1-mini"].input_usd_per_mtok == 0.5
    assert "claude-haiku-4-5" in config.prices


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AURAOS_LLM_CHAIN", "openai,bard"),
        ("AURAOS_LLM_CHAIN", "openai,openai"),
        ("AURAOS_LLM_LOCAL_ENABLED", "maybe"),
        ("AURAOS_LLM_OPENAI_TIMEOUT_S", "soon"),
        ("AURAOS_LLM_OPENAI_TIMEOUT_S", "0"),
        ("AURAOS_LLM_OPENAI_MAX_RETRIES", "-1"),
        ("AURAOS_LLM_ALLOWED_MODELS", "not json"),
        ("AURAOS_LLM_ALLOWED_MODELS", '{"openai": "gpt-5.5"}'),
        ("AURAOS_LLM_ALLOWED_MODELS", '{"bard": ["x"]}'),
        ("AURAOS_LLM_PRICES", '{"m": [1]}'),
        ("AURAOS_LLM_PRICES", '{"m": [-1, 2]}'),
        ("AURAOS_LLM_PRICES", "[1, 2]"),
    ],
)
def test_malformed_values_fail_loudly(name: str, value: str) -> None:
    with pytest.raises(LLMConfigError):
        load_llm_config({name: value})


def test_reads_os_environ_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURAOS_LLM_VERTEX_PROJECT", "from-env")

    assert load_llm_config().vertex.project == "from-env"


def test_config_is_frozen() -> None:
    config = LLMConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.local_enabled = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("status", "transient"),
    [(408, True), (409, True), (429, True), (500, True), (529, True), (400, False), (404, False)],
)
def test_transient_statuses(status: int, transient: bool) -> None:
    assert is_transient_status(status) is transient
