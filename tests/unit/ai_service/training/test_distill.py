"""Distillation: the teacher's soft targets line up with the student's rows and classes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ai_service.ml.artifacts import ArtifactError
from ai_service.training.distill import SoftTargets, distillation_loss, teacher_card

LABELS = np.array(["alarm", "weather", "oos"])


def _write(directory: Path, *, train_logits: np.ndarray | None = None) -> Path:
    np.savez(
        directory / "soft_targets.npz",
        labels=LABELS,
        train_texts=np.array(["wake me at 7", "is it raining"]),
        train_logits=(
            np.array([[9.0, 1.0, 0.0], [0.0, 8.0, 2.0]], dtype=np.float32)
            if train_logits is None
            else train_logits
        ),
        val_texts=np.array(["sing me a song"]),
        val_logits=np.array([[0.0, 1.0, 7.0]], dtype=np.float32),
    )
    return directory


def test_aligned_reorders_columns_to_the_students_classes_and_masks_unscored_rows(
    tmp_path: Path,
) -> None:
    targets = SoftTargets.load(_write(tmp_path))
    logits, scored = targets.aligned(
        ["is it raining", "never seen", "sing me a song"], ["oos", "alarm", "weather"]
    )
    assert scored.tolist() == [True, False, True]
    np.testing.assert_array_equal(logits[0], [2.0, 0.0, 8.0])  # oos, alarm, weather
    np.testing.assert_array_equal(logits[1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(logits[2], [7.0, 0.0, 1.0])  # a val text counts too


def test_a_class_the_teacher_never_learnt_is_an_artifact_error(tmp_path: Path) -> None:
    targets = SoftTargets.load(_write(tmp_path))
    with pytest.raises(ArtifactError, match="timer"):
        targets.aligned(["wake me at 7"], ["alarm", "timer", "oos"])


def test_missing_or_misshapen_soft_targets_are_artifact_errors(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="auraos-train-intent-teacher"):
        SoftTargets.load(tmp_path)
    _write(tmp_path, train_logits=np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ArtifactError, match="logits"):
        SoftTargets.load(tmp_path)


def test_teacher_card_names_the_teacher_its_figures_and_the_soft_targets_checksum(
    tmp_path: Path,
) -> None:
    _write(tmp_path)
    (tmp_path / "card.json").write_text(
        json.dumps(
            {
                "base": "all-mpnet-base-v2",
                "data": "CLINC150 train",
                "metrics": {"val_in_scope_accuracy": 0.985, "test_in_scope_accuracy": 0.976},
            }
        )
    )
    card = teacher_card(tmp_path)
    assert card["test_in_scope_accuracy"] == 0.976
    assert len(card["soft_targets_sha256"]) == 64
    _write(tmp_path, train_logits=np.ones((2, 3), dtype=np.float32))
    assert teacher_card(tmp_path)["soft_targets_sha256"] != card["soft_targets_sha256"]


def test_distillation_loss_is_zero_at_the_teacher_and_grows_with_disagreement() -> None:
    torch = pytest.importorskip("torch")
    teacher = torch.tensor([[4.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    scored = torch.tensor([True, True])
    assert float(distillation_loss(teacher, teacher, scored, temperature=2.0)) == pytest.approx(0)
    near = distillation_loss(
        teacher + torch.tensor([0.0, 0.5, 0.0]), teacher, scored, temperature=2.0
    )
    far = distillation_loss(teacher.flip(-1), teacher, scored, temperature=2.0)
    assert 0 < float(near) < float(far)
    # Unscored rows do not count, and a batch without any gives a zero that still backpropagates.
    only_first = torch.tensor([True, False])
    wrong_second = torch.stack([teacher[0], teacher[1].flip(-1)])
    assert float(distillation_loss(wrong_second, teacher, only_first, temperature=2.0)) == (
        pytest.approx(0)
    )
    student = teacher.clone().requires_grad_(True)
    none = distillation_loss(student, teacher, torch.tensor([False, False]), temperature=2.0)
    none.backward()
    assert float(none) == 0.0
    assert student.grad is not None
