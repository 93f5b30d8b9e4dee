"""What serving the intent teacher itself would cost: all-mpnet-base-v2 fine-tuned on CLINC150
(`auraos-train-intent-teacher`), exported to ONNX and quantised to int8 as the served MiniLM is,
against the served encoder, both on the same texts and threads.

Run in the training venv after `auraos-train-intent-teacher`:
    .venv-train/bin/python -m bench.bench_teacher_serving [--threads 2] [-n 200]
Prints a table and writes bench/results/teacher_serving.json: encoder latency for one text (p50,
p95), a batch of 64, and the int8 teacher's CLINC150 test in-scope accuracy (150-way, its cosine
head), so the trade-off between the teacher's accuracy and the latency budget is measured (#20).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ai_service.ml.encoder import SentenceEncoder
from bench.bench_models import TEXTS, timed
from bench.harness import ROOT, machine_info

log = logging.getLogger(__name__)


def _export_teacher(teacher_dir: Path, out: Path) -> tuple[Path, Path, Any, list[str]]:
    """teacher.pt -> fp32 and int8 ONNX (the served recipe, without the MiniLM-only
    token_states) and tokenizer.json in `out`; the normalised cosine head and its class names."""
    import torch

    from ai_service.training.teacher import default_teacher_dir
    from ai_service.training.torch_encoder import MeanPooledEncoder, export_onnx, load_tokenizer

    saved = torch.load(teacher_dir / "teacher.pt", weights_only=False)
    encoder = MeanPooledEncoder(default_teacher_dir())
    encoder.load_state_dict(saved["encoder"])
    fp32, int8 = export_onnx(
        encoder, load_tokenizer(default_teacher_dir()), out, token_states=False
    )
    head = torch.nn.functional.normalize(saved["head"].float(), dim=-1).numpy()
    return fp32, int8, head, list(saved["labels"])


def _test_accuracy(encoder: SentenceEncoder, head: Any, labels: list[str]) -> float:
    """150-way in-scope accuracy on CLINC150 test (`oos` never allowed, as score_clinc)."""
    from ai_service.ml.intent import OOS_LABEL, load_clinc
    from ai_service.training.intent import DEFAULT_DATA

    rows = load_clinc(DEFAULT_DATA)["test"]
    index = {label: i for i, label in enumerate(labels)}
    scores = np.concatenate(
        [encoder.encode([t for t, _ in rows[b : b + 64]]) @ head.T for b in range(0, len(rows), 64)]
    )
    scores[:, index[OOS_LABEL]] = -np.inf
    gold = np.array([index[label] for _, label in rows])
    return float(np.mean(scores.argmax(1) == gold))


def _latency(encoder: SentenceEncoder, n: int) -> dict[str, float]:
    texts = list(TEXTS)
    batch = (texts * 8)[:64]
    one = {"i": 0}

    def single() -> None:
        encoder.encode([texts[one["i"] % len(texts)]])
        one["i"] += 1

    result = {f"one_text_{k}": v for k, v in timed(single, n).items()}
    result.update({f"batch64_{k}": v for k, v in timed(lambda: encoder.encode(batch), 20).items()})
    result["texts_per_s"] = round(64 / (result["batch64_p50_ms"] / 1000), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    from ai_service.ml.artifacts import MODELS_DIR
    from ai_service.training.teacher import default_intent_teacher_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", type=Path, default=default_intent_teacher_dir())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    served = SentenceEncoder.from_dir(MODELS_DIR / "encoder", threads=args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8, head, labels = _export_teacher(args.teacher, Path(tmp))
        tokenizer = Path(tmp) / "tokenizer.json"
        results: dict[str, dict[str, float]] = {
            "served_minilm_int8": {
                **_latency(served, args.n),
                "onnx_bytes": (MODELS_DIR / "encoder" / "encoder.onnx").stat().st_size,
            },
        }
        for name, model in (("teacher_mpnet_int8", int8), ("teacher_mpnet_fp32", fp32)):
            teacher = SentenceEncoder(
                model_path=model, tokenizer_path=tokenizer, threads=args.threads
            )
            results[name] = {
                **_latency(teacher, args.n),
                "onnx_bytes": model.stat().st_size,
                "test_in_scope_accuracy": round(_test_accuracy(teacher, head, labels), 4),
            }
    for name, row in results.items():
        log.info(
            "%-20s one text p50 %6.2f ms p95 %6.2f ms | batch 64 %7.1f ms (%6.1f texts/s) | %s",
            name,
            row["one_text_p50_ms"],
            row["one_text_p95_ms"],
            row["batch64_p50_ms"],
            row["texts_per_s"],
            f"test in-scope {row['test_in_scope_accuracy']:.4f}"
            if "test_in_scope_accuracy" in row
            else "",
        )
    out = ROOT / "bench" / "results" / "teacher_serving.json"
    out.write_text(
        json.dumps(
            {"machine": machine_info(), "threads": args.threads, "results": results}, indent=2
        )
        + "\n"
    )
    log.info("wrote %s", out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
