"""What a reply cost: list prices per model (USD per million tokens) and the arithmetic.

The defaults are the providers' public list prices for standard (non-batch, uncached) text
tokens as published in mid-2026; they drift, so deployments override them through
`AURAOS_LLM_PRICES` (see provider_config) instead of waiting for a release.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import Field

from shared.models.base import Frozen

TOKENS_PER_PRICE_UNIT = 1_000_000
# Snapshot suffixes providers append to a model id: -2025-04-14, -20251001, -001.
_SNAPSHOT_SUFFIX = re.compile(r"^(?P<base>.+?)-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3})$")


class ModelPrice(Frozen):
    """List price of one model in USD per million tokens."""

    input_usd_per_mtok: float = Field(ge=0.0)
    output_usd_per_mtok: float = Field(ge=0.0)


def _price(input_usd: float, output_usd: float) -> ModelPrice:
    return ModelPrice(input_usd_per_mtok=input_usd, output_usd_per_mtok=output_usd)


DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    # OpenAI
    "gpt-4.1-mini": _price(0.40, 1.60),
    "gpt-4.1-nano": _price(0.10, 0.40),
    "gpt-4.1": _price(2.00, 8.00),
    "gpt-4o-mini": _price(0.15, 0.60),
    "gpt-5.4-nano": _price(0.20, 1.25),
    "gpt-5.4-mini": _price(0.75, 4.50),
    "gpt-5.4": _price(2.50, 15.00),
    "gpt-5.5": _price(5.00, 30.00),
    # Anthropic
    "claude-haiku-4-5": _price(1.00, 5.00),
    "claude-sonnet-4-6": _price(3.00, 15.00),
    # Google (Gemini on Vertex AI)
    "gemini-3.1-flash-lite": _price(0.25, 1.50),
    "gemini-3.1-flash-lite-preview": _price(0.25, 1.50),
    "gemini-3-flash": _price(0.50, 3.00),
    "gemini-3.1-pro": _price(2.00, 12.00),
}


def find_price(prices: Mapping[str, ModelPrice], model: str) -> ModelPrice | None:
    """The price of `model`; a dated or numbered snapshot is priced as its base model.

    "gpt-4.1-mini-2025-04-14", "claude-haiku-4-5-20251001" and "gemini-3-flash-001" match
    their base ids; other suffixes do not ("gpt-5.4-pro" is not priced as "gpt-5.4").
    """
    name = model.rsplit("/", 1)[-1]
    if name in prices:
        return prices[name]
    snapshot = _SNAPSHOT_SUFFIX.match(name)
    if snapshot is not None:
        return prices.get(snapshot["base"])
    return None


def cost_usd(
    *, prices: Mapping[str, ModelPrice], model: str, input_tokens: int, output_tokens: int
) -> float | None:
    """USD cost of one call, or None when the model has no price in the table."""
    price = find_price(prices, model)
    if price is None:
        return None
    total = (
        input_tokens * price.input_usd_per_mtok + output_tokens * price.output_usd_per_mtok
    ) / TOKENS_PER_PRICE_UNIT
    # Rounded to a millionth of a cent: enough for sums, and stable in tests and Firestore.
    return round(total, 8)
