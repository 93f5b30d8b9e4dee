"""The shared sentence encoder (all-MiniLM-L6-v2, fine-tuned on CLINC150), run by ONNX Runtime.

The ONNX graph already mean-pools and L2-normalises, so `encode` returns unit vectors; every head
(intent, sentiment, item text for recommendations) is trained on these same vectors. The same
pass also yields per-word states (`token_states`, see training/onnx_graph.py) for the entity
tagger, so one run of the network serves intent, sentiment and entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

EMBEDDING_DIM = 384
TOKEN_STATES = "token_states"  # noqa: S105 - an output name, not a secret


@dataclass(frozen=True, slots=True)
class WordStates:
    """One text's words (the tokenizer's pre-tokens: split on spaces and punctuation) with
    the state of each word's first sub-token; words past the length limit are absent."""

    spans: tuple[tuple[int, int], ...]  # character offsets of each word
    states: NDArray[np.float32]  # (len(spans), token state width)


class SentenceEncoder:
    """Loads once; `encode` is thread-safe (ONNX Runtime sessions are)."""

    def __init__(
        self,
        *,
        model_path: Path | Sequence[Path],
        tokenizer_path: Path,
        threads: int = 1,
        max_length: int = 128,
    ) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # A graph over GitHub's 100 MB file limit is stored in parts, joined here in memory.
        model: str | bytes = (
            str(model_path)
            if isinstance(model_path, Path)
            else b"".join(part.read_bytes() for part in model_path)
        )
        self._session = ort.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        self.has_token_states = TOKEN_STATES in outputs
        width = outputs["embedding"].shape[-1]
        self.dim = width if isinstance(width, int) else EMBEDDING_DIM
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # Pad with the model's own pad id (MPNet derives positions from it; BERT's is 0).
        self._pad_id = int((tokenizer.padding or {}).get("pad_id", 0))
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.max_length = max_length

    @classmethod
    def from_dir(cls, directory: Path, *, threads: int = 1) -> SentenceEncoder:
        """The artifact `auraos-train-intent` writes: encoder.onnx (or its parts,
        encoder.onnx.part1, part2, ... in order) and tokenizer.json."""
        whole = directory / "encoder.onnx"
        parts = sorted(
            directory.glob("encoder.onnx.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1])
        )
        return cls(
            model_path=whole if whole.exists() or not parts else parts,
            tokenizer_path=directory / "tokenizer.json",
            threads=threads,
        )

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> NDArray[np.float32]:
        """Unit-length embeddings, shape (len(texts), 384)."""
        embeddings, _ = self._encode(texts, batch_size=batch_size, words=False)
        return embeddings

    def encode_with_words(
        self, texts: Sequence[str], *, batch_size: int = 64
    ) -> tuple[NDArray[np.float32], list[WordStates]]:
        """Embeddings plus each text's word states, from one pass of the network."""
        if not self.has_token_states:
            raise ValueError("this encoder graph has no token_states output (re-export it)")
        return self._encode(texts, batch_size=batch_size, words=True)

    def _encode(
        self, texts: Sequence[str], *, batch_size: int, words: bool
    ) -> tuple[NDArray[np.float32], list[WordStates]]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        word_states: list[WordStates] = [_NO_WORDS] * len(texts)
        if not texts:
            return out, word_states
        # Sort by length so each batch pads little; restore the order at the end.
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for begin in range(0, len(texts), batch_size):
            idx = order[begin : begin + batch_size]
            batch = [encodings[i] for i in idx]
            embedding, states = self._run(batch, words=words)
            out[idx] = embedding
            if states is not None:
                for row, i in enumerate(idx):
                    word_states[i] = _words(batch[row], states[row])
        return out, word_states

    def _run(
        self, encodings: Sequence[Encoding], *, words: bool
    ) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        outputs = ["embedding", TOKEN_STATES] if words else ["embedding"]
        results = self._session.run(outputs, feeds)
        states = np.asarray(results[1], dtype=np.float32) if words else None
        return np.asarray(results[0], dtype=np.float32), states


def _words(encoding: Encoding, states: NDArray[np.float32]) -> WordStates:
    """Group sub-tokens by word; a word's state is its first sub-token's."""
    first: dict[int, int] = {}
    spans: dict[int, tuple[int, int]] = {}
    for position, word in enumerate(encoding.word_ids):
        if word is None:  # [CLS], [SEP]
            continue
        start, end = encoding.offsets[position]
        if word not in first:
            first[word] = position
            spans[word] = (start, end)
        else:
            spans[word] = (spans[word][0], end)
    order = sorted(first)
    return WordStates(
        spans=tuple(spans[w] for w in order),
        states=states[[first[w] for w in order]] if order else states[:0],
    )


_NO_WORDS = WordStates(spans=(), states=np.zeros((0, 0), dtype=np.float32))
