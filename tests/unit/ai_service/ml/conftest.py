"""Load every trained model once for the session (the artifacts are committed under
ai_service/models; the serving dependencies are onnxruntime, tokenizers,
vaderSentiment and scikit-learn)."""

from __future__ import annotations

import pytest

pytest.importorskip("onnxruntime", reason="serving dependencies of ai_service/ml not installed")

from ai_service.ml.config import MLSettings
from ai_service.ml.registry import ModelRegistry


@pytest.fixture(scope="session")
def registry() -> ModelRegistry:
    return ModelRegistry.load(MLSettings(threads=1))
