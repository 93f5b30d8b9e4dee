"""Entities (encoder tagger + rules) and sentiment (VADER + encoder heads): known examples,
invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ai_service.ml.entities import viterbi
from ai_service.ml.registry import ModelRegistry
from ai_service.ml.sentiment import SentimentDetail
from shared.models.chat import SentimentLabel


def test_entities_known_examples(registry: ModelRegistry) -> None:
    text = "Email ann@example.com: Barack Obama lands in London tomorrow at 5pm, tickets cost $25."
    entities = registry.analyzer.entities.predict([text])[0]
    found = {(e.type, e.text) for e in entities}
    assert ("email", "ann@example.com") in found
    assert ("person", "Barack Obama") in found
    assert ("location", "London") in found
    assert ("date", "tomorrow") in found
    assert ("time", "5pm") in found
    assert ("money", "$25") in found
    spans = sorted((e.start, e.end) for e in entities)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # no overlaps
    for e in entities:
        assert text[e.start : e.end] == e.text
        assert 0.0 < e.confidence <= 1.0


def test_entities_batch_shape(registry: ModelRegistry) -> None:
    texts = ["", "nothing here", "Apple opened an office in Berlin"]
    out = registry.analyzer.entities.predict(texts)
    assert len(out) == 3
    assert out[0] == ()
    assert {(e.type, e.text) for e in out[2]} == {
        ("organization", "Apple"),
        ("location", "Berlin"),
    }


def test_entities_multi_word_names_are_one_span(registry: ModelRegistry) -> None:
    text = "I watched a film with Emma Watson in New York"
    found = {(e.type, e.text) for e in registry.analyzer.entities.predict([text])[0]}
    assert ("person", "Emma Watson") in found
    assert ("location", "New York") in found


def test_entities_are_the_same_alone_and_in_a_batch(registry: ModelRegistry) -> None:
    texts = ["Barack Obama visited Paris", "play some Taylor Swift", "what is 2 + 2"]
    batched = registry.analyzer.entities.predict(texts)
    alone = [registry.analyzer.entities.predict([t])[0] for t in texts]
    assert [[(e.type, e.text) for e in x] for x in batched] == [
        [(e.type, e.text) for e in x] for x in alone
    ]


def test_viterbi_follows_the_transitions_over_the_best_single_tags() -> None:
    # Tags O, B-person, I-person. Word 2 alone prefers B-person slightly; B -> B is unlikely
    # and B -> I likely, so the best sequence is one two-word name.
    emissions = np.log(np.array([[0.1, 0.8, 0.1], [0.1, 0.5, 0.4]], dtype=np.float32))
    transitions = np.log(
        np.array(
            [
                [0.8, 0.19, 0.01],  # start
                [0.8, 0.19, 0.01],  # after O
                [0.3, 0.05, 0.65],  # after B-person
                [0.5, 0.1, 0.4],  # after I-person
            ],
            dtype=np.float32,
        )
    )
    assert viterbi(emissions, transitions) == [1, 2]
    assert viterbi(emissions, np.zeros_like(transitions)) == [1, 1]
    assert viterbi(emissions[:0], transitions) == []


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this, it's absolutely wonderful!", SentimentLabel.POSITIVE),
        ("thanks, that was really helpful", SentimentLabel.POSITIVE),
        ("This is terrible, I hate it.", SentimentLabel.NEGATIVE),
        ("ugh, the app keeps crashing and I'm so frustrated", SentimentLabel.NEGATIVE),
        ("The meeting is on Tuesday.", SentimentLabel.NEUTRAL),
    ],
)
def test_sentiment_known_examples(
    registry: ModelRegistry, text: str, label: SentimentLabel
) -> None:
    detail = registry.analyzer.sentiment.predict([text])[0]
    assert detail.label == label, detail


def test_sentiment_invariants(registry: ModelRegistry) -> None:
    texts = ["great", "awful", "", "the sky"]
    details = registry.analyzer.sentiment.predict(texts)
    assert len(details) == 4
    for d in details:
        assert isinstance(d, SentimentDetail)
        assert -1.0 <= d.score <= 1.0
        assert -1.0 <= d.vader <= 1.0
        assert -1.0 <= d.model <= 1.0
        assert d.to_sentiment().label == d.label
    assert details[0].score > 0 > details[1].score
