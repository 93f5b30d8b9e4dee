"""A first, conservative moderation gate: refuse clearly harmful requests before any generation."""

from __future__ import annotations

import re

from shared.models.base import Frozen

_BLOCKED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "weapons",
        re.compile(
            r"\b(how\s+(do\s+i|to|can\s+i)\s+(make|build|assemble)\s+(a\s+)?"
            r"(bomb|explosive|pipe\s*bomb|nerve\s+agent|bioweapon))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "self_harm",
        re.compile(
            r"\b(how\s+(do\s+i|to|can\s+i)\s+(kill|hurt)\s+myself|best\s+way\s+to\s+commit\s+suicide)\b",
            re.IGNORECASE,
        ),
    ),
)

SELF_HARM_REPLY = (
    "I'm really sorry you're feeling this way. I can't help with that, but you don't have to go "
    "through it alone: please reach out to someone you trust or a local crisis line right now."
)
BLOCKED_REPLY = "I can't help with that request."


class ModerationVerdict(Frozen):
    category: str
    reply: str


def moderate(text: str) -> ModerationVerdict | None:
    """A verdict when `text` must not be answered, else None."""
    for category, pattern in _BLOCKED:
        if pattern.search(text):
            reply = SELF_HARM_REPLY if category == "self_harm" else BLOCKED_REPLY
            return ModerationVerdict(category=category, reply=reply)
    return None
