"""The shared row-wise softmax: normalised, precision-preserving, overflow-safe."""

from __future__ import annotations

import numpy as np
import pytest

from ai_service.ml.probabilities import softmax


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_are_distributions_in_the_input_precision(dtype: type[np.floating]) -> None:
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=dtype)
    probs = softmax(logits)
    assert probs.dtype == dtype
    assert np.allclose(probs.sum(axis=1), 1.0)
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    assert np.allclose(probs[0], expected, atol=1e-6)
    assert np.allclose(probs[1], 1 / 3)


def test_large_logits_do_not_overflow() -> None:
    probs = softmax(np.array([[1000.0, 999.0, -1000.0]], dtype=np.float32))
    assert np.all(np.isfinite(probs))
    assert probs[0, 0] > probs[0, 1] > probs[0, 2] >= 0.0
