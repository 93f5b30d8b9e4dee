"""The intent recipe's pure parts: outlier exposure texts and the out-of-scope threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ai_service.ml.artifacts import DATA_DIR
from ai_service.training.intent import _pick_threshold, outlier_texts


def test_outlier_texts_are_short_open_questions_not_from_clinc() -> None:
    texts = outlier_texts(limit=10_000)
    assert 1_000 <= len(texts) < 10_000
    assert all(t.endswith("?") and 3 <= len(t.split()) <= 15 for t in texts)
    assert not any("[NAME]" in t for t in texts)
    clinc = json.loads((DATA_DIR / "clinc150" / "data_full.json").read_text())
    clinc_texts = {text.lower() for rows in clinc.values() for text, _ in rows}
    assert not clinc_texts & {t.lower() for t in texts}
    assert outlier_texts(limit=10) == texts[:10]  # deterministic: the first N in file order


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
