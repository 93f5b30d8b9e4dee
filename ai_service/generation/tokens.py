"""A cheap, deterministic token estimate for when a provider reports no usage.

Real tokenizers (tiktoken, SentencePiece) need vocabulary files that cannot be fetched at run
time here, and each provider tokenizes differently anyway, so the numbers only need to be close
enough for cost accounting and context budgets. The heuristic blends two rules of thumb for
English BPE vocabularies: about 4 characters per token, and about 0.75 words per token. Taking
the larger of the two keeps short-word or punctuation-heavy text (code, lists) from being
under-counted, which matters more for budgets than over-counting does.
"""

from __future__ import annotations

import math

from .base import ChatMessage, GenerationRequest, GenerationResult

CHARS_PER_TOKEN = 4.0
TOKENS_PER_WORD = 4.0 / 3.0
# Chat formats wrap every message in a few control tokens (role markers, separators).
MESSAGE_OVERHEAD_TOKENS = 4


def count_tokens(text: str) -> int:
    """Estimated tokens in `text`: max(ceil(chars / 4), ceil(words * 4 / 3)); 0 for blank text."""
    if not text.strip():
        return 0
    by_chars = math.ceil(len(text) / CHARS_PER_TOKEN)
    by_words = math.ceil(len(text.split()) * TOKENS_PER_WORD)
    return max(by_chars, by_words)


def count_message_tokens(messages: tuple[ChatMessage, ...]) -> int:
    """Estimated tokens of a list of chat messages, with the per-message framing overhead."""
    return sum(count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def count_request_tokens(request: GenerationRequest) -> int:
    """Estimated input tokens of a whole request: the system prompt plus every message."""
    system = count_tokens(request.system) + MESSAGE_OVERHEAD_TOKENS if request.system else 0
    return system + count_message_tokens(request.messages)


def streamed_result(
    *,
    request: GenerationRequest,
    text: str,
    provider: str,
    model: str,
    input_tokens: int | None,
    output_tokens: int | None,
    finish_reason: str | None,
) -> GenerationResult:
    """A provider's result, estimating the counts it did not report (a cancelled stream ends
    before the usage a provider sends last)."""
    return GenerationResult(
        text=text,
        provider=provider,
        model=model,
        input_tokens=input_tokens if input_tokens is not None else count_request_tokens(request),
        output_tokens=output_tokens if output_tokens is not None else count_tokens(text),
        finish_reason=finish_reason,
    )
