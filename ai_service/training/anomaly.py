"""`auraos-train-anomaly` / `auraos-eval-anomaly`: activity anomalies on synthetic analytics events.

The generator (seeded, `generate`) simulates user-days of analytics events:
* each user has a typical daily volume (log-normal, median 40), an hour-of-day profile (one or
  two peaks, ~2.5 h wide), 1-3 devices, 1-2 locations, a failure rate (Beta(1, 60)) and a
  preference over 12 event types;
* a normal day draws Poisson(volume x U(0.6, 1.4)) events from that profile; 2 % of events come
  from a new device and 1 % from a new location (legitimate noise);
* injected anomalies (`rate` of the days; equally often): `burst` (4-10x the volume inside 30
  minutes), `odd_hours` (the whole day shifted 8-14 h), `credential_stuffing` (20-80 extra login
  events, 70 % failing), `takeover` (a new device and location, a third of the day at unusual
  hours, some failures), `scraping` (3x the volume of one event type, spread over 24 h).
Training uses normal days only; the alert threshold is chosen on a validation set (max F1);
test (another seed) is scored once. Any JSONL file in the generator's format can be scored.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ml.anomaly import FEATURES, AnomalyDetector, user_features
from .common import MODELS_DIR, emit, seed_everything, write_model_card

VERSION = "1.0.0"
KINDS = ("burst", "odd_hours", "credential_stuffing", "takeover", "scraping")
EVENT_TYPES = (
    "app_open",
    "chat_message",
    "view_item",
    "search",
    "login",
    "settings_change",
    "notification_open",
    "share",
    "purchase",
    "profile_view",
    "logout",
    "feedback",
)
DAY = datetime(2026, 1, 5, tzinfo=UTC)


def _user(rng: np.random.Generator, uid: int) -> dict[str, Any]:
    peaks = rng.normal(14, 3, size=rng.integers(1, 3)) % 24
    grid = np.arange(24)
    hours = sum(
        np.exp(-0.5 * (np.minimum(abs(grid - p), 24 - abs(grid - p)) / 2.5) ** 2) for p in peaks
    )
    hours = np.asarray(hours) + 0.002
    return {
        "user_id": f"u{uid}",
        "volume": float(np.exp(rng.normal(np.log(40), 0.6))),
        "hours": (hours / hours.sum()).tolist(),
        "devices": [f"d{uid}-{i}" for i in range(rng.integers(1, 4))],
        "locations": [
            f"loc{int(x)}" for x in rng.choice(200, size=rng.integers(1, 3), replace=False)
        ],
        "failure": float(rng.beta(1, 60)),
        "types": rng.dirichlet(np.ones(len(EVENT_TYPES)) * 0.7).tolist(),
    }


def _events(  # noqa: PLR0917 - internal generator helper
    rng: np.random.Generator,
    user: dict[str, Any],
    n: int,
    hours: NDArray[Any] | None = None,
    failure: float | None = None,
    type_name: str | None = None,
) -> list[dict[str, Any]]:
    if hours is None:
        hours = rng.choice(24, size=n, p=user["hours"])
    out = []
    for h in hours:
        moment = DAY + timedelta(
            hours=int(h), minutes=int(rng.integers(60)), seconds=int(rng.integers(60))
        )
        out.append(
            {
                "event_type": type_name
                or EVENT_TYPES[int(rng.choice(len(EVENT_TYPES), p=user["types"]))],
                "client_time": moment.isoformat(),
                "success": bool(rng.random() >= (user["failure"] if failure is None else failure)),
                "device_id": user["devices"][0]
                if rng.random() >= 0.02
                else f"dnew{rng.integers(1_000_000)}",
                "location": user["locations"][0]
                if rng.random() >= 0.01
                else f"loc{rng.integers(200, 400)}",
            }
        )
    return out


def generate(*, users: int, days: int, rate: float, seed: int) -> Iterator[dict[str, Any]]:
    """User-days: {user_id, events, profile, label (0/1), kind}."""
    rng = np.random.default_rng(seed)
    for uid in range(users):
        user = _user(rng, uid)
        profile = {
            "typical_daily_events": round(user["volume"], 2),
            "typical_hours": [round(h, 5) for h in user["hours"]],
            "known_devices": user["devices"],
            "known_locations": user["locations"],
        }
        for _ in range(days):
            n = int(rng.poisson(user["volume"] * rng.uniform(0.6, 1.4))) + 1
            kind = str(rng.choice(KINDS)) if rng.random() < rate else "normal"
            events = _events(rng, user, n)
            if kind == "burst":
                start = rng.integers(0, 23 * 60)
                extra = _events(rng, user, int(user["volume"] * rng.uniform(4, 10)))
                for e in extra:
                    minute = int(start + rng.integers(30))
                    e["client_time"] = (DAY + timedelta(minutes=minute)).isoformat()
                events += extra
            elif kind == "odd_hours":
                shift = int(rng.integers(8, 15))
                hours = (rng.choice(24, size=n, p=user["hours"]) + shift) % 24
                events = _events(rng, user, n, hours=hours)
            elif kind == "credential_stuffing":
                events += _events(
                    rng, user, int(rng.integers(20, 81)), failure=0.7, type_name="login"
                )
            elif kind == "takeover":
                odd = (rng.choice(24, size=max(1, n // 3), p=user["hours"]) + 12) % 24
                extra = _events(rng, user, len(odd), hours=odd, failure=0.2)
                device, place = f"dnew{rng.integers(1_000_000)}", f"loc{rng.integers(200, 400)}"
                for e in extra:
                    e["device_id"], e["location"] = device, place
                events += extra
            elif kind == "scraping":
                events += _events(
                    rng,
                    user,
                    int(3 * user["volume"]) + 10,
                    hours=rng.integers(0, 24, size=int(3 * user["volume"]) + 10),
                    type_name="view_item",
                )
            yield {
                "user_id": user["user_id"],
                "events": events,
                "profile": profile,
                "label": int(kind != "normal"),
                "kind": kind,
            }


def featurise(rows: Sequence[dict[str, Any]]) -> NDArray[np.float32]:
    return np.asarray([user_features(r["events"], r["profile"]) for r in rows], dtype=np.float32)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def prf(labels: NDArray[np.int64], alerts: NDArray[np.bool_]) -> dict[str, float]:
    tp = float(np.sum(alerts & (labels == 1)))
    precision = tp / max(1.0, float(alerts.sum()))
    recall = tp / max(1.0, float((labels == 1).sum()))
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score_rows(detector: AnomalyDetector, rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    labels = np.asarray([r["label"] for r in rows])
    combined, p_forest, p_ae = detector.score_matrix(featurise(rows))
    out: dict[str, float] = {"n": float(len(rows)), "anomalies": float(labels.sum())}
    out.update(prf(labels, combined >= detector.threshold))
    for name, part in (("isolation_forest", p_forest), ("autoencoder", p_ae)):
        out.update({f"{name}_{k}": v for k, v in prf(labels, part >= detector.threshold).items()})
    kinds = np.asarray([r.get("kind", "?") for r in rows])
    for kind in KINDS:
        mask = kinds == kind
        if mask.any():
            out[f"recall_{kind}"] = round(float(np.mean(combined[mask] >= detector.threshold)), 4)
    return out


def _train_autoencoder(z: NDArray[np.float32], out: Path, seed: int, threads: int) -> None:
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    d = z.shape[1]
    model = nn.Sequential(
        nn.Linear(d, 16),
        nn.ReLU(),
        nn.Linear(16, 4),
        nn.ReLU(),
        nn.Linear(4, 16),
        nn.ReLU(),
        nn.Linear(16, d),
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = torch.from_numpy(z)
    for _ in tqdm(range(60), desc="autoencoder epochs"):
        for idx in torch.randperm(len(data)).split(256):
            loss = ((model(data[idx]) - data[idx]) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    torch.onnx.export(
        model,
        (data[:2],),
        str(out),
        input_names=["features"],
        output_names=["reconstruction"],
        dynamic_axes={"features": {0: "n"}, "reconstruction": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the activity anomaly detectors.")
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write-test", type=Path, default=None, help="also write test JSONL(.gz)")
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    from sklearn.ensemble import IsolationForest  # noqa: PLC0415

    started = time.monotonic()
    train_rows = list(generate(users=500, days=10, rate=0.0, seed=args.seed))
    val_rows = list(generate(users=300, days=10, rate=0.05, seed=args.seed + 1))
    test_rows = list(generate(users=300, days=10, rate=0.05, seed=args.seed + 2))
    x = featurise(train_rows)
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = ((x - mean) / std).astype(np.float32)
    out = args.models / "anomaly"
    out.mkdir(parents=True, exist_ok=True)
    forest = IsolationForest(n_estimators=200, random_state=args.seed).fit(z)
    with (out / "isolation_forest.pkl").open("wb") as handle:
        pickle.dump(forest, handle, protocol=5)
    _train_autoencoder(z, out / "autoencoder.onnx", args.seed, args.threads)
    np.savez(out / "reference.npz", mean=mean, std=std, forest=np.zeros(1), autoencoder=np.zeros(1))
    (out / "config.json").write_text(
        json.dumps({"threshold": 0.99, "features": list(FEATURES)}) + "\n"
    )
    probe = AnomalyDetector.load(out, check=False)
    forest_ref, ae_ref = probe.raw_scores(x)
    np.savez(out / "reference.npz", mean=mean, std=std, forest=forest_ref, autoencoder=ae_ref)
    labels = np.asarray([r["label"] for r in val_rows])
    x_val = featurise(val_rows)
    choices = []
    for combine in ("mean", "max"):
        (out / "config.json").write_text(json.dumps({"threshold": 0.99, "combine": combine}))
        combined, _, _ = AnomalyDetector.load(out, check=False).score_matrix(x_val)
        for t in np.linspace(0.90, 0.9998, 300):
            choices.append((prf(labels, combined >= t)["f1"], combine, round(float(t), 4)))
    val_f1, combine, threshold = max(choices)
    emit(f"val: combine={combine} threshold={threshold} F1={val_f1}")
    (out / "config.json").write_text(
        json.dumps({"threshold": threshold, "combine": combine, "features": list(FEATURES)}) + "\n"
    )
    detector = AnomalyDetector.load(out, check=False)
    metrics = score_rows(detector, test_rows)
    metrics["threshold"] = threshold
    metrics["val_f1"] = val_f1
    metrics["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    write_model_card(
        out,
        name="auraos-anomaly",
        version=VERSION,
        summary="Isolation Forest (scikit-learn) + autoencoder (torch -> ONNX) over 11 per-user "
        "daily activity features; each score mapped to its CDF over normal days, averaged; alert "
        "at the threshold (max F1 on validation).",
        data="synthetic analytics events (ai_service/training/anomaly.py generator; "
        "train 5000 normal user-days, val/test 3000 user-days with 5 % injected anomalies, "
        "seeds 13/14/15)",
        licence="Apache-2.0 (generated data)",
        metrics=metrics,
        training={
            "isolation_forest_trees": 200,
            "autoencoder": "11-16-4-16-11 ReLU, Adam 3e-3, 60 epochs",
        },
        command="auraos-train-anomaly",
    )
    if args.write_test:
        _write_jsonl(args.write_test, test_rows)
    emit(json.dumps(metrics, indent=2))
    return 0


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def evaluate(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precision/recall on labelled user-days (JSONL).")
    parser.add_argument(
        "--data", type=Path, default=None, help="JSONL(.gz); default: regenerate test"
    )
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    rows = (
        read_jsonl(args.data)
        if args.data
        else list(generate(users=300, days=10, rate=0.05, seed=args.seed))
    )
    detector = AnomalyDetector.load(args.models / "anomaly")
    emit(json.dumps(score_rows(detector, rows), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
