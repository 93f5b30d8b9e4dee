"""`auraos-train-recsys` / `auraos-eval-recsys`: goodbooks-10k (5 % user sample).

Split (per user, seeded): of each user's books rated >= 4, one is held out for test and one for
validation; everything else is training. Metrics are leave-one-out HR@10 and NDCG@10 over the
full catalogue (all ~10k books, the user's training books excluded), against the popularity
baseline. Factors, ALS weighting and the ALS/content blend weight are chosen on validation.
The test hold-out is written to ai_service/data/recsys/heldout_test.csv (CC BY-SA 4.0, derived).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from numpy.typing import NDArray

from ..ml.encoder import SentenceEncoder
from ..ml.recsys import Recommender
from .common import DATA_DIR, MODELS_DIR, emit, seed_everything, write_model_card

GOODBOOKS = DATA_DIR / "recsys" / "goodbooks10k"
HELDOUT = DATA_DIR / "recsys" / "heldout_test.csv"
VERSION = "1.0.0"
K = 10


def read_ratings(path: Path) -> list[tuple[str, int, int]]:
    with path.open(newline="") as handle:
        return [(r["user_id"], int(r["book_id"]), int(r["rating"])) for r in csv.DictReader(handle)]


def read_books(directory: Path) -> tuple[list[int], list[str], list[str], list[str]]:
    genres: dict[int, str] = {}
    with (directory / "book_genres.csv").open(newline="") as handle:
        for r in csv.DictReader(handle):
            genres[int(r["book_id"])] = r["genres"]
    ids, titles, authors, texts = [], [], [], []
    with (directory / "books.csv").open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            book = int(r["book_id"])
            ids.append(book)
            titles.append(r["title"])
            authors.append(r["authors"])
            tags = ", ".join(genres.get(book, "").split(",")[:10])
            texts.append(f"{r['title']} by {r['authors']}. Genres: {tags}")
    return ids, titles, authors, texts


def hr_ndcg(ranked: Sequence[Sequence[int]], targets: Sequence[int]) -> dict[str, float]:
    hits, gains = [], []
    for items, target in zip(ranked, targets, strict=True):
        top = list(items)[:K]
        if target in top:
            hits.append(1.0)
            gains.append(1.0 / np.log2(top.index(target) + 2))
        else:
            hits.append(0.0)
            gains.append(0.0)
    return {"hr@10": round(float(np.mean(hits)), 4), "ndcg@10": round(float(np.mean(gains)), 4)}


def _rank(scores: NDArray[np.float32], seen: Sequence[int]) -> list[int]:
    masked = scores.copy()
    masked[list(seen)] = -np.inf
    top = np.argpartition(-masked, K)[:K]
    return [int(i) for i in top[np.argsort(-masked[top])]]


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0915 - a linear recipe
    parser = argparse.ArgumentParser(description="Train the ALS + content recommender.")
    parser.add_argument("--data", type=Path, default=GOODBOOKS)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    import implicit  # noqa: PLC0415 - training only
    from scipy.sparse import csr_matrix  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    started = time.monotonic()
    book_ids, titles, authors, texts = read_books(args.data)
    row_of = {b: i for i, b in enumerate(book_ids)}
    ratings = [r for r in read_ratings(args.data / "ratings_5pct_users.csv") if r[1] in row_of]
    users = sorted({u for u, _, _ in ratings}, key=int)
    user_of = {u: i for i, u in enumerate(users)}
    by_user: dict[int, list[tuple[int, int]]] = {}
    for raw_user, book, rating in ratings:
        by_user.setdefault(user_of[raw_user], []).append((row_of[book], rating))
    rng = np.random.default_rng(args.seed)
    train: dict[int, list[tuple[int, int]]] = {}
    val: dict[int, int] = {}
    test: dict[int, int] = {}
    for u, rows in by_user.items():
        liked = [i for i, r in rows if r >= 4]
        if len(liked) >= 3:
            picked = rng.choice(liked, size=2, replace=False)
            test[u], val[u] = int(picked[0]), int(picked[1])
        train[u] = [(i, r) for i, r in rows if i not in (test.get(u), val.get(u))]

    encoder = SentenceEncoder.from_dir(args.models / "encoder", threads=args.threads)
    item_embeddings = np.concatenate(
        [
            encoder.encode(texts[i : i + 512])
            for i in tqdm(range(0, len(texts), 512), desc="embed books")
        ]
    )

    def matrix(weight: Callable[[int], float], held: dict[int, int] | None = None) -> csr_matrix:
        rows, cols, vals = [], [], []
        for u, items in train.items():
            for i, r in items:
                rows.append(u)
                cols.append(i)
                vals.append(weight(r))
            if held is not None and u in held:  # fold the validation item back in for test
                rows.append(u)
                cols.append(held[u])
                vals.append(weight(5))
        return csr_matrix((vals, (rows, cols)), shape=(len(users), len(book_ids)), dtype=np.float32)

    def seen_of(u: int, held: dict[int, int] | None) -> list[int]:
        seen = [i for i, _ in train[u]]
        return seen + ([held[u]] if held is not None and u in held else [])

    def liked_of(u: int, held: dict[int, int] | None) -> list[int]:
        liked = [i for i, r in train[u] if r >= 4] or [i for i, _ in train[u]]
        return liked + ([held[u]] if held is not None and u in held else [])

    def evaluate_split(
        targets: dict[int, int],
        held: dict[int, int] | None,
        factors: int,
        alpha: float,
        weights: Sequence[float],
    ) -> tuple[dict[float, dict[str, float]], dict[str, float], Any]:
        model = implicit.als.AlternatingLeastSquares(
            factors=factors,
            regularization=0.05,
            alpha=alpha,
            iterations=20,
            random_state=args.seed,
            num_threads=args.threads,
        )
        model.fit(matrix(lambda r: float(r >= 4) + 0.5, held), show_progress=False)
        uf, itf = np.asarray(model.user_factors), np.asarray(model.item_factors)
        pop = np.asarray(matrix(lambda _r: 1.0, held).sum(axis=0)).ravel().astype(np.float32)
        out = {}
        us = sorted(targets)
        for w in weights:
            ranked = []
            for u in us:
                als = _z(itf @ uf[u])
                content = _z(item_embeddings @ _norm(item_embeddings[liked_of(u, held)].mean(0)))
                ranked.append(_rank(w * als + (1 - w) * content, seen_of(u, held)))
            out[w] = hr_ndcg(ranked, [targets[u] for u in us])
        popular = hr_ndcg([_rank(pop, seen_of(u, held)) for u in us], [targets[u] for u in us])
        return out, popular, model

    weights = (1.0, 0.9, 0.8, 0.7, 0.5, 0.0)
    best = (-1.0, 64, 1.0, 1.0)
    for factors, alpha in tqdm([(32, 1.0), (64, 1.0), (64, 5.0), (128, 5.0)], desc="tune on val"):
        results, popular_val, _ = evaluate_split(val, None, factors, alpha, weights)
        for w, m in results.items():
            emit(f"val factors={factors} alpha={alpha} w_als={w}: {m}")
            if m["ndcg@10"] > best[0]:
                best = (m["ndcg@10"], factors, alpha, w)
    _, factors, alpha, weight = best
    emit(f"chosen factors={factors} alpha={alpha} w_als={weight}; val popularity {popular_val}")
    # Final model: training + validation items; scored once on test.
    results, popular_test, model = evaluate_split(test, val, factors, alpha, (weight, 1.0, 0.0))
    metrics = {
        "test_users": float(len(test)),
        **{f"blend_{k}": v for k, v in results[weight].items()},
        **{f"als_only_{k}": v for k, v in results[1.0].items()},
        **{f"content_only_{k}": v for k, v in results[0.0].items()},
        **{f"popularity_{k}": v for k, v in popular_test.items()},
    }
    out = args.models / "recsys"
    out.mkdir(parents=True, exist_ok=True)
    seen = matrix(lambda _r: 1.0, val)
    liked = matrix(lambda r: float(r >= 4), val)
    liked.eliminate_zeros()
    np.savez_compressed(
        out / "model.npz",
        user_factors=np.asarray(model.user_factors, dtype=np.float16),
        item_factors=np.asarray(model.item_factors, dtype=np.float16),
        item_embeddings=item_embeddings.astype(np.float16),
        popularity=np.asarray(seen.sum(axis=0)).ravel().astype(np.float32),
        seen_indptr=seen.indptr.astype(np.int64),
        seen_indices=seen.indices.astype(np.int32),
        liked_indptr=liked.indptr.astype(np.int64),
        liked_indices=liked.indices.astype(np.int32),
    )
    (out / "items.json").write_text(
        json.dumps({"ids": book_ids, "titles": titles, "authors": authors})
    )
    config = {
        "users": users,
        "blend_weight": weight,
        "alpha": alpha,
        "regularization": 0.05,
        "factors": factors,
        "interest_popularity_prior": 0.1,
    }
    (out / "config.json").write_text(json.dumps(config) + "\n")
    args.heldout.parent.mkdir(parents=True, exist_ok=True)
    with args.heldout.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "book_id", "rating"])
        rating_of = {(u, i): r for u, rows in by_user.items() for i, r in rows}
        for u, i in sorted(test.items()):
            writer.writerow([users[u], book_ids[i], rating_of[(u, i)]])
    metrics["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    write_model_card(
        out,
        name="auraos-recsys",
        version=VERSION,
        summary="implicit ALS (ratings >= 4 weighted 1.5, others 0.5) blended with encoder "
        "similarity of book text (title, authors, genres); fallback personal -> similar items -> "
        "interests -> popular.",
        data="goodbooks-10k 5% user sample (CC BY-SA 4.0; ai_service/data/recsys/goodbooks10k)",
        licence="CC BY-SA 4.0 (derived from goodbooks-10k; attribution in the data folder)",
        metrics=metrics,
        training={
            "factors": factors,
            "alpha": alpha,
            "regularization": 0.05,
            "iterations": 20,
            "blend_weight_als": weight,
            "split": "per-user leave-one-out (rating>=4)",
        },
        command="auraos-train-recsys",
    )
    emit(json.dumps(metrics, indent=2))
    return 0


def _z(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray((x - x.mean()) / (x.std() + 1e-6), dtype=np.float32)


def _norm(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(x / (np.linalg.norm(x) + 1e-9), dtype=np.float32)


def evaluate(argv: Sequence[str] | None = None) -> int:
    """Score the served recommender on a held-out ratings CSV (user_id,book_id,rating)."""
    parser = argparse.ArgumentParser(description="HR@10 / NDCG@10 of the served recommender.")
    parser.add_argument("--data", type=Path, default=HELDOUT)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    model = Recommender.load(args.models / "recsys", encoder=None)
    ranked, popular, targets = [], [], []
    for user, book, _ in read_ratings(args.data):
        if user not in model.user_index:
            continue
        got = model.recommend(user_id=user, k=K)
        ranked.append([item.item_id for item in got.items])
        popular.append([item.item_id for item in model.popular(user_id=user, k=K).items])
        targets.append(book)
    emit(
        json.dumps(
            {
                "users": len(targets),
                "model": hr_ndcg(ranked, targets),
                "popularity": hr_ndcg(popular, targets),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
