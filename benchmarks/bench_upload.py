"""Benchmark: a 100,000-row CSV upload, imported (parsed + validated), turned into points and priced
against every catalog offer for its GPUs. Budget (DESIGN.md §10): under 3 s.

Run: `python benchmarks/bench_upload.py [--rows 100000] [--repeats 3]`. The first repeat runs in a
process that has not yet touched the memory it needs (a cold upload); later repeats are warm.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calculator.data.catalog import load_catalog, profiles_to_points
from calculator.data.importers import Overrides, import_bytes
from calculator.model.cost import price_table

GPUS = ("h100-sxm", "a100-80gb", "h200", "b200", "l40s")


def csv_bytes(rows: int, seed: int = 0) -> bytes:
    """Our CSV template with `rows` points over five GPUs and two modes."""
    rng = np.random.default_rng(seed)
    lines = ["gpu,model,mode,precision,concurrency,output_tok_s,ttft_ms_p50,tpot_ms_p50,isl,osl"]
    tok = rng.uniform(10, 9000, rows)
    ttft = rng.uniform(20, 900, rows)
    tpot = rng.uniform(3, 50, rows)
    for i in range(rows):
        mode = "ar" if i % 2 else "self_spec"
        lines.append(
            f"{GPUS[i % 5]},nld-8b,{mode},bf16,{i // 10 + 1},{tok[i]:.2f},{ttft[i]:.1f},{tpot[i]:.2f},1024,512"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    data = csv_bytes(args.rows)
    catalog = load_catalog()
    totals = []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        result = import_bytes(data, "upload.csv", Overrides())
        t1 = time.perf_counter()
        points = profiles_to_points(result.profiles)
        t2 = time.perf_counter()
        table = price_table(points, catalog.prices)
        t3 = time.perf_counter()
        assert not result.problems and len(points) == args.rows
        totals.append(t3 - t0)
        print(
            f"run {i + 1} ({'cold' if i == 0 else 'warm'}): import+validate {t1 - t0:.2f} s, points {t2 - t1:.2f} s, "
            f"price {len(table):,} rows {t3 - t2:.2f} s, total {t3 - t0:.2f} s"
        )
    print(
        f"{args.rows:,}-row CSV validated and priced: cold {totals[0]:.2f} s, best {min(totals):.2f} s [budget < 3 s]"
    )
    return 0 if min(totals) < 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
