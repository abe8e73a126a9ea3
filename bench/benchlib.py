"""What every benchmark shares: timing against a baseline, memory, and the JSON it leaves.

Machines here are noisy (2 shared cores), so a figure is never a bare time:
it is a ratio against a baseline measured in the same run, on the same data,
with the rounds interleaved so that a slow moment hits both sides.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"

if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def best_of(rounds: int, *runs: Callable[[], object]) -> list[float]:
    """The fastest of ``rounds`` timings of each run, in seconds; rounds interleaved."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def peak_bytes(run: Callable[[], object]) -> int:
    """Peak of Python allocations (tracemalloc) while ``run`` runs, keeping its result alive."""
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak


def max_rss_bytes() -> int:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def report(name: str, figures: dict[str, Any], notes: list[str] | None = None) -> Path:
    """Print the figures and write them to ``var/bench/<name>.json``."""
    figures = {**figures, "max_rss_bytes": max_rss_bytes()}
    document = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "figures": figures,
        "notes": notes or [],
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")
    for note in notes or []:
        print(f"  note: {note}")
    print(f"  -> {path.relative_to(ROOT)}")
    return path
