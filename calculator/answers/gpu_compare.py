"""The same model, mode and precision at one concurrency across GPUs (the seed article's A100 vs H100 vs GB200
question): a data point where one exists (its provenance kept), an estimate (labelled, with its basis) elsewhere,
"no data" where neither, each priced at its GPU's cheapest on-demand offer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from calculator.data.catalog import Catalog, concat_points
from calculator.data.vocabulary import PROVENANCE_LABELS
from calculator.model import frontier
from calculator.model.cost import CostSettings, price_table
from calculator.model.estimator import estimate_points
from calculator.model.naming import add_labels

FOCUS_GPUS: tuple[str, ...] = ("a100-80gb", "h100-sxm", "h200", "b200", "gb200", "mi300x")
MODELS: tuple[str, ...] = ("nld-8b", "nld-3b", "nld-14b", "qwen3-8b")
MODES: tuple[str, ...] = ("self_spec", "ar", "diffusion")
PRECISIONS: tuple[str, ...] = ("fp8", "bf16")
CONCURRENCIES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass
class GpuComparison:
    """One row per profile on each GPU (data points and estimates), priced; the GPUs with neither."""

    mode: str  # the mode compared (an AR-only model is compared in AR)
    table: pd.DataFrame
    no_data: list[str]
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def compare_gpus(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    model: str,
    mode: str,
    precision: str,
    concurrency: int,
    gpus: Sequence[str],
    settings: CostSettings,
    isl: int = 1024,
    osl: int = 1024,
) -> GpuComparison:
    """Data points of the configuration on each GPU, estimates at the user's ISL/OSL on the others, each with the
    cost at its GPU's cheapest on-demand offer (profiles that state no lengths are priced at the user's, as on every
    page). Columns stated_isl / stated_osl: the lengths each row was reported or estimated at (NaN: not stated)."""
    if model == "qwen3-8b":
        mode = "ar"
    data = points[
        points["gpu"].isin(list(gpus))
        & (points["model"] == model)
        & (points["mode"] == mode)
        & (points["precision"] == precision)
        & (points["concurrency"] == concurrency)
    ]
    rows = [
        data.assign(
            basis=data["provenance"].map(PROVENANCE_LABELS).fillna(data["provenance"]) + " figure", tpf_assumed=False
        )
    ]
    skipped: list[str] = []
    problems: list[str] = []
    todo = [g for g in gpus if g not in set(data["gpu"])]
    if todo:
        try:
            est = estimate_points(
                catalog, todo, model, mode, concurrency=[concurrency], isl=isl, osl=osl, precision=precision
            )
        except (ValueError, LookupError) as e:
            problems.append(f"No estimate: {e}")
        else:
            rows.append(est)
            skipped = list(est.attrs.get("skipped", []))
    table = concat_points(rows)
    if not table.empty:
        # The lengths as the source states them (NaN: not stated), before the user's fill the gaps for pricing.
        stated = {f"stated_{c}": table[c].to_numpy() if c in table else float("nan") for c in ("isl", "osl")}
        table = frontier.with_rates(frontier.fill_lengths(table, isl, osl)).assign(**stated)
        priced = price_table(table, prices, utilisation=settings.utilisation, price_ratio=settings.price_ratio)
        priced = priced[priced["tier"] == "on_demand"]
        cost_col = settings.cost_column
        best_price = (
            priced.sort_values([cost_col, "usd_per_gpu_hour"])
            .groupby("profile_id", sort=False)
            .head(1)[["profile_id", cost_col, "provider"]]
            if not priced.empty
            else pd.DataFrame(columns=["profile_id", cost_col, "provider"])
        )
        table = add_labels(table.merge(best_price, on="profile_id", how="left"))
        table["kind"] = table["provenance"].map(lambda k: "estimated" if k == "estimated" else "data point")
        table = table.sort_values(["gpu", "profile_id"]).reset_index(drop=True)
    no_data = [g for g in gpus if table.empty or g not in set(table["gpu"])]
    return GpuComparison(mode=mode, table=table, no_data=no_data, skipped=skipped, problems=problems)


def at_utilisation(result: GpuComparison, made_at: float, utilisation: float) -> GpuComparison:
    """The comparison at another utilisation (a fraction in (0, 1]) from one priced at `made_at`: the $/M column
    scales by made_at ÷ utilisation (each GPU's cheapest offer stays the cheapest). The app prices at 100 % once."""
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    table = result.table.copy()
    for col in [c for c in table.columns if str(c).startswith("usd_per_mtok")]:
        table[col] = table[col] * (made_at / utilisation)
    return dataclasses.replace(result, table=table)


def comparison_rows(result: GpuComparison, gpu_names: dict[str, str]) -> pd.DataFrame:
    """The comparison as a table: a row per figure, plus a "no data" row for each GPU with neither."""
    show = result.table.copy() if not result.table.empty else pd.DataFrame(columns=["gpu"])
    if result.no_data:
        show = pd.concat(
            [show, pd.DataFrame({"gpu": result.no_data, "kind": "no data", "basis": "no data point, no estimate"})],
            ignore_index=True,
        )
    show["gpu_name"] = show["gpu"].map(lambda g: gpu_names.get(g, g))
    show["block"] = show["block"].fillna("—") if "block" in show else "—"
    if "badge" in show:
        show["badge"] = show["badge"].apply(lambda v: v if isinstance(v, list) else [])
    return show


def trust_texts(summary: pd.DataFrame, headline: pd.DataFrame, errors: pd.DataFrame | None = None) -> list[str]:
    """How far to trust the estimates, in words (Markdown): the error on a GPU the estimator has no data for
    (leave-one-GPU-out, overall and per mode) and on a point of a GPU it has data for (leave-one-out). With `errors`
    (estimate_errors.estimate_errors, the table every estimated row's figure comes from: held-out source, SGLang) the
    per-mode figures are those, so a mode reads the same here as on its rows' badges."""
    from calculator.data.vocabulary import mode_label

    out: list[str] = []
    unseen = (
        headline[(headline["grouping"] == "gpu") & (headline["modes"] == "all")] if not headline.empty else headline
    )
    if not unseen.empty:
        u = unseen.iloc[0]
        per_mode = headline[(headline["grouping"] == "gpu") & (headline["modes"] != "all")]
        pairs = list(zip(per_mode["modes"], per_mode["median_abs_error_pct"], strict=True))
        if errors is not None and not errors.empty:
            from calculator.answers.checks import error_pct

            shown = [str(m) for m in dict.fromkeys(errors["mode"]) if m != "all"]
            pairs = [(m, v) for m in shown if (v := error_pct(errors, m)) is not None]
        modes = "; ".join(f"{mode_label(str(m))} {v:.0f} % median" for m, v in pairs)
        out.append(
            "**On a GPU it has no data for** (most estimated rows: every GPU's points predicted by a fit that never "
            f"saw that GPU): median absolute error **{u['median_abs_error_pct']:.0f} %** over {int(u['points'])} "
            f"points; the single worst point is off by **{u['worst_abs_error_pct']:.0f} %** of its measured tok/s "
            "(over 100 %: the estimate was more than twice the measurement)"
            + (f" ({modes})" if modes else "")
            + ". Read estimated bars as a range, not a number."
        )
    overall = summary[(summary["gpu"] == "all") & (summary["mode"] == "all")] if not summary.empty else summary
    if not overall.empty:
        o = overall.iloc[0]
        out.append(
            f"**On a point of a GPU it has data for** (leave-one-out over the **{int(o['points'])}** points we hold, "
            f"each predicted with the estimator refitted without it): median absolute error "
            f"**{o['median_abs_error_pct']:.1f} %**, worst **{o['worst_abs_error_pct']:.1f} %**."
        )
    return out
