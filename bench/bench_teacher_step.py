"""What one intent fine-tuning step costs here: MiniLM-L6 (the served encoder) against the
all-mpnet-base-v2 teacher, fp32 and bf16 autocast, on batches of CLINC150 training texts.

Run in the training venv after `auraos-fetch-teacher`:
    .venv-train/bin/python -m bench.bench_teacher_step [--threads 2] [--steps 4]
Prints a table and writes bench/results/teacher_step.json, with the minutes an epoch of the
intent recipe's training set would take, so a teacher run can be planned to fit (#20).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bench.harness import ROOT, machine_info

log = logging.getLogger(__name__)

# train + oos_train + outlier exposure + val: the rows of the shipped recipe's default run.
EPOCH_TEXTS = 15_000 + 100 + 1_463 + 152 + 3_000


def _step_seconds(
    model_dir: Path, texts: list[str], *, steps: int, batch_size: int, bf16: bool
) -> dict[str, float]:
    import torch
    from torch import nn

    from ai_service.training.torch_encoder import MeanPooledEncoder, load_tokenizer

    encoder = MeanPooledEncoder(model_dir)
    tokenizer = load_tokenizer(model_dir)
    width = encoder.transformer.config.hidden_size
    head = nn.Parameter(torch.randn(151, width) * 0.02)
    optimiser = torch.optim.AdamW([*encoder.parameters(), head], lr=1e-5)
    target = torch.randint(0, 151, (batch_size,))
    encoder.train()
    timings = []
    for step in range(steps + 1):  # the first step warms the allocator and kernels up
        batch = tokenizer(
            texts[step * batch_size : (step + 1) * batch_size],
            padding=True,
            truncation=True,
            max_length=48,
            return_tensors="pt",
        )
        started = time.perf_counter()
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()
        with autocast:
            emb = encoder(batch["input_ids"], batch["attention_mask"])
            logits = 20 * emb.float() @ nn.functional.normalize(head, dim=-1).T
        loss = nn.functional.cross_entropy(logits, target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step:
            timings.append(time.perf_counter() - started)
    per_step = statistics.median(timings)
    return {
        "step_s_median": round(per_step, 3),
        "epoch_min_estimate": round(per_step * EPOCH_TEXTS / batch_size / 60, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    import torch

    from ai_service.ml.intent import load_clinc
    from ai_service.training.intent import DEFAULT_DATA
    from ai_service.training.teacher import fetch_teacher
    from ai_service.training.torch_encoder import base_model_dir

    torch.set_num_threads(args.threads)
    texts = [text for text, _ in load_clinc(DEFAULT_DATA)["train"]][::7][
        : (args.steps + 1) * args.batch_size
    ]
    models = {"all-MiniLM-L6-v2": base_model_dir(), "all-mpnet-base-v2": fetch_teacher()}
    rows: dict[str, Any] = {}
    for name, model_dir in models.items():
        for bf16 in (False, True):
            key = f"{name} {'bf16' if bf16 else 'fp32'}"
            rows[key] = _step_seconds(
                model_dir, texts, steps=args.steps, batch_size=args.batch_size, bf16=bf16
            )
            log.info("%-28s %s", key, rows[key])
    result = {
        "threads": args.threads,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "epoch_texts": EPOCH_TEXTS,
        "rows": rows,
        "machine": machine_info(),
    }
    out = ROOT / "bench" / "results" / "teacher_step.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    log.info("wrote %s", out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
