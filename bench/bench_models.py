"""Benchmark the trained models: latency (single text and batches of 64), throughput, cold start
to ready, peak RSS and the serving install size.

    PYTHONPATH=. python bench/bench_models.py [-n 200] [--threads 1]

Prints a table and writes bench/results/models.json (models-threads1.json with --threads 1).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEXTS = (
    "hey, what's the weather going to be like in Paris tomorrow?",
    "remind me to call mum at 6pm",
    "I love this app, thanks!",
    "what is 12 * 7",
    "book a table for two at an italian place tonight",
    "my card was declined, this is so annoying",
    "email the report to ann@example.com by Friday",
    "how old are you",
)
# Both vCPUs of the benchmark machine: one request at a time, nothing else runs beside it.
DEFAULT_THREADS = 2
SERVING_PACKAGES = (
    "onnxruntime",
    "tokenizers",
    "vaderSentiment",
    "scikit-learn",
    "scipy",
    "numpy",
    "joblib",
    "threadpoolctl",
)
COLD_START = (
    "import time, resource; t=time.perf_counter();"
    "from ai_service.ml.registry import ModelRegistry;"
    "from ai_service.ml.config import MLSettings;"
    "r=ModelRegistry.load(MLSettings(threads={threads})); r.warm_up();"
    "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def timed(fn: Callable[[], object], n: int) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(samples, 50), 3),
        "p95_ms": round(percentile(samples, 95), 3),
    }


def package_size(name: str) -> int:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for file in dist.files or ():
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:  # noqa: PLR0915 - one report
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="repetitions per single-text timing")
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="ONNX Runtime intra-op threads"
    )
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    cold, rss = [], []
    for _ in range(args.cold_runs):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD_START.format(threads=args.threads)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).stdout.split()
        cold.append(time.perf_counter() - started)
        rss.append(int(out[1]) / 1024)

    from ai_service.ml.config import MLSettings
    from ai_service.ml.registry import ModelRegistry

    registry = ModelRegistry.load(MLSettings(threads=args.threads))
    registry.warm_up()
    analyzer = registry.analyzer
    batch = [TEXTS[i % len(TEXTS)] + f" #{i}" for i in range(64)]
    single = TEXTS[0]
    n_batch = max(10, args.n // 10)
    results: dict[str, Any] = {}

    def row(name: str, one: Callable[[], object], many: Callable[[], object]) -> None:
        s = timed(one, args.n)
        b = timed(many, n_batch)
        results[name] = {
            "single": s,
            "batch64": b,
            "throughput_per_s": round(64 / (b["p50_ms"] / 1000), 1),
        }

    emb, words = analyzer.encoder.encode_with_words(batch)
    one_emb, one_words = analyzer.encoder.encode_with_words([single])
    row(
        "encoder", lambda: analyzer.encoder.encode([single]), lambda: analyzer.encoder.encode(batch)
    )
    row(
        "intent (encoder + head)",
        lambda: analyzer.intent.predict([single]),
        lambda: analyzer.intent.predict(batch),
    )
    row(
        "intent head only",
        lambda: analyzer.intent.predict_embeddings([single], one_emb),
        lambda: analyzer.intent.predict_embeddings(batch, emb),
    )
    row(
        "entities (encoder + tagger + rules)",
        lambda: analyzer.entities.predict([single]),
        lambda: analyzer.entities.predict(batch),
    )
    row(
        "entity tagger + rules only",
        lambda: analyzer.entities.predict_words([single], one_words),
        lambda: analyzer.entities.predict_words(batch, words),
    )
    row(
        "sentiment head + VADER",
        lambda: analyzer.sentiment.predict_embeddings([single], one_emb),
        lambda: analyzer.sentiment.predict_embeddings(batch, emb),
    )
    row(
        "/v1/analyze in-process",
        lambda: analyzer.analyze_detailed([single]),
        lambda: analyzer.analyze_detailed(batch),
    )
    # The intent cascade sends texts the student is unsure of to the teacher: one text at a
    # time through all eight, so the figures include the escalated ones.
    turn = iter(range(1 << 30))
    row(
        "/v1/analyze, each text in turn",
        lambda: analyzer.analyze_detailed([TEXTS[next(turn) % len(TEXTS)]]),
        lambda: analyzer.analyze_detailed(batch),
    )
    if registry.recommender is not None:
        rec = registry.recommender
        user = next(iter(rec.user_index))
        row(
            "recommendations (personal, k=10)",
            lambda: rec.recommend(user_id=user),
            lambda: [rec.recommend(user_id=u) for u in list(rec.user_index)[:64]],
        )
        row(
            "recommendations (interests)",
            lambda: rec.recommend(interests=["fantasy", "dragons"]),
            lambda: [rec.recommend(interests=["fantasy", "dragons"]) for _ in range(64)],
        )
    if registry.anomaly is not None:
        from ai_service.training.anomaly import generate

        days = list(generate(users=64, days=1, rate=0.1, seed=5))
        det = registry.anomaly
        row(
            "anomaly score (IF + AE)",
            lambda: det.score_users(days[:1]),
            lambda: det.score_users(days),
        )

    sizes = {name: package_size(name) for name in SERVING_PACKAGES}
    models_bytes = sum(
        dir_size(ROOT / "ai_service" / "models" / d)
        for d in ("encoder", "intent", "intent_teacher", "ner", "sentiment", "recsys", "anomaly")
    )
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "threads": args.threads,
        },
        "cold_start_to_ready_s": {
            "runs": [round(c, 2) for c in cold],
            "median": round(sorted(cold)[len(cold) // 2], 2),
        },
        "peak_rss_mb": round(max(rss), 1),
        "install_mb": {
            "serving_packages": round(sum(sizes.values()) / 1e6, 1),
            "artifacts": round(models_bytes / 1e6, 1),
            "per_package": {k: round(v / 1e6, 1) for k, v in sizes.items() if v},
        },
        "models": results,
        "max_rss_this_process_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }
    cold_report = report["cold_start_to_ready_s"]
    print(f"cold start to ready: {cold_report['median']} s (runs {cold_report['runs']})")
    print(f"peak RSS (cold start + warm-up): {report['peak_rss_mb']} MB")
    install = report["install_mb"]
    print(
        f"install: packages {install['serving_packages']} MB, artifacts {install['artifacts']} MB"
    )
    print(f"{'model':36} {'p50 1':>8} {'p95 1':>8} {'p50 64':>9} {'p95 64':>9} {'items/s':>9}")
    for name, r in results.items():
        print(
            f"{name:36} {r['single']['p50_ms']:8.2f} {r['single']['p95_ms']:8.2f} "
            f"{r['batch64']['p50_ms']:9.1f} {r['batch64']['p95_ms']:9.1f} "
            f"{r['throughput_per_s']:9.0f}"
        )
    suffix = "" if args.threads == DEFAULT_THREADS else f"-threads{args.threads}"
    target = ROOT / "bench" / "results" / f"models{suffix}.json"
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
