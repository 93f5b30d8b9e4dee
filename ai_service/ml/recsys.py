"""Book recommendations: ALS collaborative filtering blended with content (encoder) similarity.

Fallback chain: a known user gets *personal* recommendations (ALS user factors blended with the
content profile of the books they rated well); an unknown user with liked books gets *similar
items* (ALS fold-in of those books, blended with their content profile); with onboarding
interests only, *interests* (encoder similarity of the interests to each book's text, with a
small popularity prior); with nothing, *popular*. Serving is numpy only (no implicit/torch).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from shared.models.base import Frozen

from .artifacts import open_artifact
from .encoder import SentenceEncoder

Strategy = Literal["personal", "similar_items", "interests", "popular"]


class RecommendedItem(Frozen):
    item_id: int
    title: str
    authors: str
    score: float


class Recommendations(Frozen):
    strategy: Strategy
    items: tuple[RecommendedItem, ...]
    model_version: str = Field(default="dev")


def zscore(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per-row standardisation, so ALS and cosine scores can be blended with one weight."""
    mean = scores.mean(axis=-1, keepdims=True)
    std = scores.std(axis=-1, keepdims=True) + 1e-6
    return np.asarray((scores - mean) / std, dtype=np.float32)


def fold_in(
    item_factors: NDArray[np.float32], items: Sequence[int], *, alpha: float, reg: float
) -> NDArray[np.float32]:
    """An ALS user vector for a user the model never saw (implicit feedback, confidence 1+alpha)."""
    gram = item_factors.T @ item_factors
    y_i = item_factors[list(items)]
    conf = alpha * np.ones(len(items), dtype=np.float32)
    a = gram + (y_i.T * conf) @ y_i + reg * np.eye(gram.shape[0], dtype=np.float32)
    b = y_i.T @ (1.0 + conf)
    return np.asarray(np.linalg.solve(a, b), dtype=np.float32)


