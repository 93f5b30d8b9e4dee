"""`auraos-train-entities` / `auraos-eval-entities`: the entity tagger, trained + scored on WNUT17.

The tagger is a logistic-regression head over the shared encoder's per-word `token_states`
(ai_service/ml/entities.py), with BIO tags over WNUT17's six types, decoded by Viterbi with tag
transitions counted on the training split. Words are the tokenizer's
pre-tokens; each WNUT token trains its first word (pieces that punctuation splits off inside a
token are left out). C is chosen on the dev split; the test split is scored once.
Scoring: entity-level exact match (WNUT token span + type), as the WNUT17 shared task.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..ml.encoder import SentenceEncoder, WordStates
from ..ml.entities import WNUT_TYPES, EntityTagger, bio_spans
from .common import DATA_DIR, MODELS_DIR, emit, write_model_card

WNUT = DATA_DIR / "ner" / "wnut17"
VERSION = "2.0.0"
C_GRID = (0.03, 0.1, 0.3)

Span = tuple[int, int, str]


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        token, _, tag = line.rpartition("\t")
        tokens.append(token or line.split()[0])
        tags.append(tag.strip() or "O")
    return sentences


def gold_spans(tags: Sequence[str]) -> set[Span]:
    """(first token, end token, type) of each gold entity, read as the tagger reads its tags."""
    tokens = [(i, i + 1) for i in range(len(tags))]
    unscored = np.zeros(len(tags), dtype=np.float32)
    return {(start, end, kind) for kind, start, end, _ in bio_spans(tokens, tags, unscored)}


def token_offsets(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Character offsets of each token in `" ".join(tokens)`."""
    offsets, pos = [], 0
    for token in tokens:
        offsets.append((pos, pos + len(token)))
        pos += len(token) + 1
    return offsets


def predicted_spans(
    tokens: Sequence[str], tagged: Sequence[tuple[str, int, int, float]]
) -> set[Span]:
    """Tagged character spans -> WNUT token spans."""
    offsets = token_offsets(tokens)
    out: set[Span] = set()
    for kind, start, end, _ in tagged:
        covered = [i for i, (s, e) in enumerate(offsets) if s < end and start < e]
        if covered:
            out.add((covered[0], covered[-1] + 1, kind))
    return out


def word_tags(tokens: Sequence[str], tags: Sequence[str], words: WordStates) -> list[str | None]:
    """Each word's training tag: the tag of the WNUT token it starts; None for the words that
    punctuation splits off inside a token (URLs, @handles, "n't"), left out of training."""
    starts = {start: tag for (start, _), tag in zip(token_offsets(tokens), tags, strict=True)}
    return [starts.get(start) for start, _ in words.spans]


def score(tagger: EntityTagger, path: Path) -> dict[str, float]:
    sentences = read_conll(path)
    predictions = tagger.spans([" ".join(tokens) for tokens, _ in sentences])
    tp = fp = fn = 0
    tp_u = fp_u = fn_u = 0
    for (tokens, tags), tagged in zip(sentences, predictions, strict=True):
        gold = gold_spans(tags)
        pred = predicted_spans(tokens, tagged)
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
        gold_u = {(s, e) for s, e, _ in gold}
        pred_u = {(s, e) for s, e, _ in pred}
        tp_u += len(gold_u & pred_u)
        fp_u += len(pred_u - gold_u)
        fn_u += len(gold_u - pred_u)

    def f1(t: int, p: int, n: int) -> tuple[float, float, float]:
        precision = t / max(1, t + p)
        recall = t / max(1, t + n)
        return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)

    p, r, f = f1(tp, fp, fn)
    pu, ru, fu = f1(tp_u, fp_u, fn_u)
    return {
        "sentences": float(len(sentences)),
        "gold_entities": float(tp + fn),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "untyped_precision": round(pu, 4),
        "untyped_recall": round(ru, 4),
        "untyped_f1": round(fu, 4),
    }


