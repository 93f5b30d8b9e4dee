"""A dependency-free analyzer: keyword intents, pattern entities, a small sentiment lexicon.

It keeps the pipeline's contract when the trained models are not installed, and its entity patterns
(dates, times, e-mails, URLs, numbers, money) are the rule layer the trained NER builds on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.models.chat import Entity, Intent, IntentRank, Sentiment, SentimentLabel

from .analysis import FALLBACK_INTENT, Analysis

# Ordered: the first intent whose pattern matches wins; confidence reflects how specific it is.
_INTENT_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE), confidence)
    for name, pattern, confidence in (
        (
            "arithmetic",
            r"^\s*(what\s+is\s+|what's\s+|calculate\s+|compute\s+)?[-+*/().\d\s^x×÷]+[=?]?\s*$",
            0.95,
        ),
        (
            "arithmetic",
            r"\b(what\s+is|what's|calculate|compute)\s+[-\d(][-+*/().\d\s^x×÷]*\d\)?\s*\??$",
            0.95,
        ),
        ("time", r"\b(what\s+time|the\s+time|time\s+is\s+it|current\s+time)\b", 0.9),
        ("date", r"\b(what\s+day|today'?s\s+date|what\s+date|which\s+day|the\s+date)\b", 0.9),
        ("weather", r"\b(weather|forecast|temperature|rain(ing)?|snow(ing)?|sunny)\b", 0.85),
        (
            "recommendation_request",
            r"\b(recommend|suggest(ion)?s?|what\s+should\s+i\s+(read|watch))\b",
            0.85,
        ),
        ("reminder", r"\b(remind\s+me|reminder|don'?t\s+let\s+me\s+forget)\b", 0.85),
        (
            "account_settings",
            r"\b(my\s+account|password|settings|delete\s+my|export\s+my|privacy)\b",
            0.8,
        ),
        ("help", r"\b(help|what\s+can\s+you\s+do|how\s+do\s+i|how\s+does\s+this)\b", 0.75),
        ("goodbye", r"^\s*(bye|goodbye|see\s+you|good\s*night|farewell)\b", 0.9),
        ("greeting", r"^\s*(hi|hello|hey|good\s+(morning|afternoon|evening)|greetings)\b", 0.9),
        ("thanks", r"\b(thanks|thank\s+you|cheers)\b", 0.85),
        (
            "smalltalk",
            r"\b(how\s+are\s+you|who\s+are\s+you|your\s+name|tell\s+me\s+a\s+joke)\b",
            0.8,
        ),
    )
)

_ENTITY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]")),
    (
        "money",
        re.compile(
            r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:dollars|euros|pounds|usd|eur|gbp)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)\s?(?:am|pm)?\b|\b(?:1[0-2]|0?[1-9])\s?(?:am|pm)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(?:today|tomorrow|yesterday|tonight|(?:next|this|last)\s+(?:week|month|year|monday|tuesday|"
            r"wednesday|thursday|friday|saturday|sunday)|(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
            r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
            r"[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?)\b",
            re.IGNORECASE,
        ),
    ),
    ("number", re.compile(r"(?<![\w.$€£])-?\d+(?:[.,]\d+)?(?![\w.]|\s?(?:am|pm))", re.IGNORECASE)),
)

_POSITIVE = frozenset(
    [
        "good",
        "great",
        "love",
        "like",
        "awesome",
        "amazing",
        "thanks",
        "thank",
        "happy",
        "nice",
        "excellent",
        "wonderful",
        "fantastic",
        "glad",
        "cool",
        "perfect",
        "enjoy",
        "helpful",
        "best",
        "fun",
    ]
)
_NEGATIVE = frozenset(
    [
        "bad",
        "terrible",
        "hate",
        "awful",
        "sad",
        "angry",
        "annoyed",
        "horrible",
        "worst",
        "broken",
        "useless",
        "wrong",
        "disappointed",
        "upset",
        "frustrated",
        "poor",
        "boring",
        "slow",
        "fail",
        "failed",
    ]
)
_NEGATIONS = frozenset(
    ["not", "no", "never", "don't", "isn't", "wasn't", "doesn't", "can't", "won't"]
)
_WORD = re.compile(r"[a-z']+")


def classify_intent(text: str) -> Intent:
    matches: list[IntentRank] = []
    for name, pattern, confidence in _INTENT_PATTERNS:
        if pattern.search(text) and all(m.name != name for m in matches):
            matches.append(IntentRank(name=name, confidence=confidence))
    if not matches:
        return Intent(name=FALLBACK_INTENT, confidence=0.5, ranking=())
    best = matches[0]
    return Intent(name=best.name, confidence=best.confidence, ranking=tuple(matches[:5]))


def extract_entities(text: str) -> tuple[Entity, ...]:
    """Non-overlapping spans, the more specific pattern winning (money beats number)."""
    taken: list[tuple[int, int]] = []
    found: list[Entity] = []
    for kind, pattern in _ENTITY_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(
                Entity(type=kind, text=match.group(), start=start, end=end, confidence=0.9)
            )
    return tuple(sorted(found, key=lambda e: e.start))


def score_sentiment(text: str) -> Sentiment:
    words = _WORD.findall(text.lower())
    score = 0
    for i, word in enumerate(words):
        polarity = (word in _POSITIVE) - (word in _NEGATIVE)
        if polarity and i > 0 and words[i - 1] in _NEGATIONS:
            polarity = -polarity
        score += polarity
    normalised = max(-1.0, min(1.0, score / 3))
    if normalised > 0.05:
        label = SentimentLabel.POSITIVE
    elif normalised < -0.05:
        label = SentimentLabel.NEGATIVE
    else:
        label = SentimentLabel.NEUTRAL
    return Sentiment(label=label, score=round(normalised, 4))


class BaselineAnalyzer:
    """The `Analyzer` used when no trained model artifacts are installed."""

    name = "baseline"

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        return [
            Analysis(
                intent=classify_intent(text),
                entities=extract_entities(text),
                sentiment=score_sentiment(text),
            )
            for text in texts
        ]
