"""Activity anomaly detection: Isolation Forest + an autoencoder (ONNX) over per-user features.

One row per user and window (a day of analytics events): FEATURES below. Each detector's raw
score becomes its empirical CDF over normal training windows; the final score is their mean or max
(chosen on validation), in [0, 1]; `score >= threshold` raises an alert.
Trained by ai_service/training/anomaly.py.
"""

from __future__ import annotations

import math
import pickle
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from pydantic import Field

from shared.models.base import Frozen

from .artifacts import float32_arrays, open_artifact

FEATURES: tuple[str, ...] = (
    "log_events",
    "log_rate_vs_typical",
    "log_max_10min",
    "unusual_hour_share",
    "hour_surprise",
    "hour_entropy",
    "log_failures",
    "failure_share",
    "log_new_devices",
    "log_new_locations",
    "log_event_types",
    "top_type_share",
)
_NIGHT = frozenset(range(6))
_UNUSUAL = 0.02  # an hour with under 2 % of the user's typical activity is unusual


def _hour_and_minute(stamp: str | datetime) -> tuple[int, int]:
    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    return moment.hour, moment.hour * 60 + moment.minute


def user_features(events: Sequence[Mapping[str, Any]], profile: Mapping[str, Any]) -> list[float]:
    """FEATURES for one user's window. Events: event_type, client_time, success, device_id,
    location; profile: typical_daily_events, typical_hours (24), known_devices, known_locations."""
    n = len(events)
    if n == 0:
        return [0.0] * len(FEATURES)
    stamps = [_hour_and_minute(e["client_time"]) for e in events]
    hours = [h for h, _ in stamps]
    minutes = sorted(m for _, m in stamps)
    typical = profile.get("typical_daily_events")
    rate = math.log((n + 1) / (float(typical) + 1)) if typical else 0.0
    window, best, left = 10, 1, 0
    for right, minute in enumerate(minutes):
        while minute - minutes[left] >= window:
            left += 1
        best = max(best, right - left + 1)
    typical_hours = profile.get("typical_hours")
    if typical_hours:
        total = sum(typical_hours) or 1.0
        unusual = {h for h in range(24) if typical_hours[h] / total < _UNUSUAL}
    else:
        unusual = set(_NIGHT)
    unusual_share = sum(h in unusual for h in hours) / n
    surprise = 0.0
    if typical_hours:
        p = np.asarray(typical_hours, dtype=np.float64) / (sum(typical_hours) or 1.0) + 1e-3
        # Mean surprisal of today's hours minus the profile's own entropy (0 = a typical day).
        surprise = float(-np.log(p[hours]).mean() + (p * np.log(p)).sum())
    counts = np.bincount(hours, minlength=24) / n
    entropy = float(-(counts[counts > 0] * np.log(counts[counts > 0])).sum() / math.log(24))
    failures = sum(not e.get("success", True) for e in events)
    known_devices = set(profile.get("known_devices") or ())
    known_locations = set(profile.get("known_locations") or ())
    devices = {e.get("device_id") for e in events if e.get("device_id")}
    locations = {e.get("location") for e in events if e.get("location")}
    new_devices = len(devices - known_devices) if known_devices else 0
    new_locations = len(locations - known_locations) if known_locations else 0
    types = Counter(e["event_type"] for e in events)
    return [
        math.log1p(n),
        rate,
        math.log1p(best),
        unusual_share,
        surprise,
        entropy,
        math.log1p(failures),
        failures / n,
        math.log1p(new_devices),
        math.log1p(new_locations),
        math.log1p(len(types)),
        types.most_common(1)[0][1] / n,
    ]


class AnomalyScore(Frozen):
    user_id: str
    score: float = Field(ge=0.0, le=1.0)
    isolation_forest: float = Field(ge=0.0, le=1.0)
    autoencoder: float = Field(ge=0.0, le=1.0)
    alert: bool
    features: dict[str, float]


class AnomalyDetector:
    def __init__(
        self,
        *,
        forest: Any,
        autoencoder: ort.InferenceSession,
        mean: NDArray[np.float32],
        std: NDArray[np.float32],
        forest_reference: NDArray[np.float32],
        autoencoder_reference: NDArray[np.float32],
        threshold: float,
        combine: str = "mean",
        version: str = "dev",
    ) -> None:
        self.combine = combine
        self._forest = forest
        self._autoencoder = autoencoder
        self._mean, self._std = mean, std
        self._forest_ref = np.sort(forest_reference)
        self._ae_ref = np.sort(autoencoder_reference)
        self.threshold = threshold
        self.version = version

    @classmethod
    def load(cls, directory: Path, *, threads: int = 1, check: bool = True) -> AnomalyDetector:
        card, config = open_artifact(directory, check=check)
        with (directory / "isolation_forest.pkl").open("rb") as handle:
            # Our own artifact, sha256-checked against its model card above.
            forest = pickle.load(handle)  # noqa: S301
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(directory / "autoencoder.onnx"),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        arrays = float32_arrays(directory / "reference.npz")
        return cls(
            forest=forest,
            autoencoder=session,
            mean=arrays["mean"],
            std=arrays["std"],
            forest_reference=arrays["forest"],
            autoencoder_reference=arrays["autoencoder"],
            threshold=float(config["threshold"]),
            combine=str(config.get("combine", "mean")),
            version=str(card.get("version", "dev")),
        )

    def raw_scores(self, x: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """(Isolation Forest: higher = more anomalous, autoencoder reconstruction MSE)."""
        z = ((x - self._mean) / self._std).astype(np.float32)
        forest = -np.asarray(self._forest.score_samples(z), dtype=np.float32)
        (recon,) = self._autoencoder.run(["reconstruction"], {"features": z})
        mse = np.asarray(((np.asarray(recon) - z) ** 2).mean(axis=1), dtype=np.float32)
        return forest, mse

    def score_matrix(self, x: NDArray[np.float32]) -> tuple[NDArray[np.float32], ...]:
        forest, mse = self.raw_scores(x)
        p_forest = np.searchsorted(self._forest_ref, forest) / len(self._forest_ref)
        p_ae = np.searchsorted(self._ae_ref, mse) / len(self._ae_ref)
        both = (p_forest, p_ae)
        combined = np.maximum(*both) if self.combine == "max" else (p_forest + p_ae) / 2
        return (
            combined.astype(np.float32),
            p_forest.astype(np.float32),
            p_ae.astype(np.float32),
        )

    def score_users(self, users: Sequence[Mapping[str, Any]]) -> list[AnomalyScore]:
        """Users: {user_id, events: [...], profile: {...}} (snake_case keys)."""
        rows = [user_features(u["events"], u.get("profile") or {}) for u in users]
        x = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))
        combined, p_forest, p_ae = self.score_matrix(x)
        return [
            AnomalyScore(
                user_id=str(user["user_id"]),
                score=round(float(combined[i]), 4),
                isolation_forest=round(float(p_forest[i]), 4),
                autoencoder=round(float(p_ae[i]), 4),
                alert=bool(combined[i] >= self.threshold),
                features={name: round(v, 4) for name, v in zip(FEATURES, rows[i], strict=True)},
            )
            for i, user in enumerate(users)
        ]
