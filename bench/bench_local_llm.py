"""Benchmark the embedded local LLM: load time, time to first token, tokens/s, latency, memory.

    PYTHONPATH=. python bench/bench_local_llm.py [-n 10] [--threads 1] [--model ID]

Prints a summary and writes bench/results/local_llm.json. Some prompts carry a check on the reply
(a fact it must state, a claim it must not make, live data it must decline): `checks_passed`
counts them, so two models can be compared on the same prompts for speed and correctness.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ai_service.generation.base import ChatMessage, GenerationRequest, Role
from ai_service.generation.local import LocalProvider
from ai_service.generation.local_model import DEFAULT_MODEL_ID, locate_model
from ai_service.pipeline.chat import SYSTEM_PROMPT

SYSTEM = SYSTEM_PROMPT  # what the chat pipeline sends
PROMPTS = (
    "Say hello in one short sentence.",
    "What is the capital of France? Answer in one word.",
    "Give me one tip for sleeping better.",
    "What does a reminder app do?",
    "Suggest a name for a grey cat.",
    "How many days are in a week?",
    "Explain what a playlist is in one sentence.",
    "What should I pack for a day at the beach?",
    "Tell me a short fun fact about octopuses.",
    "How do I say thank you in Spanish?",
    "Tell me a fun fact about otters.",
    "What's the weather in Lisbon right now?",
    "Write a haiku about the sea.",
    "What is 7 times 8?",
    "Who wrote Romeo and Juliet?",
)
# prompt -> (pattern the reply must match, pattern it must not match); case-insensitive.
CHECKS: dict[str, tuple[str | None, str | None]] = {
    "What is the capital of France? Answer in one word.": (r"\bparis\b", None),
    "How many days are in a week?": (r"\b(7|seven)\b", None),
    "How do I say thank you in Spanish?": (r"gracias", None),
    "Tell me a fun fact about otters.": (None, r"reptile|arctic|insect|def |```"),
    "Tell me a short fun fact about octopuses.": (None, r"insect|fly|flying|reptile|```"),
    "What's the weather in Lisbon right now?": (
        r"sorry|don't|do not|can't|cannot|no (live|real-time|access)|not able|unable",
        r"\d+ ?(°|degrees)",
    ),
    "Write a haiku about the sea.": (None, r"def |```|import "),
    "What is 7 times 8?": (r"\b56\b|fifty-six", None),
    "Who wrote Romeo and Juliet?": (r"shakespeare", None),
}


def check(prompt: str, reply: str) -> bool | None:
    """True/False when the prompt has a check, None otherwise."""
    if prompt not in CHECKS:
        return None
    must, must_not = CHECKS[prompt]
    if must is not None and not re.search(must, reply, re.IGNORECASE):
        return False
    return not (must_not is not None and re.search(must_not, reply, re.IGNORECASE))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def run_one(provider: LocalProvider, prompt: str, max_tokens: int) -> dict[str, Any]:
    request = GenerationRequest(
        system=SYSTEM,
        messages=(ChatMessage(role=Role.USER, content=prompt),),
        max_tokens=max_tokens,
    )
    started = time.perf_counter()
    first: list[float] = []

    def on_delta(_piece: str) -> bool:
        if not first:
            first.append(time.perf_counter())
        return True

    result = provider.generate(request, on_delta)
    ended = time.perf_counter()
    ttft = (first[0] if first else ended) - started
    decode_s = ended - (first[0] if first else ended)
    tokens_per_s = (result.output_tokens - 1) / decode_s if decode_s > 0 else 0.0
    return {
        "prompt": prompt,
        "reply": result.text,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "finish_reason": result.finish_reason,
        "check": check(prompt, result.text),
        "ttft_s": round(ttft, 4),
        "total_s": round(ended - started, 4),
        "tokens_per_s": round(tokens_per_s, 2),
    }


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "xllamacpp": metadata.version("xllamacpp"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="number of prompts (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="threads per slot (default 1)")
    parser.add_argument("--batch-threads", type=int, default=None, help="prompt threads")
    parser.add_argument("--model", default=DEFAULT_MODEL_ID)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench/results/local_llm.json"))
    args = parser.parse_args(argv)

    machine = machine_info()
    started = time.perf_counter()
    path = locate_model(args.model, cache_dir=args.cache_dir)
    locate_s = time.perf_counter() - started
    provider = LocalProvider(
        model_id=args.model,
        n_ctx=args.n_ctx,
        threads=args.threads,
        batch_threads=args.batch_threads,
        max_tokens=args.max_tokens,
        cache_dir=args.cache_dir,
        seed=1,
    )
    started = time.perf_counter()
    provider.load()
    load_s = time.perf_counter() - started

    runs = []
    for i in range(args.n):
        run = run_one(provider, PROMPTS[i % len(PROMPTS)], args.max_tokens)
        runs.append(run)
        print(
            f"[{i + 1}/{args.n}] ttft {run['ttft_s']:.2f}s total {run['total_s']:.2f}s "
            f"{run['output_tokens']} tok {run['tokens_per_s']:.1f} tok/s "
            f"check {run['check']}: {run['reply'][:70]!r}"
        )
    provider.close()

    ttft = [r["ttft_s"] for r in runs]
    total = [r["total_s"] for r in runs]
    rate = [r["tokens_per_s"] for r in runs]
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": args.model,
        "model_file": str(path),
        "threads": args.threads,
        "batch_threads": provider.batch_threads,
        "n_ctx": args.n_ctx,
        "max_tokens": args.max_tokens,
        "n": args.n,
        "locate_s": round(locate_s, 3),
        "load_s": round(load_s, 3),
        "ttft_p50_s": percentile(ttft, 50),
        "ttft_p95_s": percentile(ttft, 95),
        "tokens_per_s_p50": percentile(rate, 50),
        "total_p50_s": percentile(total, 50),
        "total_p95_s": percentile(total, 95),
        "output_tokens_mean": round(sum(r["output_tokens"] for r in runs) / len(runs), 1),
        "checks_passed": sum(1 for r in runs if r["check"] is True),
        "checks_run": sum(1 for r in runs if r["check"] is not None),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": machine,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    shown = {k: v for k, v in summary.items() if k not in {"runs", "machine"}}
    print(json.dumps(shown, indent=2))
    print(f"machine: {machine}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
