"""Benchmark: hostile uploads (issue 13, item 3). Budget: any input up to the size limit is validated or rejected
in at most 3x the time of a valid CSV of the same size, measured in the same run, and another session stays
responsive meanwhile.

Each input runs in a fresh process (so its peak memory is its own) through `import_bytes`, the path every upload
and `--data` file takes. Beside it, a thread stands in for another session of the same Streamlit process: every
20 ms it prices 40 bundled points against every offer (calculator.model.cost.price_table, a few ms idle); the slowest
of those while the upload is read is reported (Streamlit runs every session's script in one process, so the GIL
is what they share).

Run: `python benchmarks/bench_hostile.py [--sizes 0.44,1,10,50] [--only NAME ...]`; exit 1 when an input is
over budget. The valid CSV of each size is our template, several profiles, rows padded with notes so that no
limit applies to it (at most 150,000 rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_RATIO = 3.0
MB = 1_000_000
CSV_HEADER = "gpu,model,mode,precision,concurrency,output_tok_s,total_tok_s,ttft_ms_p50,isl,notes\n"


# ---------------------------------------------------------------------------------------------
# Inputs (bytes of about `size`)


def valid_csv(size: int) -> bytes:
    """Our CSV template, valid: ≤ 150,000 rows (notes pad longer rows), a new profile every 50,000 rows."""
    rows = max(1, min(150_000, size // 60))
    pad = max(0, size // rows - 75)
    note = "n" * min(pad, 1900)
    out, n, i = [CSV_HEADER], len(CSV_HEADER), 0
    while n < size:
        isl, conc = 1024 + i // 50_000, i % 50_000 + 1
        line = f"h100-sxm,nld-8b,ar,bf16,{conc},{100 + i % 97}.5,{300 + i % 89}.25,{10 + i % 13}.5,{isl},{note}\n"
        out.append(line)
        n += len(line)
        i += 1
    return "".join(out).encode()


def repeat(unit: str, size: int, head: str = "", tail: str = "") -> bytes:
    return (head + unit * max(0, (size - len(head) - len(tail)) // len(unit)) + tail).encode()


def sglang_line(i: int, minimal: bool = False) -> str:
    if minimal:
        return json.dumps({"max_concurrency": i % 512 + 1, "output_throughput": 100.0, "total_throughput": 300.0})
    return json.dumps({"backend": "sglang", "max_concurrency": i % 512 + 1, "output_throughput": 100.0 + i,
                       "total_throughput": 300.0 + i, "completed": 100, "mean_ttft_ms": 12.5, "median_ttft_ms": 11.0,
                       "median_tpot_ms": 5.0, "random_input_len": 1024, "random_output_len": 1024})  # fmt: skip


def jsonl(size: int, minimal: bool = False) -> bytes:
    return lines_of(lambda i: sglang_line(i, minimal) + "\n", size)


def wide_csv(columns: int, distinct: bool = True) -> bytes:
    names = [f"c{i}" for i in range(columns)] if distinct else ["a"] * columns
    header = ",".join(["concurrency", "output_tok_s", *names])
    return (header + "\n" + ",".join(["1", "2"] + ["x"] * columns) + "\n").encode()


BROKEN_LINE = '{"max_concurrency": 4, "output_thr\n'
PROFILE_HEAD = (
    '{"id": "x", "gpu": "h100-sxm", "engine": "e", "model": "nld-8b", "precision": "bf16", "mode": "ar", '
    '"provenance": {"kind": "measured", "source": "s", "date": "2026"}, "points": ['
)


def profile_json(size: int) -> bytes:
    """Our profile format in JSON, with as many (distinct) points as fit: validation has to look at each."""
    points = lines_of(lambda i: f'{{"concurrency": {i + 1}, "output_tok_s": 1.5}},', size - len(PROFILE_HEAD) - 40)
    return PROFILE_HEAD.encode() + points + b'{"concurrency": 0, "output_tok_s": 1}]}'


def lines_of(make: Callable[[int], str], size: int) -> bytes:
    """make(0) + make(1) + ... up to about `size` bytes."""
    out, n, i = [], 0, 0
    while n < size:
        piece = make(i)
        out.append(piece)
        n += len(piece)
        i += 1
    return "".join(out).encode()


HOSTILE: dict[str, Callable[[int], bytes]] = {
    # the audit's inputs
    "jsonl, invalid lines": lambda s: (sglang_line(0) + "\n" + BROKEN_LINE * (s // len(BROKEN_LINE))).encode(),
    "jsonl, valid records": lambda s: jsonl(s),
    "csv, 50k columns (440 KB)": lambda s: wide_csv(50_000),
    "csv, 1M columns": lambda s: wide_csv(1_000_000),
    "csv, 1M duplicate columns": lambda s: wide_csv(1_000_000, distinct=False),
    "yaml, list of scalars": lambda s: repeat("- 1\n", s, "points:\n"),
    # more of the same kind
    "yaml, flow list": lambda s: repeat("1,", s, "points: [", "1]\n"),
    "yaml, many keys": lambda s: lines_of(lambda i: f"k{i}: 1\n", s),
    "yaml, deep nesting": lambda s: repeat("- ", s),
    "json, list of numbers": lambda s: repeat("1,", s, '{"benchmarks": [', "1]}"),
    "json, list of empty objects": lambda s: repeat("{},", s, "[", "{}]"),
    "json, deep nesting": lambda s: repeat("[", s),
    "json, profile of many points": lambda s: profile_json(s),
    "csv, blank lines": lambda s: repeat("\n", s, CSV_HEADER),
    "csv, empty cells": lambda s: repeat(",,,,,,,,,\n", s, CSV_HEADER),
    "csv, one huge cell": lambda s: repeat("x", s, CSV_HEADER + "h100-sxm,nld-8b,ar,bf16,1,100,200,10,1024,", "\n"),
    "csv, every cell bad": lambda s: repeat("h100-sxm,nld-8b,ar,bf16,x,y,z,w,v,\n", s, CSV_HEADER),
    "jsonl, minimal records": lambda s: jsonl(s, minimal=True),
    "inferencex csv, minimal rows": lambda s: repeat("1,100,50\n", s, "conc,tput_per_gpu,output_tput_per_gpu\n"),
    "text, one line": lambda s: repeat("a", s),
    "text, whitespace and commas": lambda s: (sglang_line(0) + "\n").encode() + b",\n" * (s // 2),
}
FIXED_SIZE = {"csv, 50k columns (440 KB)", "csv, 1M columns", "csv, 1M duplicate columns"}
NAME = "upload"  # the suffix decides nothing but whether a file is read; the content decides the format


# ---------------------------------------------------------------------------------------------
# One input, in a child process


def child(kind: str, name: str, size: int) -> None:
    """Import one input with the other-session probe running; print one JSON line with the figures."""
    import resource
    import threading

    from calculator.data.catalog import load_catalog
    from calculator.data.importers import Overrides, import_bytes
    from calculator.model.cost import price_table

    data = valid_csv(size) if kind == "valid" else HOSTILE[name](size)
    given = Overrides(gpu="h100-sxm", model="nld-8b", mode="ar")
    catalog = load_catalog()
    points, prices = catalog.points.head(40), catalog.prices

    def other_session_work() -> None:
        price_table(points, prices)

    import_bytes(valid_csv(20_000), "warm.csv", given)  # imports and first-call costs paid before measuring
    other_session_work()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    delays: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            other_session_work()
            delays.append(time.perf_counter() - t)
            stop.wait(0.02)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    time.sleep(0.1)
    idle = list(delays)
    t0 = time.perf_counter()
    result = import_bytes(data, f"{NAME}.{'csv' if kind == 'valid' else 'json'}", given)
    seconds = time.perf_counter() - t0
    stop.set()
    thread.join()
    busy = delays[len(idle) :]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first = result.problems[0] if result.problems else None
    figures = {
        "bytes": len(data),
        "seconds": seconds,
        "peak_extra_mb": (peak - before) / 1024,
        "other_session_ms_max": 1e3 * max(busy, default=0.0),
        "other_session_ms_idle": 1e3 * statistics.median(idle or [0.0]),
        "points": sum(len(p.points) for p in result.profiles),
        "problems": len(result.problems),
        "outcome": f"{first.where}: {first.message}"[:100] if first else f"ok ({result.format})",
    }
    print(json.dumps(figures))


def measure(kind: str, name: str, size: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, name, str(size)],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    if proc.returncode != 0:
        return {"seconds": float("nan"), "error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.44,1,10,50", help="MB (10^6 bytes), comma-separated; 50 MiB is the limit")
    ap.add_argument("--only", nargs="+", default=[], metavar="NAME", help="only inputs whose name contains NAME")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    from calculator.data.loader import MAX_FILE_BYTES

    sizes = [min(int(float(s) * MB), MAX_FILE_BYTES) for s in args.sizes.split(",")]
    names = [n for n in HOSTILE if not args.only or any(o in n for o in args.only)]
    over = 0
    print(f"{'input':32s} {'MB':>6s} {'s':>7s} {'csv s':>7s} {'ratio':>6s} {'peak MB':>8s} {'other ms':>9s}  outcome")
    print(f"{'':32s} {'':6s} {'':7s} {'':7s} {'':6s} {'':8s} {'(idle)':>9s}")
    for size in sizes:
        csv = measure("valid", "", size)
        print(f"{'valid CSV (reference)':32s} {int(csv['bytes']) / MB:6.2f} {csv['seconds']:7.3f} {'':7s} {'':6s} "
              f"{csv['peak_extra_mb']:8.0f} {csv['other_session_ms_max']:9.1f}  {csv['outcome']}; "
              f"other session idle {csv['other_session_ms_idle']:.1f} ms")  # fmt: skip
        for name in names:
            if name in FIXED_SIZE and size != sizes[0]:
                continue
            r = measure("hostile", name, size)
            if "error" in r:
                print(f"{name:32s} ERROR {r['error']}")
                over += 1
                continue
            ref = csv if name not in FIXED_SIZE else measure("valid", "", int(r["bytes"]))  # type: ignore[arg-type]
            ratio = float(r["seconds"]) / float(ref["seconds"])  # type: ignore[arg-type]
            flag = "" if ratio <= BUDGET_RATIO else "  OVER BUDGET"
            over += ratio > BUDGET_RATIO
            print(f"{name:32s} {int(r['bytes']) / MB:6.2f} {r['seconds']:7.3f} {ref['seconds']:7.3f} {ratio:6.2f} "  # type: ignore[call-overload]
                  f"{r['peak_extra_mb']:8.0f} {r['other_session_ms_max']:9.1f}  {r['outcome']}{flag}")  # fmt: skip
        print()
    print(f"budget: at most {BUDGET_RATIO:g}x the valid CSV of the same size; {over} input(s) over it")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
