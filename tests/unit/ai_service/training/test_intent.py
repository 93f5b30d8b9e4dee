"""The intent recipe's pure parts: outlier exposure texts and the out-of-scope threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ai_service.ml.artifacts import DATA_DIR
from ai_service.training.intent import (
    _pick_threshold,
    clinc_form,
    outlier_texts,
    recall_lower_bound,
    trivia_questions,
)


def _clinc_texts() -> set[str]:
    clinc = json.loads((DATA_DIR / "clinc150" / "data_full.json").read_text())
    return {text.lower() for rows in clinc.values() for text, _ in rows}


def test_outlier_texts_are_short_open_questions_in_clinc_form_not_from_clinc() -> None:
    texts = outlier_texts(limit=10_000, exclude=_clinc_texts())
    assert 1_000 <= len(texts) < 10_000
    assert all(3 <= len(t.split()) <= 15 for t in texts)
    assert all(t == clinc_form(t) for t in texts)  # no "?" for the model to key on
    assert not any("[name]" in t for t in texts)
    assert not _clinc_texts() & set(texts)
    assert outlier_texts(limit=10, exclude=_clinc_texts()) == texts[:10]  # the first N in order
    assert "how old are you" in outlier_texts(
        limit=10_000
    )  # a CLINC query: only `exclude` drops it


def test_trivia_questions_split_into_two_stable_disjoint_halves() -> None:
    train, held_out = trivia_questions()
    assert len(train) > 100
    assert len(held_out) > 80
    assert not set(train) & set(held_out)
    assert len(set(train)) == len(train)
    assert len(set(held_out)) == len(held_out)
    assert all(t == clinc_form(t) for t in train + held_out)
    assert not _clinc_texts() & set(train + held_out)
    assert "who was the 37th president of the united states" in train + held_out
    assert trivia_questions() == (train, held_out)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("What time is it?", "what time is it"),
        (
            "Which Dutch artist painted \u201cGirl with a Pearl Earring\u201d?",
            'which dutch artist painted "girl with a pearl earring"',
        ),
        ("Wait. What. How ?!", "wait. what. how"),
        (
            "Which of Shakespeare\u2019s plays is the longest?",
            "which of shakespeare's plays is the longest",
        ),
    ],
)
def test_clinc_form_lowercases_and_drops_closing_punctuation(raw: str, expected: str) -> None:
    assert clinc_form(raw) == expected


def test_threshold_must_reach_the_recall_target_with_confidence() -> None:
    oos = 2
    # Four confident in-scope rows, then 100 out-of-scope rows whose in-scope confidence
    # rises from 0.5 in steps of 0.0045: a threshold t rejects those below t.
    confidence = 0.5 + 0.0045 * np.arange(100)
    probs = np.array(
        [[0.95, 0.05, 0.0]] * 4 + [[c, 0.0, 1 - c - 1e-9] for c in confidence], dtype=np.float64
    )
    y = np.array([0] * 4 + [oos] * 100)
    # 90 % with 95 % confidence takes 96 of 100 (the 96th value is 0.9275): threshold 0.93.
    chosen = _pick_threshold(probs, y, oos, recall_target=0.9, confidence=0.95)
    assert chosen == pytest.approx(0.93)
    assert np.sum(confidence < chosen) == 96
    # A point estimate (confidence 0.5) is content with fewer.
    assert _pick_threshold(probs, y, oos, recall_target=0.9, confidence=0.5) < chosen
    # Unreachable below 0.95: the best recall + in-scope accuracy wins instead.
    assert _pick_threshold(probs, y, oos, recall_target=0.99, confidence=0.95) == pytest.approx(
        0.95
    )


def test_recall_lower_bound_is_clopper_pearson() -> None:
    assert recall_lower_bound(95, 100, 0.95) == pytest.approx(0.8977, abs=1e-4)
    assert recall_lower_bound(96, 100, 0.95) == pytest.approx(0.9108, abs=1e-4)
    assert recall_lower_bound(100, 100, 0.95) == pytest.approx(0.05 ** (1 / 100))
    assert recall_lower_bound(0, 100, 0.95) == 0.0
