"""Benchmark: price 1,000,000 (point x offer) rows with the vectorised cost engine vs a row-wise
`DataFrame.apply` of the same formula. Budget (DESIGN.md §10): < 1 s and >= 50x faster.

Run: `python benchmarks/bench_cost.py [--rows 1000000] [--repeats 5]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calculator.data.catalog import normalise_points
from calculator.model.cost import SECONDS_PER_HOUR, TOKENS_PER_MTOK, price_table


def synthetic(
    rows: int, offers_per_gpu: int = 50, n_gpus: int = 20, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points and offers whose join on gpu has exactly `rows` rows."""
    rng = np.random.default_rng(seed)
    n_points = rows // offers_per_gpu
    gpus = [f"gpu-{i}" for i in range(n_gpus)]
    points = pd.DataFrame(
        {
            "profile_id": [f"p{i // 8}" for i in range(n_points)],
            "gpu": rng.choice(gpus, n_points),
            "gpus_per_replica": rng.choice([1, 2, 4, 8], n_points),
            "model": "nld-8b",
            "mode": rng.choice(["ar", "self_spec", "diffusion"], n_points),
            "precision": "bf16",
            "provenance": "vendor",
            "concurrency": rng.integers(1, 256, n_points),
            "output_tok_s": rng.uniform(20, 12000, n_points),
            "isl": rng.integers(128, 8192, n_points),
            "osl": rng.integers(64, 2048, n_points),
            "ttft_ms_p50": rng.uniform(10, 2000, n_points),
            "tpot_ms_p50": rng.uniform(2, 80, n_points),
        }
    )
    points = normalise_points(points)
    offers = pd.DataFrame(
        {
            "id": [f"o{i}" for i in range(n_gpus * offers_per_gpu)],
            "provider": [f"prov{i % 11}" for i in range(n_gpus * offers_per_gpu)],
            "instance": "x",
            "gpu": np.repeat(gpus, offers_per_gpu),
            "gpus_per_instance": 8,
            "tier": "on_demand",
            "usd_per_gpu_hour": rng.uniform(0.5, 15, n_gpus * offers_per_gpu),
            "as_of": "2026-11",
            "source": "synthetic",
            "notes": "",
        }
    )
    return points, offers


def rowwise(table: pd.DataFrame, utilisation: float) -> pd.Series:
    """The naive baseline: the same $/M output formula, one Python call per row."""
    return table.apply(
        lambda r: (
            r["usd_per_gpu_hour"]
            / (r["output_tok_s"] / r["gpus_per_replica"] * utilisation * SECONDS_PER_HOUR)
            * TOKENS_PER_MTOK
        ),
        axis=1,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rowwise-rows", type=int, default=None, help="rows for the apply baseline (default: all)")
    args = ap.parse_args()

    points, offers = synthetic(args.rows)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        table = price_table(points, offers, utilisation=0.7)
        times.append(time.perf_counter() - t0)
    vec = statistics.median(times)
    n = len(table)

    base = table if args.rowwise_rows is None else table.head(args.rowwise_rows)
    t0 = time.perf_counter()
    naive = rowwise(base, 0.7)
    naive_s = (time.perf_counter() - t0) * (n / len(base))
    assert np.allclose(naive.to_numpy(), table["usd_per_mtok_output"].to_numpy()[: len(base)])

    ratio = naive_s / vec
    print(f"rows priced (point x offer): {n:,}")
    print(f"vectorised price_table (join + all cost columns), median of {args.repeats}: {vec:.3f} s  [budget < 1 s]")
    scaled = "" if len(base) == n else f" (measured on {len(base):,} rows, scaled)"
    print(f"row-wise DataFrame.apply, $/M output only: {naive_s:.2f} s{scaled}")
    print(f"speed-up: {ratio:.0f}x  [budget >= 50x]")
    ok = vec < 1.0 and ratio >= 50
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
