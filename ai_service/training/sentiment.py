"""`auraos-train-sentiment` / `auraos-eval-sentiment`: GoEmotions -> positive/negative/neutral.

Mapping: each of GoEmotions' 27 emotions belongs to positive, negative or ambiguous
(sentiment_mapping.json, from the GoEmotions authors); `neutral` is neutral. A comment gets a
label when all its non-ambiguous emotions agree; comments that are only ambiguous, or mix
positive and negative, are dropped (as the GoEmotions paper's sentiment-level grouping allows).
C and VADER's weight are chosen on dev; test is scored once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..ml.encoder import SentenceEncoder
from ..ml.sentiment import LABELS, SentimentModel, vader_label
from .common import DATA_DIR, MODELS_DIR, emit, seed_everything, write_model_card

GOEMOTIONS = DATA_DIR / "sentiment" / "goemotions"
VERSION = "1.0.0"


def load_goemotions(
    path: Path, mapping_dir: Path = GOEMOTIONS
) -> tuple[list[str], NDArray[np.int64]]:
    """A GoEmotions TSV (text, comma-separated emotion ids, id) as (texts, index into LABELS)."""
    emotions = (mapping_dir / "emotions.txt").read_text().split()
    groups: dict[str, str] = {"neutral": "neutral"}
    for group, names in json.loads((mapping_dir / "sentiment_mapping.json").read_text()).items():
        groups.update(dict.fromkeys(names, group))
    index = {label.value: i for i, label in enumerate(LABELS)}
    texts: list[str] = []
    labels: list[int] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        found = {groups[emotions[int(i)]] for i in parts[1].split(",")} - {"ambiguous"}
        if len(found) == 1:
            texts.append(parts[0])
            labels.append(index[found.pop()])
    return texts, np.asarray(labels, dtype=np.int64)


def _metrics(gold: NDArray[np.int64], pred: NDArray[np.int64]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score  # noqa: PLC0415

    return {
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, average="macro")), 4),
    }


def score(model: SentimentModel, texts: Sequence[str], gold: NDArray[np.int64]) -> dict[str, float]:
    emb = model.encoder.encode(texts)
    vader = model.vader(texts)
    p_model, p_ens = model.probabilities(emb, vader)
    index = {label: i for i, label in enumerate(LABELS)}
    p_vader = np.asarray([index[vader_label(float(c))] for c in vader[:, 3]])
    out: dict[str, float] = {"n": float(len(texts))}
    for name, pred in (
        ("vader", p_vader),
        ("model", p_model.argmax(1)),
        ("ensemble", p_ens.argmax(1)),
    ):
        out.update({f"{name}_{k}": v for k, v in _metrics(gold, pred).items()})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the sentiment heads on GoEmotions.")
    parser.add_argument("--data", type=Path, default=GOEMOTIONS)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    started = time.monotonic()
    encoder = SentenceEncoder.from_dir(args.models / "encoder", threads=args.threads)
    splits = {}
    for split in tqdm(("train", "dev", "test"), desc="encode GoEmotions"):
        texts, gold = load_goemotions(args.data / f"{split}.tsv", args.data)
        splits[split] = (texts, gold, encoder.encode(texts))
    probe = SentimentModel(
        encoder=encoder,
        model_coef=np.zeros((3, 384), np.float32),
        model_intercept=np.zeros(3, np.float32),
        ensemble_coef=np.zeros((3, 388), np.float32),
        ensemble_intercept=np.zeros(3, np.float32),
        vader_weight=1.0,
    )
    vader = {name: probe.vader(s[0]) for name, s in splits.items()}
    x_tr, y_tr = splits["train"][2], splits["train"][1]
    x_dev, y_dev = splits["dev"][2], splits["dev"][1]
    best_model = max(
        (
            LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x_tr, y_tr)
            for c in tqdm((0.3, 1.0, 3.0), desc="model head C")
        ),
        key=lambda m: _metrics(y_dev, m.predict(x_dev))["macro_f1"],
    )
    candidates = []
    for c in tqdm((0.3, 1.0, 3.0), desc="ensemble head C x VADER weight"):
        for weight in (1.0, 3.0):
            head = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            head.fit(np.hstack([x_tr, weight * vader["train"]]), y_tr)
            f1 = _metrics(y_dev, head.predict(np.hstack([x_dev, weight * vader["dev"]])))[
                "macro_f1"
            ]
            candidates.append((f1, c, weight, head))
    _, c_best, weight_best, ensemble = max(candidates, key=lambda t: t[0])
    out = args.models / "sentiment"
    out.mkdir(parents=True, exist_ok=True)
    np.savez(
        out / "heads.npz",
        model_coef=best_model.coef_.astype(np.float32),
        model_intercept=best_model.intercept_.astype(np.float32),
        ensemble_coef=ensemble.coef_.astype(np.float32),
        ensemble_intercept=ensemble.intercept_.astype(np.float32),
    )
    (out / "config.json").write_text(
        json.dumps({"labels": [label.value for label in LABELS], "vader_weight": weight_best})
        + "\n"
    )
    model = SentimentModel.load(out, encoder=encoder, check=False)
    metrics = score(model, splits["test"][0], splits["test"][1])
    metrics["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    write_model_card(
        out,
        name="auraos-sentiment",
        version=VERSION,
        summary=(
            "VADER 3.3.2 stacked with logistic-regression heads on the shared encoder; "
            "3 classes (negative, neutral, positive). `model` = encoder head alone."
        ),
        data=(
            "GoEmotions (Demszky et al. 2020, Apache-2.0) train/dev/test, mapped to 3-way "
            f"sentiment; train {len(y_tr)} / dev {len(y_dev)} / test {len(splits['test'][1])}"
        ),
        licence="heads: Apache-2.0 (data GoEmotions Apache-2.0; encoder Apache-2.0)",
        metrics=metrics,
        training={
            "model_c": float(best_model.C),
            "ensemble_c": c_best,
            "vader_weight": weight_best,
        },
        command="auraos-train-sentiment",
    )
    emit(json.dumps(metrics, indent=2))
    return 0


def evaluate(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score a GoEmotions-format TSV.")
    parser.add_argument("--data", type=Path, default=GOEMOTIONS / "test.tsv")
    parser.add_argument("--mapping-dir", type=Path, default=GOEMOTIONS)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    encoder = SentenceEncoder.from_dir(args.models / "encoder", threads=args.threads)
    model = SentimentModel.load(args.models / "sentiment", encoder=encoder)
    texts, gold = load_goemotions(args.data, args.mapping_dir)
    emit(json.dumps(score(model, texts, gold), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
