"""One typed Settings per service, read by pydantic-settings from the environment; the values
both services must agree on come from shared/settings.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ai_service.config import Settings
from ai_service.generation.provider_config import LLMConfigError
from auraos_functions.config import ConfigurationError, settings
from shared.errors import ConfigurationError as SharedConfigurationError

REAL_KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5q"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("AURAOS_") or name == "FIRESTORE_EMULATOR_HOST":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GCLOUD_PROJECT", "demo-settings")
    monkeypatch.setenv("AURAOS_REQUIRE_PUSH_AUTH", "false")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_both_services_share_the_turn_lease_and_attempts() -> None:
    assert (Settings().turn_lease_s, Settings().max_turn_attempts) == (120, 3)
    assert (settings().turn_lease_s, settings().max_turn_attempts) == (120, 3)


def test_one_variable_moves_both_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURAOS_TURN_LEASE_S", "45")
    monkeypatch.setenv("AURAOS_MAX_TURN_ATTEMPTS", "5")
    assert (Settings().turn_lease_s, Settings().max_turn_attempts) == (45, 5)
    assert (settings().turn_lease_s, settings().max_turn_attempts) == (45, 5)


@pytest.mark.parametrize("lease", ["0", "3601", "soon"])
def test_both_services_refuse_the_same_bad_lease(
    monkeypatch: pytest.MonkeyPatch, lease: str
) -> None:
    monkeypatch.setenv("AURAOS_TURN_LEASE_S", lease)
    with pytest.raises(ValueError, match="turn_lease_s"):
        Settings()
    with pytest.raises(ConfigurationError, match="turn_lease_s"):
        settings()


def test_the_llm_and_model_sections_are_part_of_ai_services_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AURAOS_LLM_OPENAI_API_KEY", REAL_KEY)
    monkeypatch.setenv("AURAOS_LLM_OPENAI_MODEL", "gpt-5.4-mini")
    monkeypatch.setenv("AURAOS_LLM_CHAIN", "openai, local")
    monkeypatch.setenv("AURAOS_ML_THREADS", "2")
    monkeypatch.setenv("AURAOS_LLM_LOCAL_THREADS", "2")

    config = Settings()

    assert config.llm.active_chain() == ("openai", "local")
    assert config.llm.openai.default_model == "gpt-5.4-mini"
    assert config.ml.threads == 2
    assert config.llm_local_threads == 2
    assert REAL_KEY not in repr(config)


def test_a_bad_llm_variable_fails_start_up_without_echoing_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AURAOS_LLM_OPENAI_API_KEY", REAL_KEY)
    monkeypatch.setenv("AURAOS_LLM_CHAIN", "openai,bard")
    with pytest.raises(LLMConfigError, match="bard") as caught:
        Settings()
    assert isinstance(caught.value, SharedConfigurationError)
    assert REAL_KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("AURAOS_CHAT_RATE_CAPACITY", "many", "chat_rate_capacity"),
        ("AURAOS_CALLABLE_RATE_LIMITS", "[5, 60]", "callable_rate_limits"),
        ("AURAOS_APP_CHECK_ENFORCED", "maybe", "app_check_enforced"),
        ("AURAOS_AI_SERVICE_URL", "http://ai.example.com", "https://"),
    ],
)
def test_the_functions_refuse_malformed_settings(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, match: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=match):
        settings()


def test_the_functions_read_their_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURAOS_CHAT_RATE_CAPACITY", "7")
    monkeypatch.setenv("AURAOS_CALLABLE_RATE_LIMITS", '{"trackEvents": [10, 60]}')
    monkeypatch.setenv("AURAOS_ANALYTICS_EVENTS_PER_DAY", "500")
    config = settings()
    assert (config.chat_rate_limit.capacity, config.chat_rate_limit.window_s) == (7, 60)
    assert config.rate_limit_for("trackEvents").capacity == 10
    assert config.rate_limit_for("exportMyData").window_s == 3600  # the defaults stay
    assert config.analytics_day_quota.capacity == 500
    assert config.ai_service_url is None
    assert not config.on_emulators


def test_under_the_emulators_ai_service_is_found_on_its_local_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    monkeypatch.setenv("AURAOS_AI_PORT", "9191")
    assert settings().ai_service_url == "http://127.0.0.1:9191"
    settings.cache_clear()
    monkeypatch.setenv("AURAOS_AI_SERVICE_URL", "http://127.0.0.1:8081/")
    assert settings().ai_service_url == "http://127.0.0.1:8081"
