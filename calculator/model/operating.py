"""Operating points users would run: the one rule every page and command picks a curve's concurrency by.

Per curve, among the rows meeting the latency targets (frontier.slo_check):

1. a row whose extra requests only queue is never an operating point: where the source says the engine's running
   batch (the estimator's `running_batch`, capped by the KV cache) is smaller than the concurrency, the requests beyond
   it only wait for a slot (throughput stays at the cap, TTFT grows by the wait, `queue_ms`); such a row is
   `kv_capped`. A data row whose file states no running batch is judged by rule 2 alone;
2. at equal throughput the lowest concurrency wins: the operating point is the lowest concurrency whose throughput per
   GPU is within EQUAL_THROUGHPUT (2 %) of the best of the remaining rows. On a plateau (a KV-capped batch, or a
   saturated engine) this is where the plateau starts, not where requests have queued for a minute.

Scenario (its cheapest option and operating points), Capacity and `plan` (capacity.operating_points), Compare's "best"
view and the decision view all call `operating_points` (or `cheapest_operating_point`), so one curve has one operating
point on every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from calculator.model.frontier import CURVE_KEYS, Slo, slo_check, with_rates

EQUAL_THROUGHPUT = 0.02
"""Throughputs within this fraction of the best count as equal: the lower concurrency wins (issue 18)."""


def kv_capped(df: pd.DataFrame) -> np.ndarray:
    """True where the source says the running batch is smaller than the concurrency (the rest of the requests only
    queue behind a KV-capped batch); False where it does not say (data files without a running batch)."""
    if "running_batch" not in df or df.empty:
        return np.zeros(len(df), dtype=bool)
    running = pd.to_numeric(df["running_batch"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    conc = df["concurrency"].to_numpy(dtype="float64")
    out: np.ndarray = ~np.isnan(running) & (running < conc)
    return out


def with_queueing(df: pd.DataFrame) -> pd.DataFrame:
    """Add `kv_capped` (kv_capped) and `queue_ms` (NaN where the source does not say) for display beside TTFT."""
    out = df.copy()
    out["kv_capped"] = kv_capped(out)
    if "queue_ms" not in out:
        out["queue_ms"] = np.nan
    out["queue_ms"] = pd.to_numeric(out["queue_ms"], errors="coerce").astype("float64")
    return out


def operating_points(
    df: pd.DataFrame,
    slo: Slo,
    *,
    keys: Sequence[str] = CURVE_KEYS,
    metric: str = "output_tok_s_per_gpu",
    require_ttft: bool = False,
    tolerance: float = EQUAL_THROUGHPUT,
) -> pd.DataFrame:
    """Per curve, the operating point (the module's rule) among the rows meeting `slo`: not kv_capped, then the lowest
    concurrency within `tolerance` of the best `metric`. Curves with no such row are absent. Columns: the input's, with
    slo_check's and with_queueing's. Interpolate a data curve first for a finer answer."""
    narrow = df[[c for c in dict.fromkeys([*keys, metric, *_RULE_INPUTS]) if c in df]].reset_index(drop=True)
    checked = with_queueing(slo_check(narrow, slo, require_ttft=require_ttft))
    ok = checked[checked["meets_slo"] & ~checked["kv_capped"] & checked[metric].notna()]
    if not ok.empty:
        group = ok.groupby(list(keys), sort=True, dropna=False)
        best = group[metric].transform("max").to_numpy(dtype="float64")
        near = ok[ok[metric].to_numpy(dtype="float64") >= best * (1.0 - tolerance)]
        near = near.sort_values([*keys, "concurrency"], kind="stable")
        ok = near.groupby(list(keys), sort=True, dropna=False).head(1)
    picked = df.iloc[ok.index.to_numpy()]  # the rule ran on the columns it reads; the chosen rows come whole
    return with_queueing(slo_check(picked, slo, require_ttft=require_ttft)).reset_index(drop=True)


_RULE_INPUTS = ("concurrency", "output_tok_s", "gpus_per_replica", "output_tok_s_per_gpu", "tok_s_user", "tpot_ms_p50",
                "ttft_ms_p50", "running_batch", "queue_ms")  # fmt: skip
"""The columns the operating-point rule reads (with the curve keys and the metric): on a priced frame of ~100 columns,
copying only these while choosing, then the chosen rows, takes the Scenario page's call from 35 to 17 ms, about a
fifth of its warm script run (issue 21, load); the answer is the same frame (checked on every call the model, answers
and golden CLI tests make)."""


def cheapest_operating_point(
    priced: pd.DataFrame,
    slo: Slo,
    *,
    by: Sequence[str] = ("gpu",),
    value: str = "usd_per_mtok_output",
    require_ttft: bool = False,
) -> pd.DataFrame:
    """Each curve at its operating point (rows of one offer per curve: price first), then the cheapest per group of
    `by`, cheapest first. Keys of a curve include the offer where `priced` has several (offer_id)."""
    keys = [*CURVE_KEYS, "offer_id"] if "offer_id" in priced else list(CURVE_KEYS)
    ops = operating_points(with_rates(priced), slo, keys=keys, require_ttft=require_ttft)
    ops = ops[ops[value].notna()]
    if ops.empty:
        return ops.reset_index(drop=True)
    idx = ops.groupby(list(by), sort=True, dropna=False)[value].idxmin()
    return ops.loc[idx.to_numpy()].sort_values(value).reset_index(drop=True)


__all__ = ["EQUAL_THROUGHPUT", "cheapest_operating_point", "kv_capped", "operating_points", "with_queueing"]
