"""The dependency-free analyzer: intents by pattern, entity spans, sentiment polarity."""

import pytest

from ai_service.nlu.baseline import BaselineAnalyzer, extract_entities, score_sentiment
from shared.models.chat import SentimentLabel


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Hello there!", "greeting"),
        ("what time is it?", "time"),
        ("what's today's date", "date"),
        ("will it rain tomorrow", "weather"),
        ("can you recommend a book", "recommendation_request"),
        ("remind me to call mum", "reminder"),
        ("what is 3 + 4", "arithmetic"),
        ("bye for now", "goodbye"),
        ("explain quantum entanglement", "out_of_scope"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    analysis = BaselineAnalyzer().analyze([text])[0]
    assert analysis.intent.name == intent
    assert 0 < analysis.intent.confidence <= 1


def test_entities_are_exact_spans_and_specific_types_win() -> None:
    text = "Email ann@example.com about the $25 refund at 3pm tomorrow, see https://x.io/a, ref 42"
    entities = extract_entities(text)
    assert [(e.type, e.text) for e in entities] == [
        ("email", "ann@example.com"),
        ("money", "$25"),
        ("time", "3pm"),
        ("date", "tomorrow"),
        ("url", "https://x.io/a"),
        ("number", "42"),
    ]
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this, it's great", SentimentLabel.POSITIVE),
        ("this is terrible and slow", SentimentLabel.NEGATIVE),
        ("it is not good", SentimentLabel.NEGATIVE),
        ("the meeting is at noon", SentimentLabel.NEUTRAL),
    ],
)
def test_sentiment(text: str, label: SentimentLabel) -> None:
    assert score_sentiment(text).label is label
