"""The intent cascade: texts the served MiniLM head is unsure of are re-read by the mpnet teacher.

The fine-tuned all-mpnet-base-v2 teacher (`auraos-train-intent-teacher`, int8 ONNX) is 0.7
points more accurate on CLINC150 test than the MiniLM student, but takes 6 ms a text against
1.7 ms, over the 5 ms budget of `/v1/analyze`. Distilling it into MiniLM gained nothing on val,
and the student is nearly always right when it is sure, so it answers every text and only
those whose best in-scope intent has a probability in [`above`, `below`) (one in-scope text
in fifteen) go to the teacher, whose probabilities then replace the student's. Texts the
student calls out-of-scope, or barely in scope (under `above`), are not escalated: chat traffic
is full of them and they would take the teacher's latency to the median and halve batched
throughput. Entities and sentiment keep reading the student's one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .artifacts import ArtifactError, float32_arrays, open_artifact
from .encoder import SentenceEncoder
from .probabilities import softmax


class IntentEscalation:
    """The teacher: its encoder and cosine head over the student's labels, and when to ask it."""

    def __init__(
        self,
        *,
        encoder: SentenceEncoder,
        labels: Sequence[str],
        cosine_weight: NDArray[np.float32],
        scale: float,
        above: float,
        below: float,
        threshold: float,
    ) -> None:
        if cosine_weight.shape != (len(labels), encoder.dim):
            raise ArtifactError(
                f"teacher head {cosine_weight.shape} for {len(labels)} labels of width "
                f"{encoder.dim}"
            )
        self.encoder = encoder
        self.labels = tuple(labels)
        self._cosine = cosine_weight
        self.scale = scale
        self.above = above
        self.below = below
        #: The out-of-scope threshold chosen for the cascade's probabilities (not the student's).
        self.threshold = threshold

    @classmethod
    def load(cls, directory: Path, *, threads: int = 1, check: bool = True) -> IntentEscalation:
        _, config = open_artifact(directory, check=check)
        return cls(
            encoder=SentenceEncoder.from_dir(directory, threads=threads),
            labels=config["labels"],
            cosine_weight=float32_arrays(directory / "head.npz")["cosine_weight"],
            scale=float(config["scale"]),
            above=float(config["above"]),
            below=float(config["below"]),
            threshold=float(config["threshold"]),
        )

    def escalated(self, probs: NDArray[np.float32], oos: int) -> NDArray[np.bool_]:
        """Rows whose best intent is in scope with a probability in [`above`, `below`)."""
        best, confidence = probs.argmax(1), probs.max(1)
        return np.asarray((best != oos) & (confidence >= self.above) & (confidence < self.below))

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # One text per pass: dynamic int8 scales activations per batch, and the teacher's vector
        # for a text moved by up to 0.15 in cosine with its batch-mates (MiniLM's by 0.02). On
        # its own, a text reads the same in the chat path, a batch and the benchmarks. The
        # price is batched throughput: a dozen single passes take about twice one padded batch.
        embeddings = self.encoder.encode(texts, batch_size=1)
        return np.asarray(softmax(self.scale * (embeddings @ self._cosine.T)), dtype=np.float32)
