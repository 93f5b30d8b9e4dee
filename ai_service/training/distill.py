"""Knowledge distillation of the intent student from the mpnet teacher's soft targets.

`auraos-train-intent-teacher` writes `soft_targets.npz`: the class names and the teacher's
logits on every text it trained on and on every val text. The student's loss on a batch is
`(1 - w) * CE(label-smoothed gold) + w * T^2 * KL(teacher_T || student_T)` (Hinton et al. 2015),
where `_T` is a softmax at temperature T; the T^2 keeps the KL term's gradient the size of the
cross-entropy's as T changes. A row the teacher never scored is trained on its label alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ml.artifacts import ArtifactError

SOFT_TARGETS = "soft_targets.npz"


@dataclass(frozen=True)
class SoftTargets:
    """The teacher's logits by text, over the teacher's class names."""

    labels: tuple[str, ...]
    logits_by_text: dict[str, NDArray[np.float32]]

    @classmethod
    def load(cls, directory: Path) -> SoftTargets:
        path = directory / SOFT_TARGETS
        if not path.is_file():
            raise ArtifactError(
                f"{path} is missing: run auraos-train-intent-teacher first (or --kd-weight 0)"
            )
        by_text: dict[str, NDArray[np.float32]] = {}
        with np.load(path) as saved:
            labels = tuple(str(label) for label in saved["labels"].tolist())
            for split in ("train", "val"):
                texts = saved[f"{split}_texts"].tolist()
                logits = saved[f"{split}_logits"].astype(np.float32)
                if logits.shape != (len(texts), len(labels)):
                    raise ArtifactError(
                        f"{path}: {split} logits {logits.shape} for {len(texts)} texts "
                        f"and {len(labels)} classes"
                    )
                by_text.update(zip(texts, logits, strict=True))
        return cls(labels=labels, logits_by_text=by_text)

    def aligned(
        self, texts: Sequence[str], labels: Sequence[str]
    ) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
        """The teacher's logits row by row for `texts`, columns in the student's `labels` order,
        and a mask of the rows the teacher scored (the others are zeros)."""
        missing = set(labels) - set(self.labels)
        if missing:
            raise ArtifactError(f"the teacher has no class {sorted(missing)[:3]}")
        columns = [self.labels.index(label) for label in labels]
        out = np.zeros((len(texts), len(labels)), dtype=np.float32)
        scored = np.zeros(len(texts), dtype=bool)
        for row, text in enumerate(texts):
            found = self.logits_by_text.get(text)
            if found is not None:
                out[row] = found[columns]
                scored[row] = True
        return out, scored


def teacher_card(directory: Path) -> dict[str, Any]:
    """What the student's model card records of its teacher: base, figures, soft-target sha256."""
    import json  # noqa: PLC0415

    from .common import sha256_file  # noqa: PLC0415

    card = json.loads((directory / "card.json").read_text(encoding="utf-8"))
    metrics = card["metrics"]
    return {
        "base": card["base"],
        "data": card["data"],
        "val_in_scope_accuracy": metrics["val_in_scope_accuracy"],
        "test_in_scope_accuracy": metrics["test_in_scope_accuracy"],
        "soft_targets_sha256": sha256_file(directory / SOFT_TARGETS),
    }


def distillation_loss(
    student_logits: Any,
    teacher_logits: Any,
    scored: Any,
    *,
    temperature: float,
) -> Any:
    """T^2 * KL(softmax(teacher / T) || softmax(student / T)), averaged over the scored rows."""
    from torch import nn  # noqa: PLC0415 - training extra only

    if not bool(scored.any()):
        return student_logits.sum() * 0.0
    student = nn.functional.log_softmax(student_logits[scored] / temperature, dim=-1)
    teacher = nn.functional.log_softmax(teacher_logits[scored] / temperature, dim=-1)
    kl = nn.functional.kl_div(student, teacher, log_target=True, reduction="batchmean")
    return kl * temperature**2
