"""Memory (issue #17): extraction precision/recall and retrieval recall@k with the shipped encoder.

    .venv/bin/python -m bench.bench_memory                  # prints the tables, writes results
    .venv/bin/python -m bench.bench_memory --out /tmp/memory.json --show-misses

Extraction: `extract_memories` on the labelled utterances of ai_service/memory/eval
(`extraction_dev.jsonl`, the set the rules were written against; `extraction_test.jsonl` and
`extraction_holdout.jsonl`, written apart, each first scored before the rules were fixed for its
misses: test P 0.969 / R 0.940, holdout P 0.917 / R 0.957); a candidate counts when its slot
and its text (case, spacing and a closing full stop aside) both match a labelled one.

Retrieval: each user of `retrieval.jsonl` stores its 5-15 memories, embedded as the store does
(`embedding_text(text=, slot=)`, one text per encoder call); each question is embedded as the
NLU pass embeds a prompt (alone, batch of one) and ranked against that user's memories by
Firestore's COSINE distance (1 - cosine similarity), keeping the `RECALL_K` nearest whose
distance is <= `MAX_DISTANCE` (what `find_nearest(limit=, distance_threshold=)` returns).
**recall@k**: the answering memory is among them; **false retrieval**: a question no memory
answers retrieves anything. The threshold sweep shows the trade-off; `MAX_DISTANCE` was chosen
on the dev users and the test users are reported with it. The encoder is the service's
(`ai_service/models/encoder`, checksums verified), loaded as `ModelRegistry.load` does.
Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ai_service.memory.eval import (
    EmbeddingText,
    Ranked,
    load_extraction,
    load_retrieval,
    rank_questions,
    score_extraction,
    score_retrieval,
)
from ai_service.memory.extract import MAX_DISTANCE, RECALL_K, embedding_text
from ai_service.ml.artifacts import MODELS_DIR, read_card, verify
from ai_service.ml.encoder import SentenceEncoder
from bench.harness import ROOT, machine_info

RESULTS = ROOT / "bench" / "results" / "memory.json"
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 1.0, 2.0)


def _text_only(*, text: str, slot: str | None) -> str:
    del slot
    return text


VARIANTS: dict[str, EmbeddingText] = {"embedding_text": embedding_text, "text only": _text_only}


class _Encoder:
    """The service's encoder, one text per call (as the pipeline embeds a prompt)."""

    def __init__(self, threads: int) -> None:
        directory = MODELS_DIR / "encoder"
        verify(directory, read_card(directory))
        started = time.perf_counter()
        self._encoder = SentenceEncoder.from_dir(directory, threads=threads)
        self.load_seconds = time.perf_counter() - started
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        started = time.perf_counter()
        rows = [self._encoder.encode([t], batch_size=1)[0] for t in texts]
        self.seconds += time.perf_counter() - started
        self.calls += len(texts)
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


