"""`auraos-train-intent-teacher`: all-mpnet-base-v2 fine-tuned on CLINC150, the intent teacher.

The recipe is the shipped student's (`training/intent.py`): the same training rows (CLINC train
+ oos_train + outlier exposure in CLINC's surface form), the cosine-softmax head, label smoothing,
AdamW with warm-up and linear decay. Two things differ because the encoder is 5x larger: the
forward pass runs under bf16 autocast (2.3x faster per step here, `bench/bench_teacher_step.py`)
and the learning rate is lower. The teacher trains on train only, so val can choose its epoch;
test is scored once, at the end, for the card. Every epoch writes a checkpoint (weights, head,
optimiser, scheduler, the batch order's random state) and a rerun resumes from the newest one.

Output in `--out` (default `~/.cache/auraos/intent-teacher`, never committed): `teacher.pt`, the
chosen weights and head; `soft_targets.npz`, the teacher's logits on every training row and val
text, which the student is distilled from; `card.json` with val and test figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ml.intent import OOS_LABEL, load_clinc
from .common import emit, seed_everything, warmup_then_linear_decay
from .intent import DEFAULT_DATA, outlier_texts, trivia_questions
from .teacher import default_intent_teacher_dir, fetch_teacher

log = logging.getLogger(__name__)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=default_intent_teacher_dir())
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--warmup", type=float, default=0.06)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--outliers", type=int, default=2000)
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--limit", type=int, default=0, help="smoke test: first N per split")
    return parser.parse_args(argv)


Rows = list[tuple[str, str]]


def _rows(args: argparse.Namespace) -> tuple[dict[str, Rows], Rows, list[str]]:
    """CLINC's splits, the teacher's training rows, and the class names (`oos` last)."""
    data = load_clinc(args.data)
    if args.limit:
        rng = np.random.default_rng(args.seed)
        data = {k: [v[i] for i in rng.permutation(len(v))[: args.limit]] for k, v in data.items()}
    queries = {text for split in ("train", "val") for text, _ in data[split]}
    outliers = outlier_texts(limit=args.outliers, exclude=queries) if args.outliers else []
    trivia_train, _ = trivia_questions()
    train = data["train"] + data["oos_train"] + [(t, OOS_LABEL) for t in outliers + trivia_train]
    intents = [*sorted({label for _, label in train} - {OOS_LABEL}), OOS_LABEL]
    for split in ("val", "test"):  # a --limit smoke run may not have seen every class
        data[split] = [row for row in data[split] if row[1] in intents]
    return data, train, intents


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0915 - a linear recipe
    import torch  # noqa: PLC0415 - training extra only
    from torch import nn  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    from .torch_encoder import MeanPooledEncoder, load_tokenizer  # noqa: PLC0415

    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    data, train, intents = _rows(args)
    texts = [t for t, _ in train]
    index = {label: i for i, label in enumerate(intents)}
    labels = torch.tensor([index[label] for _, label in train])
    model_dir = fetch_teacher()
    encoder = MeanPooledEncoder(model_dir)
    tokenizer = load_tokenizer(model_dir)
    width = int(encoder.transformer.config.hidden_size)
    weight = nn.Parameter(torch.randn(len(intents), width) * 0.02)
    optimiser = torch.optim.AdamW(
        [
            {"params": list(encoder.parameters()), "lr": args.lr, "weight_decay": 0.01},
            {"params": [weight], "lr": args.head_lr, "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(texts) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = int(total * args.warmup)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, warmup_then_linear_decay(warmup=warmup, total=total)
    )
    rng = np.random.default_rng(args.seed)
    state = _TrainingState(encoder, weight, optimiser, scheduler, rng)
    args.out.mkdir(parents=True, exist_ok=True)
    history = state.resume(args.out)
    first_epoch = len(history)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    def logits_of(batch_texts: Sequence[str]) -> Any:
        batch = tokenizer(
            list(batch_texts),
            padding=True,
            truncation=True,
            max_length=args.max_length,
            return_tensors="pt",
        )
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            emb = encoder(batch["input_ids"], batch["attention_mask"])
        return args.scale * emb.float() @ nn.functional.normalize(weight, dim=-1).T

    def predict(rows_texts: Sequence[str]) -> NDArray[np.float32]:
        encoder.eval()
        with torch.inference_mode():
            out = [
                logits_of(rows_texts[b : b + 256]).numpy() for b in range(0, len(rows_texts), 256)
            ]
        encoder.train()
        return np.concatenate(out).astype(np.float32)

    bar = tqdm(total=total, initial=first_epoch * steps_per_epoch, desc="teacher", unit="step")
    encoder.train()
    for epoch in range(first_epoch, args.epochs):
        order = rng.permutation(len(texts))
        running = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * args.batch_size : (step + 1) * args.batch_size]
            loss = loss_fn(logits_of([texts[i] for i in idx]), labels[idx])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{running:.3f}")
        val = _closed_set_accuracy(predict([t for t, _ in data["val"]]), data["val"], index)
        history.append({"epoch": epoch + 1, "val_in_scope_accuracy": round(val, 4)})
        log.info("epoch %d: val in-scope accuracy %.4f", epoch + 1, val)
        state.checkpoint(args.out, history)
    bar.close()

    # The last epoch is kept (the schedule decays to 0 there); val's per-epoch figures show
    # whether an earlier stop would have been better, for the next run's --epochs.
    test_logits = predict([t for t, _ in data["test"]])
    metrics = {
        "val_in_scope_accuracy": history[-1]["val_in_scope_accuracy"],
        "test_in_scope_accuracy": round(_closed_set_accuracy(test_logits, data["test"], index), 4),
        "epochs": history,
        "train_minutes": round((time.monotonic() - started) / 60, 1),
    }
    unlabelled = [t for t, _ in data["val"]] + [t for t, _ in data["oos_val"]]
    np.savez(
        args.out / "soft_targets.npz",
        labels=np.array(intents),
        train_texts=np.array(texts),
        train_logits=predict(texts),
        val_texts=np.array(unlabelled),
        val_logits=predict(unlabelled),
    )
    torch.save(
        {"encoder": encoder.state_dict(), "head": weight.detach(), "labels": intents},
        args.out / "teacher.pt",
    )
    card = {
        "base": "all-mpnet-base-v2 (Apache-2.0), auraos-fetch-teacher",
        "data": "CLINC150 train + oos_train + GoEmotions questions + chatterbot trivia as oos",
        "metrics": metrics,
        "settings": {k: v for k, v in vars(args).items() if not isinstance(v, Path)},
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    emit(json.dumps(metrics, indent=2))
    return 0


def _closed_set_accuracy(
    logits: NDArray[np.float32], rows: Sequence[tuple[str, str]], index: dict[str, int]
) -> float:
    """150-way accuracy: the best in-scope intent, `oos` never allowed (as score_clinc)."""
    closed = logits.copy()
    closed[:, index[OOS_LABEL]] = -np.inf
    gold = np.array([index[label] for _, label in rows])
    return float(np.mean(closed.argmax(1) == gold))


@dataclass(frozen=True)
class _TrainingState:
    """What a resumed run needs to continue exactly: weights, head, optimiser, schedule, order."""

    encoder: Any
    weight: Any
    optimiser: Any
    scheduler: Any
    rng: np.random.Generator

    def checkpoint(self, out: Path, history: list[dict[str, Any]]) -> None:
        import torch  # noqa: PLC0415

        partial = out / "checkpoint.pt.partial"
        torch.save(
            {
                "encoder": self.encoder.state_dict(),
                "head": self.weight.detach(),
                "optimiser": self.optimiser.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "rng": self.rng.bit_generator.state,
                "history": history,
            },
            partial,
        )
        partial.replace(out / "checkpoint.pt")  # a run killed mid-write keeps the previous one

    def resume(self, out: Path) -> list[dict[str, Any]]:
        """Load the newest checkpoint; return its val history, one entry per finished epoch."""
        import torch  # noqa: PLC0415

        path = out / "checkpoint.pt"
        if not path.exists():
            return []
        saved = torch.load(path, weights_only=False)
        self.encoder.load_state_dict(saved["encoder"])
        with torch.no_grad():
            self.weight.copy_(saved["head"])
        self.optimiser.load_state_dict(saved["optimiser"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.rng.bit_generator.state = saved["rng"]
        history: list[dict[str, Any]] = saved["history"]
        log.info("resuming after epoch %d", len(history))
        return history


if __name__ == "__main__":
    sys.exit(main())