class Recommender:
    def __init__(
        self,
        *,
        encoder: SentenceEncoder | None,
        item_ids: NDArray[np.int64],
        titles: Sequence[str],
        authors: Sequence[str],
        user_index: dict[str, int],
        user_factors: NDArray[np.float32],
        item_factors: NDArray[np.float32],
        item_embeddings: NDArray[np.float32],
        popularity: NDArray[np.float32],
        seen_indptr: NDArray[np.int64],
        seen_indices: NDArray[np.int32],
        liked_indptr: NDArray[np.int64],
        liked_indices: NDArray[np.int32],
        config: dict[str, Any],
        version: str = "dev",
    ) -> None:
        self.encoder = encoder
        self.item_ids = item_ids
        self._row = {int(item): i for i, item in enumerate(item_ids)}
        self.titles = list(titles)
        self.authors = list(authors)
        self.user_index = user_index
        self.user_factors = user_factors
        self.item_factors = item_factors
        self.item_embeddings = item_embeddings
        self.popularity = popularity
        self._seen = (seen_indptr, seen_indices)
        self._liked = (liked_indptr, liked_indices)
        self.weight = float(config["blend_weight"])  # of ALS; 1 - weight of content
        self.alpha = float(config["alpha"])
        self.reg = float(config["regularization"])
        self.interest_prior = float(config.get("interest_popularity_prior", 0.1))
        self.version = version
        self._log_pop = zscore(np.log1p(popularity).astype(np.float32))

    @classmethod
    def load(
        cls, directory: Path, *, encoder: SentenceEncoder | None, check: bool = True
    ) -> Recommender:
        card, config = open_artifact(directory, check=check)
        items: dict[str, list[Any]] = json.loads((directory / "items.json").read_text())
        with np.load(directory / "model.npz") as model:
            arrays = {k: model[k] for k in model.files}
        return cls(
            encoder=encoder,
            item_ids=np.asarray(items["ids"], dtype=np.int64),
            titles=items["titles"],
            authors=items["authors"],
            user_index={str(u): i for i, u in enumerate(config["users"])},
            user_factors=arrays["user_factors"].astype(np.float32),
            item_factors=arrays["item_factors"].astype(np.float32),
            item_embeddings=arrays["item_embeddings"].astype(np.float32),
            popularity=arrays["popularity"].astype(np.float32),
            seen_indptr=arrays["seen_indptr"],
            seen_indices=arrays["seen_indices"],
            liked_indptr=arrays["liked_indptr"],
            liked_indices=arrays["liked_indices"],
            config=config,
            version=str(card.get("version", "dev")),
        )

    def _rows(self, item_ids: Sequence[int]) -> list[int]:
        return [self._row[i] for i in item_ids if i in self._row]

    def _user_rows(
        self, user: int, which: tuple[NDArray[np.int64], NDArray[np.int32]]
    ) -> list[int]:
        indptr, indices = which
        return [int(i) for i in indices[indptr[user] : indptr[user + 1]]]

    def content_profile(self, rows: Sequence[int]) -> NDArray[np.float32]:
        profile = self.item_embeddings[list(rows)].mean(axis=0)
        return np.asarray(profile / (np.linalg.norm(profile) + 1e-9), dtype=np.float32)

    def blended(
        self, user_vector: NDArray[np.float32], liked: Sequence[int]
    ) -> NDArray[np.float32]:
        als = zscore(self.item_factors @ user_vector)
        if not liked or self.weight >= 1.0:
            return als
        content = zscore(self.item_embeddings @ self.content_profile(liked))
        return np.asarray(self.weight * als + (1.0 - self.weight) * content, dtype=np.float32)

    def score_user(self, user: int) -> NDArray[np.float32]:
        """Scores of every item for a known user (training row index)."""
        liked = self._user_rows(user, self._liked) or self._user_rows(user, self._seen)
        return self.blended(self.user_factors[user], liked)

    def recommend(
        self,
        *,
        user_id: str | None = None,
        liked_items: Sequence[int] = (),
        interests: Sequence[str] = (),
        exclude: Sequence[int] = (),
        k: int = 10,
    ) -> Recommendations:
        excluded = set(self._rows(exclude)) | set(self._rows(liked_items))
        strategy: Strategy
        if user_id is not None and user_id in self.user_index:
            user = self.user_index[user_id]
            scores = self.score_user(user)
            excluded |= set(self._user_rows(user, self._seen))
            strategy = "personal"
        elif rows := self._rows(liked_items):
            vector = fold_in(self.item_factors, rows, alpha=self.alpha, reg=self.reg)
            scores = self.blended(vector, rows)
            strategy = "similar_items"
        elif interests and self.encoder is not None:
            query = self.encoder.encode(["; ".join(interests)])[0]
            scores = zscore(self.item_embeddings @ query) + self.interest_prior * self._log_pop
            strategy = "interests"
        else:
            scores = self._log_pop
            strategy = "popular"
        return Recommendations(
            strategy=strategy, items=self._top(scores, excluded, k), model_version=self.version
        )

    def popular(self, *, user_id: str | None = None, k: int = 10) -> Recommendations:
        """The popularity baseline (the user's rated books excluded when the user is known)."""
        seen: set[int] = set()
        if user_id is not None and user_id in self.user_index:
            seen = set(self._user_rows(self.user_index[user_id], self._seen))
        items = self._top(self._log_pop, seen, k)
        return Recommendations(strategy="popular", items=items, model_version=self.version)

    def _top(
        self, scores: NDArray[np.float32], excluded: set[int], k: int
    ) -> tuple[RecommendedItem, ...]:
        masked = scores.copy()
        if excluded:
            masked[list(excluded)] = -np.inf
        k = min(k, len(masked))
        top = np.argpartition(-masked, k - 1)[:k]
        top = top[np.argsort(-masked[top])]
        return tuple(
            RecommendedItem(
                item_id=int(self.item_ids[i]),
                title=self.titles[i],
                authors=self.authors[i],
                score=round(float(masked[i]), 4),
            )
            for i in top
            if np.isfinite(masked[i])
        )
