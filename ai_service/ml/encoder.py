"""The shared sentence encoder (all-MiniLM-L6-v2, fine-tuned on CLINC150), run by ONNX Runtime.

The ONNX graph already mean-pools and L2-normalises, so `encode` returns unit vectors; every head
(intent, sentiment, item text for recommendations) is trained on these same vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

EMBEDDING_DIM = 384


class SentenceEncoder:
    """Loads once; `encode` is thread-safe (ONNX Runtime sessions are)."""

    def __init__(
        self, *, model_path: Path, tokenizer_path: Path, threads: int = 1, max_length: int = 64
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.max_length = max_length

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> NDArray[np.float32]:
        """Unit-length embeddings, shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        # Sort by length so each batch pads little; restore the order at the end.
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for begin in range(0, len(texts), batch_size):
            idx = order[begin : begin + batch_size]
            out[idx] = self._run([encodings[i] for i in idx])
        return out

    def _run(self, encodings: Sequence[Encoding]) -> NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (embedding,) = self._session.run(["embedding"], feeds)
        return np.asarray(embedding, dtype=np.float32)
