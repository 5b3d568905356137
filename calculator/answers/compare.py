"""The Compare view: every throughput figure (data, plus estimates for priced GPUs without data) priced with every
offer of the chosen tiers, at one concurrency choice ("best": each curve at its operating point, operating.py's one
rule, with its cost at concurrency 1 beside it; "highest"; or a number), with the cheapest option per GPU starred.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from calculator.answers.checks import (
    EST_CONCURRENCY,
    eligible_for_cheapest,
    error_pct,
    estimate_error_text,
    with_error_range,
)
from calculator.data.catalog import Catalog, concat_points
from calculator.data.schema import TIERS
from calculator.data.vocabulary import PROVENANCE_LABELS
from calculator.model import frontier, operating
from calculator.model.cost import CostSettings, cheapest, energy_usd_per_mtok, price_table
from calculator.model.estimator import GAP_CONFIGS, error_summary, fit, gap_estimates, leave_one_out
from calculator.model.estimator.fitting import model_entries
from calculator.model.naming import add_labels

CONCURRENCY_VIEWS = ("best", "highest")
CONCURRENCY_CHOICES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)  # offered besides the data's concurrencies


def concurrency_options(points: pd.DataFrame) -> list[str]:
    """best, every concurrency with data or estimates, highest."""
    data_conc = {int(x) for x in points["concurrency"].unique()}
    return ["best", *[str(x) for x in sorted(data_conc | set(CONCURRENCY_CHOICES))], "highest"]


def filter_options(points: pd.DataFrame, prices: pd.DataFrame) -> dict[str, list[str]]:
    """What each filter offers (independent of the other filters, so links stay whole)."""
    return {
        "concurrency": concurrency_options(points),
        "gpu": sorted(set(points["gpu"]) | set(prices["gpu"])),
        "tier": [t for t in TIERS if t in set(prices["tier"])],
        "model": sorted(set(points["model"]) | {m for m, *_ in GAP_CONFIGS} | set(model_entries(None))),
        "provenance": [p for p in PROVENANCE_LABELS if p in set(points["provenance"]) or p == "estimated"],
    }


ERROR_COLUMNS = ["mode", "points", "median_abs_error_pct", "p90_abs_error_pct", "worst_abs_error_pct", "note"]


def unseen_gpu_errors(catalog: Catalog) -> pd.DataFrame:
    """The estimator's error on a GPU it has no data for (leave-one-GPU-out over the catalog's data), as median, p90
    and worst absolute % error per mode and over all modes (mode "all"). A mode calibrated on one GPU's serving sweeps
    (self-speculation and EAGLE-3 on B200) is summarised without that GPU held out: every estimate on another GPU keeps
    those sweeps in its fit, so holding them out measures a case no estimate is in (the note says so). Empty when the
    check cannot run."""
    try:
        loo = leave_one_out(catalog, group="gpu")
        calibration = fit(catalog).calibration
    except (ValueError, LookupError):
        return pd.DataFrame(columns=ERROR_COLUMNS)
    notes: dict[str, str] = {}
    keep = pd.Series(True, index=loo.index)
    for mode, cal in calibration.items():
        held = (loo["mode"] == mode) & loo["gpu"].isin(cal.gpus)
        others = (loo["mode"] == mode) & ~loo["gpu"].isin(cal.gpus)
        if held.any() and others.any():
            keep &= ~held
            gpus = "/".join(g.upper() for g in cal.gpus)
            notes[mode] = f"{gpus} not held out: its sweeps calibrate every {mode} estimate"
    summary = error_summary(loo[keep])
    out = summary[summary["gpu"] == "all"].assign(note=lambda d: d["mode"].map(notes).fillna(""))
    return out[ERROR_COLUMNS].reset_index(drop=True)


def error_texts(errors: pd.DataFrame, engine: str | None = None) -> dict[str, str]:
    """The error text shown beside estimates on `engine` (None = SGLang, the engine of estimates), per mode and "all"
    (checks.estimate_error_text)."""
    return {str(m): estimate_error_text(errors, str(m), engine) for m in dict.fromkeys(errors["mode"])}


def error_pcts(errors: pd.DataFrame, engine: str | None = None) -> dict[str, float]:
    """Each mode's one error figure (checks.error_pct) on `engine` (None = SGLang), and "all"; modes without one are
    left out."""
    out = {str(m): error_pct(errors, str(m), engine) for m in dict.fromkeys(errors["mode"])}
    return {m: v for m, v in out.items() if v is not None}


def estimate_pool(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    models: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """The points plus estimated rows, as the CLI table adds them, for every priced GPU without data for a gap
    configuration (GAP_CONFIGS, plus the reference modes of any model named in `models` that they lack: NLD-3B,
    NLD-14B, Llama), at EST_CONCURRENCY and the given lengths; and why not, where the estimator declined."""
    priced_gpus = sorted(set(prices["gpu"]) & {g.id for g in catalog.gpu_specs})
    try:
        est = gap_estimates(
            catalog, points, isl=isl, osl=osl, gpus=priced_gpus, models=models, concurrency=list(EST_CONCURRENCY)
        )
    except (ValueError, LookupError) as e:
        return points, [str(e).splitlines()[0][:200] if str(e) else type(e).__name__]
    return (concat_points([points, est]) if not est.empty else points), []


@dataclass(frozen=True)
class CompareQuery:
    """The Compare filters (empty = all)."""

    concurrency: str = "best"
    gpus: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ("on_demand",)
    models: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    isl: int = 1024
    osl: int = 1024
    with_estimates: bool = True
    weight_only: bool = False  # may a weight-only estimate (fp8 on a GPU without fp8 tensor cores) be the cheapest?
    min_tok_s_user: float = 0.0  # the tok/s-per-user floor (0: none): a row below it is listed, never the cheapest

    def concurrency_text(self) -> str:
        return {
            "best": "each curve at its operating point (the lowest concurrency within 2 % of its best throughput per "
            "GPU, never queueing behind a KV-capped batch)",
            "highest": "each curve at its highest reported concurrency",
        }.get(self.concurrency, f"concurrency {self.concurrency}")

    def floor_text(self) -> str:
        """The tok/s-per-user floor in words ("no tok/s-per-user floor" at 0)."""
        return f">= {self.min_tok_s_user:,g} tok/s per user" if self.min_tok_s_user else "no tok/s-per-user floor"


@dataclass
class CompareView:
    """The priced rows (sorted cheapest first, labelled, `cheapest_on_gpu` starred) and what the page says."""

    table: pd.DataFrame
    unpriced_gpus: list[str]
    curves_without_point: int
    gpus_without_rows: list[str]
    estimated_rows: int
    assumptions: dict[str, Any] = field(default_factory=dict)

    @property
    def any_eligible(self) -> bool:
        """Whether some row may be called the cheapest (meets the floor; not weight-only unless allowed)."""
        return "eligible" not in self.table or bool(self.table["eligible"].any())

    @property
    def top(self) -> pd.Series:
        """The cheapest row that may be the answer (at or above the tok/s-per-user floor; a weight-only estimate only
        when the query allows it); the cheapest row of all where none may (the page then says so: any_eligible)."""
        eligible = self.table[self.table["eligible"]] if "eligible" in self.table else self.table
        return (eligible if not eligible.empty else self.table).iloc[0]

    @property
    def top_with_data(self) -> pd.Series | None:
        """The cheapest row that is not an estimate (and may be the answer), when the cheapest is one."""
        pool = self.table[self.table["eligible"]] if "eligible" in self.table and self.any_eligible else self.table
        from_data = pool[pool["provenance"] != "estimated"]
        if self.top["provenance"] != "estimated" or from_data.empty:
            return None
        return from_data.iloc[0]


def compare_view(
    pool: pd.DataFrame,
    prices: pd.DataFrame,
    query: CompareQuery,
    settings: CostSettings,
    estimate_errors: Mapping[str, str],
    error_table: pd.DataFrame | None = None,
) -> CompareView:
    """Filter, pick each curve's point, price with the chosen tiers' offers and star the cheapest per GPU.

    `estimate_errors` maps a mode to the estimator's error text (shown on estimated rows); with `error_table`
    (estimate_errors.estimate_errors: held-out source per mode and engine) each row also gets that figure as
    est_error_pct and its cost as a $ range (checks.with_error_range).
    """
    cost_col = settings.cost_column
    at = pool
    if query.gpus:
        at = at[at["gpu"].isin(query.gpus)]
    if query.models:
        at = at[at["model"].isin(query.models)]
    if query.provenance:
        at = at[at["provenance"].isin(query.provenance)]
    at = frontier.with_rates(at)
    span = at.groupby("profile_id")["concurrency"].agg(["min", "max"])
    data_at = (span["min"].astype(str) + "–" + span["max"].astype(str)).where(
        span["min"] != span["max"], span["min"].astype(str) + " only"
    )
    estimated_ids = set(at.loc[at["provenance"] == "estimated", "profile_id"])
    data_at = data_at.where(~data_at.index.isin(estimated_ids), "estimated at " + data_at)
    if query.concurrency == "best":
        # Each curve at its operating point among the points at or above the floor; a curve with none there is shown
        # at its unconstrained operating point (below the floor: listed, never the cheapest).
        floor = frontier.Slo(min_tok_s_user=query.min_tok_s_user or None)
        chosen = operating.operating_points(at, floor, keys=["profile_id"]).reindex(columns=at.columns)
        if query.min_tok_s_user:
            rest = at[~at["profile_id"].isin(set(chosen["profile_id"]))]
            if not rest.empty:
                below = operating.operating_points(rest, frontier.Slo(), keys=["profile_id"]).reindex(
                    columns=at.columns
                )
                chosen = pd.concat([chosen, below], ignore_index=True)
    elif query.concurrency == "highest":
        chosen = at.loc[at.groupby("profile_id")["concurrency"].idxmax().dropna().to_numpy()]
    else:
        try:
            chosen = at[at["concurrency"] == int(query.concurrency)]
        except (TypeError, ValueError):
            chosen = at[at["concurrency"] == 1]
    chosen = frontier.fill_lengths(chosen, query.isl, query.osl)
    with_c1 = query.concurrency in CONCURRENCY_VIEWS
    # One pricing pass for the chosen points and, in the best/highest views, the same curves at concurrency 1.
    to_price = chosen.assign(_c1=False)
    if with_c1:
        to_price = pd.concat(
            [to_price, frontier.fill_lengths(at[at["concurrency"] == 1], query.isl, query.osl).assign(_c1=True)]
        )
    tier_prices = prices[prices["tier"].isin(query.tiers)] if query.tiers else prices
    priced_all = price_table(
        to_price.reset_index(drop=True), tier_prices, utilisation=settings.utilisation, price_ratio=settings.price_ratio
    )
    table = add_labels(priced_all[~priced_all["_c1"].astype(bool)].reset_index(drop=True))
    # (price_table returns categorical text columns: map through plain objects so "" is a valid value)
    table["data_at"] = table["profile_id"].astype(object).map(data_at).fillna("").astype(str)
    is_est = (table["provenance"].astype(object) == "estimated").to_numpy()
    modes = table["mode"].astype(str).to_numpy()
    table["est_error"] = [estimate_errors.get(m, "") if e else "" for m, e in zip(modes, is_est, strict=True)]
    if error_table is not None:
        table = with_error_range(table, error_table, cost_col)
    if with_c1 and not table.empty:
        c1 = priced_all[priced_all["_c1"].astype(bool)].set_index(["profile_id", "offer_id"])[cost_col]
        table["usd_at_c1"] = c1.reindex(pd.MultiIndex.from_frame(table[["profile_id", "offer_id"]])).to_numpy()
    view = CompareView(
        table=table,
        unpriced_gpus=sorted(set(chosen["gpu"]) - set(prices["gpu"])),
        curves_without_point=at["profile_id"].nunique() - chosen["profile_id"].nunique(),
        gpus_without_rows=sorted(set(query.gpus) - set(table["gpu"])) if query.gpus else [],
        estimated_rows=int(is_est.sum()),
        assumptions=compare_assumptions(query, settings),
    )
    if table.empty:
        return view
    user = pd.to_numeric(table["tok_s_user"], errors="coerce").to_numpy(dtype="float64", na_value=float("nan"))
    table["meets_floor"] = (user >= query.min_tok_s_user) if query.min_tok_s_user else True
    table["eligible"] = eligible_for_cheapest(table, allow_weight_only=query.weight_only) & table["meets_floor"]
    best = cheapest(table[table["eligible"]].dropna(subset=[cost_col]), by=["gpu"], value=cost_col)
    table["cheapest_on_gpu"] = table.index.isin(
        table.reset_index().merge(best[["gpu", "offer_id", "profile_id"]], on=["gpu", "offer_id", "profile_id"])[
            "index"
        ]
    )
    view.table = table.sort_values(cost_col, kind="stable").reset_index(drop=True)
    return view


def at_utilisation(view: CompareView, utilisation: float) -> CompareView:
    """The view at another utilisation (a fraction in (0, 1]) from one priced at another: every $/M column (the
    chosen denominator's and the others, their error ranges, the concurrency-1 cost) scales by old ÷ new
    utilisation, so the rows, their order and the stars stay. The app prices at 100 % once and rescales per user."""
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    f = float(view.assumptions.get("utilisation", 1.0)) / utilisation
    table = view.table.copy()
    for col in [c for c in table.columns if str(c).startswith("usd_per_mtok") or c == "usd_at_c1"]:
        table[col] = table[col] * f
    return dataclasses.replace(view, table=table, assumptions={**view.assumptions, "utilisation": utilisation})


def compare_assumptions(query: CompareQuery, settings: CostSettings) -> dict[str, Any]:
    """The assumptions a download of the view carries."""
    return {
        "view": "Compare",
        "concurrency": query.concurrency_text(),
        "gpus": list(query.gpus) or "all",
        "price tiers": list(query.tiers) or "all",
        "models": list(query.models) or "all",
        "provenance": list(query.provenance) or "all",
        "estimates for GPUs without data": query.with_estimates,
        "weight-only estimates may be the cheapest": query.weight_only,
        "tok/s per user floor": query.min_tok_s_user or "none",
        "ISL tokens": query.isl,
        "OSL tokens": query.osl,
        "utilisation": settings.utilisation,
        **settings.assumptions(),
    }


MEASURED_EXTRAS = ("joules_per_output_token", "energy_usd_per_mtok", "slo_attainment", "goodput_req_s")
"""Figures only some files measure, shown beside their rows where any row has them."""


EXPORT_COLUMNS = [
    "gpu", "model", "mode", "precision", "block_size", "prerelease", "concurrency", "data_at", "est_error",
    "est_error_pct", "usd_per_mtok_output_low", "usd_per_mtok_output_high", "output_tok_s", "output_tok_s_per_gpu",
    "tok_s_user", "ttft_ms_p50", "queue_ms", *MEASURED_EXTRAS, "usd_per_mtok_output", "usd_per_mtok_total",
    "total_is_derived",
    "usd_per_mtok_input_r", "usd_per_mtok_output_r", "usd_at_c1", "meets_floor", "cheapest_on_gpu", "provider",
    "instance", "tier",
    "usd_per_gpu_hour", "price_as_of", "price_source", "provenance", "source", "as_of", "provenance_notes",
    "profile_id", "offer_id",
]  # fmt: skip


def with_measured_extras(table: pd.DataFrame, usd_per_kwh: float) -> tuple[pd.DataFrame, list[str]]:
    """The table with `energy_usd_per_mtok` (the measured J/output token's electricity per million output tokens at
    `usd_per_kwh`) and the names of the MEASURED_EXTRAS columns that hold a value in some row (the ones to show)."""
    out = table.copy()
    if "joules_per_output_token" in out:
        out["energy_usd_per_mtok"] = energy_usd_per_mtok(
            pd.to_numeric(out["joules_per_output_token"], errors="coerce"), usd_per_kwh
        )
    shown = [c for c in MEASURED_EXTRAS if c in out and pd.to_numeric(out[c], errors="coerce").notna().any()]
    return out, shown


def export_frame(view: CompareView, cost_col: str) -> pd.DataFrame:
    """The view as a download (machine column names; the concurrency-1 cost named after its denominator)."""
    table = view.table
    return table[[c for c in EXPORT_COLUMNS if c in table]].rename(columns={"usd_at_c1": f"{cost_col}_at_c1"})


def cheapest_per_option(view: CompareView, cost_col: str, limit: int = 30) -> tuple[pd.DataFrame, int]:
    """The cheapest offer per option (the `limit` cheapest options, in drawing order for a bar chart, the best
    option on each GPU starred in column `y`) and how many options there are in all."""
    table = view.table
    per_option = cheapest(table.dropna(subset=[cost_col]), by=["option"], value=cost_col).sort_values(cost_col)
    n_options = len(per_option)
    per_option = per_option.head(limit).sort_values(cost_col, ascending=False)
    per_option["is_best"] = per_option["option"].isin(table.loc[table["cheapest_on_gpu"], "option"])
    per_option["y"] = per_option["option"].where(~per_option["is_best"], "★ " + per_option["option"])
    return per_option, n_options