def _extraction(show: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    print("extraction (a candidate counts when slot and text match)")
    print(
        f"{'set':<6}{'utterances':>11}{'labelled':>10}{'precision':>11}{'recall':>8}{'tp/fp/fn':>12}"
    )
    for split in ("dev", "test", "holdout"):
        cases = load_extraction(split)
        started = time.perf_counter()
        score = score_extraction(cases)
        ms = (time.perf_counter() - started) / len(cases) * 1000
        labelled = sum(len(c.expected) for c in cases)
        print(
            f"{split:<6}{len(cases):>11}{labelled:>10}{score.precision:>11.3f}{score.recall:>8.3f}"
            f"{f'{score.true_positives}/{score.false_positives}/{score.false_negatives}':>12}"
        )
        by_category: dict[str, int] = {}
        for case in cases:
            by_category[case.category] = by_category.get(case.category, 0) + 1
        out[split] = {
            "utterances": len(cases),
            "labelled_candidates": labelled,
            "by_category": by_category,
            "precision": round(score.precision, 4),
            "recall": round(score.recall, 4),
            "true_positives": score.true_positives,
            "false_positives": score.false_positives,
            "false_negatives": score.false_negatives,
            "ms_per_utterance": round(ms, 3),
            "errors": [
                {
                    "text": text,
                    "expected": [[e.slot, e.text] for e in want],
                    "got": [[g.slot, g.text] for g in got],
                }
                for text, want, got in score.errors
            ],
        }
        if show:
            for text, want, got in score.errors:
                print(
                    f"    {text!r}: want {[(e.slot, e.text) for e in want]}, got "
                    f"{[(g.slot, g.text) for g in got]}"
                )
    return out


def _retrieval_row(ranked: Sequence[Ranked], k: int, threshold: float) -> dict[str, Any]:
    score = score_retrieval(ranked, k=k, max_distance=threshold)
    return {
        "k": k,
        "max_distance": threshold,
        "answerable": score.answerable,
        "hits": score.hits,
        "recall": round(score.recall, 4),
        "unanswerable": score.unanswerable,
        "false_retrievals": score.false_retrievals,
        "false_retrieval_rate": round(score.false_retrieval_rate, 4),
        "retrieved_per_answerable": round(score.retrieved_per_question, 2),
    }


def _retrieval(encoder: _Encoder, show: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variant, to_embed in VARIANTS.items():
        out[variant] = {}
        for split in ("dev", "test"):
            users = load_retrieval(split)
            ranked = rank_questions(users, encoder, to_embed)
            answered = [r for r in ranked if r.answer is not None]
            unanswered = [r for r in ranked if r.answer is None]
            rank_of = [
                [t for t, _ in r.ranking].index(r.answer) + 1
                for r in answered
                if r.answer is not None
            ]
            out[variant][split] = {
                "users": len(users),
                "at_constants": _retrieval_row(ranked, RECALL_K, MAX_DISTANCE),
                "recall_at_1_no_threshold": round(sum(r == 1 for r in rank_of) / len(rank_of), 4),
                "recall_at_3_no_threshold": round(sum(r <= 3 for r in rank_of) / len(rank_of), 4),
                "answer_distance_median": round(
                    float(np.median([dict(r.ranking)[r.answer] for r in answered if r.answer])), 4
                ),
                "unanswerable_nearest_median": round(
                    float(np.median([r.ranking[0][1] for r in unanswered])), 4
                ),
                "sweep": [_retrieval_row(ranked, RECALL_K, t) for t in SWEEP],
            }
            if show and variant == "embedding_text":
                for r in ranked:
                    got = r.retrieved(k=RECALL_K, max_distance=MAX_DISTANCE)
                    if (r.answer is None and got) or (r.answer is not None and r.answer not in got):
                        near = ", ".join(f"{t} ({d:.2f})" for t, d in r.ranking[:3])
                        print(f"    [{split}] {r.question!r} -> want {r.answer!r}; nearest {near}")
    print(f"\nretrieval (RECALL_K={RECALL_K}, MAX_DISTANCE={MAX_DISTANCE}; cosine distance)")
    print(
        f"{'embedded text':<16}{'set':<6}{'pairs':>6}{'recall@k':>10}{'@3 no thr.':>11}"
        f"{'@1 no thr.':>11}{'no-answer':>10}{'false retr.':>12}{'mean kept':>10}"
    )
    for variant, splits in out.items():
        for split, row in splits.items():
            at = row["at_constants"]
            print(
                f"{variant:<16}{split:<6}{at['answerable']:>6}{at['recall']:>10.3f}"
                f"{row['recall_at_3_no_threshold']:>11.3f}{row['recall_at_1_no_threshold']:>11.3f}"
                f"{at['unanswerable']:>10}{at['false_retrieval_rate']:>12.3f}"
                f"{at['retrieved_per_answerable']:>10.2f}"
            )
    print(f"\nthreshold sweep, embedding_text, k={RECALL_K}: recall@k / false retrieval")
    print(f"{'max distance':>13}" + "".join(f"{s:>16}" for s in ("dev", "test")))
    for index, threshold in enumerate(SWEEP):
        cells = []
        for split in ("dev", "test"):
            row = out["embedding_text"][split]["sweep"][index]
            cells.append(f"{row['recall']:.3f} / {row['false_retrieval_rate']:.3f}")
        print(f"{threshold:>13.2f}" + "".join(f"{c:>16}" for c in cells))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    extraction = _extraction(args.show_misses)
    encoder = _Encoder(args.threads)
    retrieval = _retrieval(encoder, args.show_misses)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "bench.bench_memory", *(argv or sys.argv[1:])]),
        "definitions": {
            "match": "a candidate counts when slot and text (case-folded) match a labelled one",
            "distance": "Firestore COSINE: 1 - cosine similarity",
            "recall@k": "the answering memory among the k nearest with distance <= max_distance",
            "false_retrieval": "a question no memory answers retrieves at least one memory",
        },
        "constants": {"RECALL_K": RECALL_K, "MAX_DISTANCE": MAX_DISTANCE},
        "extraction": extraction,
        "retrieval": retrieval,
        "encoder": {
            "load_seconds": round(encoder.load_seconds, 3),
            "ms_per_text": round(encoder.seconds / max(encoder.calls, 1) * 1000, 3),
        },
        "machine": machine_info(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
