"""How the intent model is scored on CLINC150-style data (`score_clinc`, `load_clinc`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ai_service.ml.analyzer import TrainedAnalyzer
from ai_service.ml.intent import OOS_LABEL, IntentModel, load_clinc, score_clinc
from ai_service.ml.registry import ModelRegistry

WEATHER = ("what's the weather like in paris tomorrow", "weather")
TIMER = ("set a timer for ten minutes", "timer")
OUT_OF_SCOPE = [
    ("how do i fix my bike chain spoke", OOS_LABEL),
    ("tell me about the history of rome", OOS_LABEL),
]


@pytest.fixture(scope="module")
def model(registry: ModelRegistry) -> IntentModel:
    analyzer = registry.analyzer
    assert isinstance(analyzer, TrainedAnalyzer)
    return analyzer.intent


def test_clear_cases_score_perfectly_in_and_out_of_scope(model: IntentModel) -> None:
    metrics = score_clinc(model, [WEATHER, TIMER], OUT_OF_SCOPE)

    assert metrics == {
        "in_scope_accuracy": 1.0,
        "in_scope_accuracy_with_fallback": 1.0,
        "n_in_scope": 2.0,
        "oos_recall": 1.0,
        "n_oos": 2.0,
        "overall_accuracy": 1.0,
    }


def test_a_wrong_gold_label_counts_against_every_accuracy(model: IntentModel) -> None:
    mislabelled = (TIMER[0], "weather")

    metrics = score_clinc(model, [WEATHER, mislabelled], OUT_OF_SCOPE)

    assert metrics["in_scope_accuracy"] == 0.5
    assert metrics["in_scope_accuracy_with_fallback"] == 0.5
    assert metrics["oos_recall"] == 1.0
    assert metrics["overall_accuracy"] == 0.75  # 3 of the 4 texts


def test_an_out_of_scope_text_labelled_in_scope_is_a_rejection(model: IntentModel) -> None:
    # Served, the model rejects it (oos), which the fallback accuracy counts as an error.
    metrics = score_clinc(model, [WEATHER, (OUT_OF_SCOPE[0][0], "weather")], [])

    assert metrics["in_scope_accuracy_with_fallback"] == 0.5


def test_without_out_of_scope_texts_only_in_scope_metrics_are_reported(
    model: IntentModel,
) -> None:
    metrics = score_clinc(model, [WEATHER], [])

    assert set(metrics) == {"in_scope_accuracy", "in_scope_accuracy_with_fallback", "n_in_scope"}


def test_a_clinc_file_loads_as_text_and_label_pairs_per_split(tmp_path: Path) -> None:
    file = tmp_path / "data_full.json"
    file.write_text(
        json.dumps({"train": [list(WEATHER), list(TIMER)], "oos_test": [list(OUT_OF_SCOPE[0])]})
    )

    assert load_clinc(file) == {"train": [WEATHER, TIMER], "oos_test": [OUT_OF_SCOPE[0]]}
