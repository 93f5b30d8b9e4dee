"""The intent recipe's pure parts: outlier exposure texts and the out-of-scope threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ai_service.ml.artifacts import DATA_DIR
from ai_service.training.intent import _pick_threshold, clinc_form, outlier_texts, trivia_questions


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


def test_threshold_is_the_lowest_reaching_the_recall_target() -> None:
    oos = 2
    # Four in-scope rows (confident) and four out-of-scope rows of rising in-scope confidence.
    probs = np.array(
        [[0.9, 0.05, 0.05]] * 4
        + [[0.2, 0.1, 0.7], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3], [0.7, 0.2, 0.1]]
    )
    y = np.array([0, 0, 0, 0, oos, oos, oos, oos])
    # The first two are rejected by their `oos` argmax; 0.5 and 0.7 need a threshold above them.
    assert _pick_threshold(probs, y, oos, 0.75) == pytest.approx(0.51)
    assert _pick_threshold(probs, y, oos, 0.5) == pytest.approx(0.05)
    # Unreachable without rejecting in-scope rows: the best recall + accuracy wins instead.
    assert 0.7 < _pick_threshold(probs, y, oos, 1.0) <= 0.9