def tag_transitions(sequences: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Viterbi transition scores: log P(first tag) in row 0 and log P(tag j | tag i) in row
    i + 1 (add-one smoothed counts on the training tags), each minus log P(tag j). The head
    gives posteriors P(tag | word), which already hold the tag prior; subtracting it once makes
    the sum an HMM score, so transitions only reshape spans (B-person I-person over B-person
    B-person) instead of pulling every word towards O."""
    index = {label: i for i, label in enumerate(labels)}
    counts = np.ones((len(labels) + 1, len(labels)))
    for tags in sequences:
        previous = -1
        for tag in tags:
            counts[previous + 1, index[tag]] += 1
            previous = index[tag]
    prior = counts[1:].sum(axis=0) / counts[1:].sum()
    conditional = counts / counts.sum(axis=1, keepdims=True)
    return np.asarray(np.log(conditional) - np.log(prior), dtype=np.float32)


def _features(
    encoder: SentenceEncoder, sentences: Sequence[tuple[list[str], list[str]]]
) -> tuple[np.ndarray, list[str]]:
    _, words = encoder.encode_with_words([" ".join(tokens) for tokens, _ in sentences])
    rows: list[np.ndarray] = []
    labels: list[str] = []
    for (tokens, tags), w in zip(sentences, words, strict=True):
        keep = [(i, tag) for i, tag in enumerate(word_tags(tokens, tags, w)) if tag is not None]
        rows.append(w.states[[i for i, _ in keep]])
        labels.extend(tag for _, tag in keep)
    return np.concatenate(rows), labels


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the entity tagger on WNUT17.")
    parser.add_argument("--data", type=Path, default=WNUT)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "ner")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    started = time.monotonic()
    encoder = SentenceEncoder.from_dir(args.models / "encoder", threads=args.threads)
    x_train, y_train = _features(encoder, read_conll(args.data / "wnut17train.conll"))
    emit(f"train {x_train.shape[0]} words x {x_train.shape[1]} features")
    labels = sorted(set(y_train), key=lambda t: (t != "O", t[2:], t[:1]))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(
        json.dumps({"labels": labels, "types": WNUT_TYPES}, indent=2) + "\n"
    )
    transitions = tag_transitions(
        [tags for _, tags in read_conll(args.data / "wnut17train.conll")], labels
    )
    best: dict[str, float] = {}
    heads: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    for c in tqdm(C_GRID, desc="fit heads (C on dev)"):
        head = LogisticRegression(C=c, max_iter=500)
        head.fit(x_train, y_train)
        order = [list(head.classes_).index(label) for label in labels]
        heads[c] = (
            head.coef_[order].astype(np.float32),
            head.intercept_[order].astype(np.float32),
        )
        tagger = EntityTagger(
            encoder=encoder,
            labels=labels,
            coef=heads[c][0],
            intercept=heads[c][1],
            transitions=transitions,
            version=VERSION,
        )
        dev_f1 = score(tagger, args.data / "emerging.dev.conll")["f1"]
        emit(f"C={c:g}: dev F1 {dev_f1:.4f}")
        if dev_f1 > best.get("f1", -1.0):
            best = {"f1": dev_f1, "c": c}
    coef, intercept = heads[best["c"]]
    np.savez(args.out / "head.npz", coef=coef, intercept=intercept, transitions=transitions)
    tagger = EntityTagger.load(args.out, encoder=encoder, check=False)
    metrics: dict[str, float] = {}
    for split, name in (("dev", "emerging.dev.conll"), ("test", "emerging.test.annotated")):
        metrics.update({f"{split}_{k}": v for k, v in score(tagger, args.data / name).items()})
    metrics["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    write_model_card(
        args.out,
        name="auraos-entities",
        version=VERSION,
        summary=(
            "Word-level BIO tagger: a logistic-regression head over the shared encoder's "
            "token_states (layers 3-5 of the fine-tuned MiniLM), six WNUT17 types, Viterbi "
            "decoding with transitions counted on train; plus rules for e-mails, URLs, money, "
            "times, dates and numbers (ai_service/nlu/baseline.py)."
        ),
        data=(
            "WNUT17 emerging entities (CC BY 4.0; ai_service/data/ner/wnut17): trained on train, "
            "C chosen on dev, test scored once"
        ),
        licence="head: Apache-2.0 (this repo); data CC BY 4.0 (Derczynski et al. 2017)",
        metrics=metrics,
        training={"c": best["c"], "c_grid": list(C_GRID), "threads": args.threads},
        command="auraos-train-entities",
    )
    emit(json.dumps(metrics, indent=2))
    return 0


def evaluate(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Entity-level F1 on a WNUT17-format CoNLL file.")
    parser.add_argument("--data", type=Path, default=WNUT / "emerging.test.annotated")
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    encoder = SentenceEncoder.from_dir(args.models / "encoder", threads=args.threads)
    tagger = EntityTagger.load(args.models / "ner", encoder=encoder)
    emit(json.dumps(score(tagger, args.data), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
