"""Recommendations (fallback chain, known neighbours) and anomaly scores (alerts on injected
anomalies, none on a normal day)."""

from __future__ import annotations

import pytest

from ai_service.ml.anomaly import FEATURES, AnomalyDetector, user_features
from ai_service.ml.recsys import Recommender
from ai_service.ml.registry import ModelRegistry
from ai_service.training.anomaly import generate


@pytest.fixture(scope="module")
def recommender(registry: ModelRegistry) -> Recommender:
    assert registry.recommender is not None
    return registry.recommender


@pytest.fixture(scope="module")
def detector(registry: ModelRegistry) -> AnomalyDetector:
    assert registry.anomaly is not None
    return registry.anomaly


def test_popular_when_nothing_is_known(recommender: Recommender) -> None:
    result = recommender.recommend(k=5)
    assert result.strategy == "popular"
    assert len(result.items) == 5
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True)
    assert "Hunger Games" in result.items[0].title or "Harry Potter" in result.items[0].title


def test_similar_items_for_a_harry_potter_reader(recommender: Recommender) -> None:
    result = recommender.recommend(liked_items=[2], k=10)  # Harry Potter and the Sorcerer's Stone
    assert result.strategy == "similar_items"
    assert all(item.item_id != 2 for item in result.items)
    assert sum("Harry Potter" in item.title for item in result.items) >= 3


def test_interests_cold_start(recommender: Recommender) -> None:
    result = recommender.recommend(interests=["cooking", "recipes", "food"], k=10)
    assert result.strategy == "interests"
    assert len(result.items) == 10


def test_personal_excludes_seen_books(recommender: Recommender) -> None:
    user = next(iter(recommender.user_index))
    result = recommender.recommend(user_id=user, k=10, exclude=[1])
    assert result.strategy == "personal"
    assert len(result.items) == 10
    assert len({i.item_id for i in result.items}) == 10
    assert all(i.item_id != 1 for i in result.items)


def test_unknown_user_without_data_is_popular(recommender: Recommender) -> None:
    assert recommender.recommend(user_id="nobody", k=3).strategy == "popular"


def test_anomaly_alerts_on_injected_anomalies(detector: AnomalyDetector) -> None:
    days = list(generate(users=60, days=5, rate=0.3, seed=99))
    scores = detector.score_users(days)
    assert len(scores) == len(days)
    by_kind: dict[str, list[bool]] = {}
    for day, score in zip(days, scores, strict=True):
        assert 0.0 <= score.score <= 1.0
        assert set(score.features) == set(FEATURES)
        by_kind.setdefault(day["kind"], []).append(score.alert)
    assert sum(by_kind["normal"]) / len(by_kind["normal"]) < 0.05
    assert all(by_kind["burst"])
    assert sum(by_kind["scraping"]) / len(by_kind["scraping"]) > 0.8


def test_features_of_an_empty_window() -> None:
    assert user_features([], {}) == [0.0] * len(FEATURES)
