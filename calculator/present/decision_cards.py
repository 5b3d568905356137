"""The decision page's per-GPU card as text: the verdict's two sides side by side (NLD | baseline), every figure
formatted once, with the provenance of each side and the estimator's error as a $ range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from calculator.answers.decision import Decision, GpuDecision, Side, advantage_ends, crossover_text
from calculator.data.vocabulary import PROVENANCE_LABELS, fmt_int, fmt_usd

ROWS: tuple[str, ...] = (
    "Option",
    "$/M output tokens",
    "with estimator error",
    "tok/s per GPU",
    "tok/s per user",
    "TTFT p50",
    "Concurrency",
    "Provenance",
)
VOLUME_ROWS: tuple[str, ...] = ("GPUs for the volume", "Monthly bill")


def provenance_text(s: Side) -> str:
    kind = PROVENANCE_LABELS.get(s.provenance, s.provenance)
    return f"{kind}, {s.as_of}" if s.as_of else kind


def side_values(s: Side | None, volume: bool) -> list[str]:
    if s is None:
        return ["—"] * (len(ROWS) + (len(VOLUME_ROWS) if volume else 0))
    lo, hi = s.usd_range
    err = "data: no model error" if s.error_pct is None else f"{fmt_usd(lo)}–{fmt_usd(hi)} (±{s.error_pct:.0f} %)"
    out = [
        s.label,
        fmt_usd(s.usd_per_mtok),
        err,
        fmt_int(s.tok_s_per_gpu),
        f"{s.tok_s_user:,.1f}",
        "not reported" if s.ttft_ms is None else f"{s.ttft_ms:,.0f} ms",
        fmt_int(s.concurrency),
        provenance_text(s),
    ]
    if volume:
        out += [gpus_text(s), fmt_usd(s.monthly_usd, 0)]
    return out


def gpus_text(s: Side) -> str:
    """The GPUs billed for the volume, with the whole instances where an offer rents several GPUs at a time."""
    if s.gpus_for_volume is None:
        return "—"
    if s.gpus_per_instance and s.gpus_per_instance > 1 and s.instances:
        return f"{fmt_int(s.gpus_for_volume)} ({s.instances:,} × {s.gpus_per_instance}-GPU instance)"
    return fmt_int(s.gpus_for_volume)


def card_table(g: GpuDecision, volume: bool = False) -> pd.DataFrame:
    """The card's table: one row per figure, columns NLD and baseline (strings, ready to show)."""
    index = list(ROWS) + (list(VOLUME_ROWS) if volume else [])
    return pd.DataFrame(
        {"NLD": side_values(g.nld, volume), "Baseline": side_values(g.baseline, volume)},
        index=pd.Index(index, name=""),
    )


def ratio_text(g: GpuDecision) -> str:
    """ "0.64x (range 0.25x–1.60x)" — NLD ÷ baseline $/M."""
    if g.ratio is None:
        return "—"
    rng = g.ratio_range
    if rng is None or rng[0] == rng[1]:
        return f"{g.ratio:.2f}x"
    return f"{g.ratio:.2f}x (range {rng[0]:.2f}x–{rng[1]:.2f}x)"


