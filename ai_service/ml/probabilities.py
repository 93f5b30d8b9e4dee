"""Row-wise softmax, the one probability transform every linear head here shares."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

_Float = TypeVar("_Float", np.float32, np.float64)


def softmax(logits: NDArray[_Float]) -> NDArray[_Float]:
    """Softmax over each row, in the logits' own precision (each row shifted by its maximum,
    so large logits cannot overflow)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=logits.dtype)
