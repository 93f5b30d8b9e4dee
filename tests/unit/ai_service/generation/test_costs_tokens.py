"""Token estimates and the price table."""

from __future__ import annotations

import pytest

from ai_service.generation.base import ChatMessage, GenerationRequest, Role
from ai_service.generation.costs import DEFAULT_PRICES, ModelPrice, cost_usd, find_price
from ai_service.generation.tokens import count_request_tokens, count_tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n", 0),
        ("hi", 2),  # one word counts as ceil(4/3) = 2 tokens
        ("abcdefghijklmnop", 4),  # one long word: 16 chars / 4
        ("the cat sat on the mat", 8),  # six short words beat 22 chars / 4 = 6
    ],
)
def test_count_tokens(text: str, expected: int) -> None:
    assert count_tokens(text) == expected


def test_count_tokens_is_deterministic_and_monotonic() -> None:
    text = "Octopuses have three hearts. " * 10
    assert count_tokens(text) == count_tokens(text)
    assert count_tokens(text + text) >= count_tokens(text)


def test_request_tokens_include_framing() -> None:
    request = GenerationRequest(
        system="sys", messages=(ChatMessage(role=Role.USER, content="hello there"),)
    )
    assert count_request_tokens(request) == count_tokens("sys") + count_tokens("hello there") + 8


def test_snapshots_priced_as_their_family() -> None:
    assert find_price(DEFAULT_PRICES, "gpt-4.1-mini-2025-04-14") == DEFAULT_PRICES["gpt-4.1-mini"]
    assert find_price(DEFAULT_PRICES, "gpt-5.4-mini-2026-03-17") == DEFAULT_PRICES["gpt-5.4-mini"]
    assert (
        find_price(DEFAULT_PRICES, "claude-haiku-4-5-20251001")
        == (DEFAULT_PRICES["claude-haiku-4-5"])
    )
    assert find_price(DEFAULT_PRICES, "gemini-3-flash-001") == DEFAULT_PRICES["gemini-3-flash"]
    assert (
        find_price(DEFAULT_PRICES, "publishers/google/models/gemini-3-flash")
        == (DEFAULT_PRICES["gemini-3-flash"])
    )
    # Other suffixes name different (often dearer) models, not snapshots.
    assert find_price(DEFAULT_PRICES, "gpt-5.4-pro") is None
    assert find_price(DEFAULT_PRICES, "gpt-4.1-minimal") is None


def test_cost_arithmetic() -> None:
    prices = {"m": ModelPrice(input_usd_per_mtok=3.0, output_usd_per_mtok=15.0)}
    assert cost_usd(prices=prices, model="m", input_tokens=2_000, output_tokens=100) == (
        pytest.approx(0.0075)
    )
    assert cost_usd(prices=prices, model="other", input_tokens=1, output_tokens=1) is None


def test_every_default_price_is_sane() -> None:
    for model, price in DEFAULT_PRICES.items():
        assert 0 < price.input_usd_per_mtok <= price.output_usd_per_mtok, model