def what_changes(d: Decision, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per GPU (by its display name in `names`): what would change the verdict (crossover, context where the
    advantage ends, break-even price)."""
    names = names or {}
    rows = []
    for g in d.gpus:
        cheaper = g.ratio is not None and g.ratio < 1
        end = advantage_ends(d.context, g.gpu, nld_cheaper=cheaper, above=d.inputs.isl)
        swept = not d.context.empty and (d.context["gpu"] == g.gpu).any()
        be = g.break_even_usd_per_gpu_hour
        if g.ratio is not None and be is not None:
            who = "NLD stays cheaper" if cheaper else "NLD would be cheaper"
            price = f"{who} while its GPU-hour costs under {fmt_usd(be, 2)} (now {fmt_usd(g.usd_per_gpu_hour, 2)})"
        else:
            price = "—"
        if not swept:
            ctx = "not swept"
        elif end is None:
            ctx = f"NLD stays {'cheaper' if cheaper else 'dearer'} at every longer prompt swept that meets the targets"
        elif cheaper:
            ctx = f"from {end:,} prompt tokens the baseline is as cheap or cheaper" + _either_way(d.context, g.gpu, end)
        else:
            ctx = f"from {end:,} prompt tokens NLD is cheaper" + _either_way(d.context, g.gpu, end)
        rows.append(
            {"GPU": names.get(g.gpu, g.gpu), "Concurrency": crossover_text(g), "Context length": ctx, "Price": price}
        )
    return pd.DataFrame(rows)


def _either_way(context: pd.DataFrame, gpu: str, isl: int) -> str:
    """Where the ratio's range under the estimator's error at the flip's length spans 1: said (the flip is not sure)."""
    row = context[(context["gpu"] == gpu) & (context["isl"] == isl)]
    if row.empty or "ratio_low" not in row or "ratio_high" not in row:
        return ""
    lo, hi = row["ratio_low"].iloc[0], row["ratio_high"].iloc[0]
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) or not float(lo) < 1.0 < float(hi):
        return ""
    return f" (there {float(row['ratio'].iloc[0]):.2f}x, {float(lo):.2f}x–{float(hi):.2f}x: it could go either way)"


CONTEXT_COLUMNS: tuple[str, ...] = ("GPU", "Input tokens", "NLD ÷ baseline", "NLD", "NLD $/M", "Baseline",
                                    "Baseline $/M")  # fmt: skip


def _usd_text(usd: Any, lo: Any, hi: Any, provenance: Any, err: Any) -> str:
    """A side's $/M in the sweep: "$0.365 ($0.261–$0.609, estimated ±40 %)", or "$0.200 (data, vendor-reported)"."""
    if usd is None or pd.isna(usd):
        return "—"
    prov = PROVENANCE_LABELS.get(str(provenance), str(provenance))
    if err is None or pd.isna(err) or lo == hi:
        return f"{fmt_usd(float(usd))} ({prov})"
    return f"{fmt_usd(float(usd))} ({fmt_usd(float(lo))}–{fmt_usd(float(hi))}, {prov} ±{float(err):.0f} %)"


def context_table(context: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The context sweep for display: the GPU by its display name (`names`), prompt length with separators, the ratio
    as "0.64x" with its range under the estimator's error (or why there is none), and each side's option and $/M with
    its provenance (estimated rows: the $ range and the error behind it)."""
    names = names or {}
    if context.empty:
        return pd.DataFrame(columns=list(CONTEXT_COLUMNS))
    context = context.sort_values(["gpu", "isl"])

    def ratio(r: pd.Series) -> str:
        if pd.isna(r["ratio"]):
            return "nothing meets the targets"
        lo, hi = r.get("ratio_low"), r.get("ratio_high")
        if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) or abs(hi - lo) < 1e-9:
            return f"{r['ratio']:.2f}x"
        return f"{r['ratio']:.2f}x ({lo:.2f}x–{hi:.2f}x)"

    def usd(role: str) -> pd.Series:
        if f"{role}_usd" not in context:
            return pd.Series("—", index=context.index)
        cols = [context[f"{role}_{c}"] for c in ("usd", "usd_low", "usd_high", "provenance", "error_pct")]
        return pd.Series([_usd_text(*v) for v in zip(*cols, strict=True)], index=context.index)

    return pd.DataFrame(
        {
            "GPU": context["gpu"].map(lambda g: names.get(g, g)),
            "Input tokens": context["isl"].map(lambda n: f"{int(n):,}"),
            "NLD ÷ baseline": context.apply(ratio, axis=1),
            "NLD": context["nld"].fillna("—"),
            "NLD $/M": usd("nld"),
            "Baseline": context["baseline"].fillna("—"),
            "Baseline $/M": usd("baseline"),
        }
    )


def tpf_table(sweep: pd.DataFrame) -> pd.DataFrame:
    """The independent sweep's TPF by block (rows) and concurrency (columns), two decimals, dashes where not run."""
    wide = sweep.pivot_table(index="block_size", columns="concurrency", values="tokens_per_forward")
    out = wide.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")
    out.index = pd.Index([f"block {int(b)}" for b in wide.index], name="TPF at concurrency")
    out.columns = [str(int(c)) for c in wide.columns]
    return out
