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

from bench.bench_models import TEXTS, timed
from bench.harness import ROOT, machine_info

log = logging.getLogger(__name__)


class _OnnxEncoder:
    """An exported encoder (mean pooling + L2 norm in the graph) with its own tokenizer."""

    def __init__(self, model: Path, tokenizer: Path, *, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(128)
        self._tokenizer.no_padding()  # a saved tokenizer may pad; the mask below must see text only
        pad = self._tokenizer.token_to_id("<pad>")
        self._pad_id = 0 if pad is None else pad

    def encode(self, texts: list[str]) -> Any:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return self._session.run(["embedding"], feeds)[0]


def _export_teacher(teacher_dir: Path, out: Path) -> tuple[Path, Path, Path, Any, list[str]]:
    """teacher.pt -> fp32 and int8 ONNX (the served recipe, without the MiniLM-only
    token_states), the tokenizer, the normalised cosine head and its class names."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from ai_service.training.teacher import default_teacher_dir
    from ai_service.training.torch_encoder import MeanPooledEncoder, load_tokenizer

    saved = torch.load(teacher_dir / "teacher.pt", weights_only=False)
    encoder = MeanPooledEncoder(default_teacher_dir())
    encoder.load_state_dict(saved["encoder"])
    encoder.eval()
    tokenizer = load_tokenizer(default_teacher_dir())
    sample = tokenizer(
        ["export", "export the teacher with a padded batch"], padding=True, return_tensors="pt"
    )
    fp32 = out / "teacher.fp32.onnx"
    torch.onnx.export(
        encoder,
        (sample["input_ids"], sample["attention_mask"]),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["embedding"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "seq"},
            "embedding": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    int8 = out / "teacher.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    tokenizer_json = out / "tokenizer.json"
    tokenizer.backend_tokenizer.save(str(tokenizer_json))
    head = torch.nn.functional.normalize(saved["head"].float(), dim=-1).numpy()
    return fp32, int8, tokenizer_json, head, list(saved["labels"])


def _test_accuracy(encoder: _OnnxEncoder, head: Any, labels: list[str]) -> float:
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


def _latency(encoder: _OnnxEncoder, n: int) -> dict[str, float]:
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
    served = _OnnxEncoder(
        MODELS_DIR / "encoder" / "encoder.onnx",
        MODELS_DIR / "encoder" / "tokenizer.json",
        threads=args.threads,
    )
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8, tokenizer, head, labels = _export_teacher(args.teacher, Path(tmp))
        results: dict[str, dict[str, float]] = {
            "served_minilm_int8": {
                **_latency(served, args.n),
                "onnx_bytes": (MODELS_DIR / "encoder" / "encoder.onnx").stat().st_size,
            },
        }
        for name, model in (("teacher_mpnet_int8", int8), ("teacher_mpnet_fp32", fp32)):
            teacher = _OnnxEncoder(model, tokenizer, threads=args.threads)
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
