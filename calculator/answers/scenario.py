"""A scenario: one Nemotron-Labs-Diffusion size and the AR baselines on one GPU, at the user's lengths, workload and
latency targets. Its curves (data, estimates for modes without data there, estimated counterparts of data curves
that cannot be checked), interpolated and priced with one offer; its cost table, the cheapest option meeting the
targets and the self-speculation vs AR crossover. The Scenario and Export pages show exactly this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from calculator.answers.checks import (
    Notice,
    Targets,
    check_notices,
    eligible_for_cheapest,
    estimate_configs,
    with_counterparts,
    with_error_range,
)
from calculator.data.catalog import Catalog, concat_points
from calculator.model import frontier, operating
from calculator.model.cost import CostSettings, as_categories, price_table
from calculator.model.estimator import GAP_CONFIGS
from calculator.model.modes import decode_context_tokens
from calculator.model.naming import curve_names, with_names, without_labels

NLD_SIZES: dict[str, str] = {"3B": "nld-3b", "8B": "nld-8b", "14B": "nld-14b"}
BASELINE_MODELS: tuple[str, ...] = ("qwen3-8b", "qwen3.5-9b", "llama-3.1-8b")
DEFAULT_BASELINE = "qwen3-8b"
DEFAULT_MODELS: tuple[str, ...] = (*NLD_SIZES.values(), DEFAULT_BASELINE)
"""The models `table` and `plan` show unless --model names others (NLD and the default baseline, Qwen3-8B); --model
all shows every model, and models in the user's own --data files are always shown."""
ALL_MODELS = "all"


def models_in_view(asked: tuple[str, ...] | list[str], own: set[str] | frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The models a command shows: those asked for (`all`: every model, the empty tuple), else DEFAULT_MODELS plus the
    models of the user's own files (`own`)."""
    if ALL_MODELS in asked:
        return ()
    if asked:
        return tuple(dict.fromkeys(asked))
    return tuple(dict.fromkeys([*DEFAULT_MODELS, *sorted(own)]))


def default_models(
    available: Iterable[str], baseline: str = DEFAULT_BASELINE, own: Iterable[str] = ()
) -> tuple[str, ...]:
    """The models a page shows until the user picks others (the app's model filter; the CLI's models_in_view is the
    same rule): Nemotron-Labs-Diffusion (every size in `available`), the chosen baseline and the models of the
    user's own files (`own`), those of them in `available`, in that order. Empty (every model) when none is."""
    have = {str(m) for m in available}
    wanted = [*NLD_SIZES.values(), baseline, *sorted(str(m) for m in own)]
    return tuple(m for m in dict.fromkeys(wanted) if m in have)


def in_view(frame: pd.DataFrame, models: Iterable[str]) -> pd.DataFrame:
    """The rows of `frame` whose model is one of `models` (none: every row)."""
    chosen = set(models)
    if not chosen or frame.empty or "model" not in frame:
        return frame
    return frame[frame["model"].astype(str).isin(chosen)]


SPEED_BENCH_CATEGORIES: tuple[str, ...] = (
    "coding",
    "math",
    "reasoning",
    "multilingual",
    "humanities",
    "qa",
    "rag",
    "roleplay",
    "stem",
    "summarization",
    "writing",
)
AS_MEASURED = "as measured (mixed)"
CONTEXT_CHOICES: tuple[int, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)
CHEAPEST = "cheapest"
# The AR baseline the self-speculation crossover is measured against: a model id, or OWN_AR (the NLD size's own AR
# mode on the same weights).
OWN_AR = "own"
CROSSOVER_BASELINES: dict[str, str] = {
    "qwen3-8b": "Qwen3-8B AR",
    "llama-3.1-8b": "Llama-3.1-8B AR",
    OWN_AR: "its own AR mode",
}


@dataclass(frozen=True)
class ScenarioInputs:
    """Everything that defines a scenario; in the app each field is bound to a URL query parameter of its name."""

    size: str = "8B"
    gpu: str = "b200"
    tier: str = "on_demand"
    provider: str = CHEAPEST
    isl: int = 1024
    osl: int = 1024
    ctx: int | None = None  # an explicit KV context when decoding starts; None: derived from ISL (modes rule)
    cat: str = AS_MEASURED
    ttft: float = 0.0
    tps: float = 50.0
    util: int = 100
    strict: bool = True
    est_len: bool = True
    base: str = "qwen3-8b"

    @property
    def model(self) -> str:
        return NLD_SIZES.get(self.size, "nld-8b")

    @property
    def baseline_model(self) -> str:
        """The model whose AR curves the crossover compares against."""
        return self.model if self.base == OWN_AR else self.base

    @property
    def baseline_text(self) -> str:
        """The baseline in words for a headline: "Qwen3-8B AR", or "NLD-8B's own AR mode"."""
        if self.base == OWN_AR:
            return f"{self.model.upper()}'s own AR mode"
        return CROSSOVER_BASELINES.get(self.base, f"{self.base} AR")

    @property
    def context_tokens(self) -> int:
        """The KV context when decoding starts, by the one rule (modes.decode_context_tokens)."""
        return decode_context_tokens(self.isl, self.ctx)

    @property
    def context_text(self) -> str:
        """The context in words, saying whether it is derived or an explicit override."""
        if self.ctx is None:
            return f"{self.context_tokens:,} tokens (derived: the prompt, ISL)"
        return f"{self.context_tokens:,} tokens (override; derived from ISL it would be {self.isl:,})"

    @property
    def workload(self) -> str | None:
        """The SPEED-Bench category estimates use (None: as measured, the SPEED-Bench mix)."""
        return None if self.cat == AS_MEASURED else self.cat

    @property
    def targets(self) -> Targets:
        return Targets(
            max_ttft_ms=self.ttft or None, min_tok_s_user=self.tps or None, strict=self.strict, est_len=self.est_len
        )

    def assumptions(self, settings: CostSettings) -> dict[str, Any]:
        """The scenario's inputs and cost settings, as named assumptions: each becomes an `assumed_*` column of a
        CSV (keep them short); export.cost_notes() has the longer explanations for the Assumptions sheet."""
        return {
            "model": self.model,
            "gpu": self.gpu,
            "price tier": self.tier,
            "provider": self.provider,
            "ISL tokens": self.isl,
            "OSL tokens": self.osl,
            "context tokens": self.context_tokens,
            "context": "override" if self.ctx is not None else "derived from ISL",
            "workload category": self.cat,
            "max TTFT p50 ms": self.ttft,
            "min tok/s per user": self.tps,
            "unchecked targets fail": self.strict,
            "estimates at your lengths": self.est_len,
            "crossover baseline": self.baseline_text,
            "utilisation": self.util / 100.0,
            **settings.assumptions(),
        }


@dataclass
class ScenarioCurves:
    """The scenario's curves before pricing (they depend on neither prices nor utilisation)."""

    points: pd.DataFrame  # data on the GPU, estimates where a mode has none, estimated counterparts
    dense: pd.DataFrame  # every curve interpolated on a dense concurrency grid, with the pool's names
    estimate_note: str
    problems: list[str]
    checks: pd.DataFrame  # checks.curve_checks per profile (TTFT known, lengths, ranked)
    names: pd.DataFrame = field(default_factory=pd.DataFrame)  # naming.curve_names of the pool, named once

    @cached_property
    def unnamed(self) -> pd.DataFrame:
        """The dense curves without their names and with text as categories: what price_scenario prices, made once
        per curves object (the app re-prices cached curves at each utilisation and offer). Read-only."""
        return as_categories(without_labels(self.dense))


@dataclass
class ScenarioResult:
    """What the Scenario page shows and the Export page downloads."""

    inputs: ScenarioInputs
    curves: ScenarioCurves
    offer: pd.DataFrame  # the one price offer used (empty when the GPU has none)
    priced: pd.DataFrame  # dense x offer with cost columns and the curve checks (empty without an offer)
    notes: list[str] = field(default_factory=list)

    @property
    def dense(self) -> pd.DataFrame:
        return self.curves.dense

    @property
    def checks(self) -> pd.DataFrame:
        return self.curves.checks


def result_in_view(result: ScenarioResult, models: Iterable[str]) -> ScenarioResult:
    """The scenario with only the curves of `models` (the page's model filter; none: every curve), so its headline,
    crossover, tables, charts and export speak of the models in view only."""
    chosen = tuple(models)
    if not chosen:
        return result
    curves = curves_in_view(result.curves, chosen)
    return dataclasses.replace(result, curves=curves, priced=in_view(result.priced, chosen))


def curves_in_view(curves: ScenarioCurves, models: Iterable[str]) -> ScenarioCurves:
    """The curves of `models` only (none: every curve): result_in_view's part that does not depend on prices."""
    chosen = tuple(models)
    if not chosen:
        return curves
    dense = in_view(curves.dense, chosen)
    ids = set(dense["profile_id"]) if not dense.empty else set()
    checks = curves.checks[curves.checks["profile_id"].isin(ids)] if not curves.checks.empty else curves.checks
    return dataclasses.replace(curves, points=in_view(curves.points, chosen), dense=dense, checks=checks)


def missing_configs(points: pd.DataFrame, model: str) -> list[tuple[str, str, str, int | None]]:
    """The reference configurations (estimator.GAP_CONFIGS, exactly what Compare, Capacity and the CLI table
    estimate, with NLD-8B's taken by the scenario's NLD size) that have no data among `points` (one GPU's)."""
    have = set(zip(points["model"], points["mode"], points["precision"], strict=True))
    wanted = [(model if m == "nld-8b" else m, mode, prec, block) for m, mode, prec, block in GAP_CONFIGS]
    return [c for c in dict.fromkeys(wanted) if c[:3] not in have]


def scenario_curves(catalog: Catalog, points: pd.DataFrame, inputs: ScenarioInputs) -> ScenarioCurves:
    """The curves for a scenario: the chosen NLD size and the baselines on the GPU (plus uploads on it), estimates
    for modes with no data there, and estimated counterparts (at the user's lengths) of data curves that cannot be
    checked. Only whether a TTFT target is set (not its value) changes which curves get counterparts."""
    model, isl, osl, ctx = inputs.model, inputs.isl, inputs.osl, inputs.ctx
    t = inputs.targets
    targets = Targets(max_ttft_ms=1.0 if t.max_ttft_ms else None, min_tok_s_user=None, strict=t.strict,
                      est_len=t.est_len)  # fmt: skip
    up_models = set(points.loc[points["provenance"] == "uploaded", "model"])
    models = {model, *BASELINE_MODELS, inputs.baseline_model, *up_models}
    pts = points[(points["gpu"] == inputs.gpu) & points["model"].isin(models)]
    note, problems = "", list[str]()
    missing = missing_configs(pts, model)
    if missing:
        cfg = pd.DataFrame(
            {"gpu": inputs.gpu, "model": [c[0] for c in missing], "mode": [c[1] for c in missing],
             "precision": [c[2] for c in missing], "block_size": [c[3] for c in missing]}
        )  # fmt: skip
        est, problems = estimate_configs(catalog, cfg, isl=isl, osl=osl, ctx=ctx, workload=inputs.workload)
        if not est.empty:
            pts = concat_points([pts, est])
            note = "Estimated curves (dotted) fill configurations with no data on this GPU: " + "; ".join(
                f"{m} {md} {p}" for m, md, p, _ in missing
            )
    pts, checks, more = with_counterparts(
        catalog, pts.reset_index(drop=True), isl=isl, osl=osl, targets=targets, ctx=ctx, workload=inputs.workload
    )
    pts = pts.reset_index(drop=True)
    names = curve_names(pts)
    dense = pts if pts.empty else frontier.with_rates(frontier.interpolate_points(frontier.fill_lengths(pts, isl, osl)))
    return ScenarioCurves(
        points=pts,
        dense=with_names(dense, names),
        estimate_note=note,
        problems=problems + more,
        checks=checks,
        names=names,
    )


def priced_at_utilisation(priced: pd.DataFrame, made_at: int, util: int) -> pd.DataFrame:
    """A priced frame (price_scenario's) at another utilisation (%): every $/M column scales by made_at ÷ util (a
    GPU-hour buys util % of the measured tokens); nothing else changes. The app prices at 100 % once per offer."""
    if not 0 < util <= 100:
        raise ValueError(f"utilisation must be in (0, 100] %, got {util}")
    out = priced.copy()
    for col in [c for c in out.columns if str(c).startswith("usd_per_mtok")]:
        out[col] = out[col] * (made_at / util)
    return out


def offers_for(prices: pd.DataFrame, gpu: str, tier: str | None = None) -> pd.DataFrame:
    """The offers for a GPU (in a tier), cheapest first."""
    out = prices[prices["gpu"] == gpu]
    if tier is not None:
        out = out[out["tier"] == tier]
    return out.sort_values("usd_per_gpu_hour")


def available_choices(prices: pd.DataFrame, inputs: ScenarioInputs) -> tuple[ScenarioInputs, list[str]]:
    """The inputs with a tier or provider the GPU has no offer for reset to the defaults (the cheapest offer of
    the default tier), and what was reset, in words (a page that does not draw those widgets says so)."""
    from calculator.data.vocabulary import md

    notes: list[str] = []
    offers = prices[prices["gpu"] == inputs.gpu]
    tier, provider = inputs.tier, inputs.provider
    if not offers.empty and tier not in set(offers["tier"]):
        notes.append(f"{md(inputs.gpu)} has no {md(tier)} offer: the on-demand price is used.")
        tier = ScenarioInputs().tier
    in_tier = offers[offers["tier"] == tier]
    if provider != CHEAPEST and provider not in set(in_tier["provider"].astype(str)):
        notes.append(f"No {md(tier)} offer from {md(provider)} for {md(inputs.gpu)}: the cheapest offer is used.")
        provider = CHEAPEST
    if (tier, provider) == (inputs.tier, inputs.provider):
        return inputs, notes
    return dataclasses.replace(inputs, tier=tier, provider=provider), notes


def price_scenario(
    curves: ScenarioCurves,
    prices: pd.DataFrame,
    inputs: ScenarioInputs,
    *,
    price_ratio: float,
    errors: pd.DataFrame | None = None,
) -> ScenarioResult:
    """The curves priced with the chosen offer (the cheapest of the tier by default) at the scenario's utilisation,
    with each row's curve check (ranked, lengths); with `errors` (estimate_errors.estimate_errors) each estimated row
    also carries its error figure and its $/M as a range (checks.with_error_range), as on every page."""
    offers = offers_for(prices, inputs.gpu, inputs.tier)
    if inputs.provider != CHEAPEST:
        offers = offers[offers["provider"] == inputs.provider]
    offer = offers.head(1)
    priced = pd.DataFrame()
    dense = curves.dense
    if not offer.empty and not dense.empty:
        priced = with_names(
            price_table(curves.unnamed, offer, utilisation=inputs.util / 100.0, price_ratio=price_ratio),
            curves.names,
        )
        flags = curves.checks.set_index("profile_id")
        for col in ("ranked", "lengths_status", "lengths_note", "check_note"):
            priced[col] = priced["profile_id"].map(flags[col]).to_numpy()
        priced["ranked"] = priced["ranked"].fillna(True).astype(bool)
        if errors is not None:
            for col in ("usd_per_mtok_output", "usd_per_mtok_total"):
                priced = with_error_range(priced, errors, col)
    return ScenarioResult(inputs=inputs, curves=curves, offer=offer, priced=priced)


def build_scenario(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    inputs: ScenarioInputs,
    *,
    price_ratio: float,
    errors: pd.DataFrame | None = None,
) -> ScenarioResult:
    """scenario_curves then price_scenario (the app caches the two steps apart)."""
    curves = scenario_curves(catalog, points, inputs)
    return price_scenario(curves, prices, inputs, price_ratio=price_ratio, errors=errors)


def faded_options(result: ScenarioResult) -> frozenset[str]:
    """Options of data curves that are not ranked because their lengths differ from the user's or are not stated
    (drawn pale)."""
    checks, dense = result.checks, result.dense
    if checks.empty or dense.empty:
        return frozenset()
    ids = set(checks.loc[checks["lengths_unchecked"] & ~checks["ranked"], "profile_id"])
    return frozenset(dense.loc[dense["profile_id"].isin(ids), "option"].astype(str))


def scenario_crossover(dense: pd.DataFrame) -> pd.DataFrame:
    """Self-spec vs AR crossover on the source points of the curves (crossover() interpolates itself)."""
    return frontier.crossover(dense[dense["point_basis"] != "interpolated"], by=("gpu",))


def headline_crossovers(crossings: pd.DataFrame, result: ScenarioResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The crossover pairs worth showing, and those the headline reports, best first.

    Shown: the scenario's NLD size against the chosen baseline (ScenarioInputs.base, Qwen3-8B AR by default), and only
    pairs of curves that both reflect the user's lengths (ranked: with *Prefer estimates at your lengths* on, data at
    other lengths gives way to estimates at yours), so a data curve at ~300 tokens is never set against an estimate at
    32K. Labels are the curves' own (with "(estimated)", engine, pre-release). Headline: crossing pairs, like precision
    (bf16 first) before unlike, pairs without estimates before pairs with; the latest crossover first. Columns added:
    uses_estimate, ranked_pair, challenger_model, baseline_model."""
    dense = result.dense
    first = dense.drop_duplicates("profile_id").set_index("profile_id")
    estimated = set(first.index[first["provenance"] == "estimated"])
    ranked_ids = set(result.checks.loc[result.checks["ranked"], "profile_id"])
    model_of, curve_of = first["model"].astype(str), first["curve"].astype(str)
    out = crossings.assign(
        uses_estimate=crossings["challenger_profile"].isin(estimated) | crossings["baseline_profile"].isin(estimated),
        ranked_pair=crossings["challenger_profile"].isin(ranked_ids) & crossings["baseline_profile"].isin(ranked_ids),
        challenger_model=crossings["challenger_profile"].map(model_of),
        baseline_model=crossings["baseline_profile"].map(model_of),
        challenger_label=crossings["challenger_profile"].map(curve_of).fillna(crossings["challenger_label"]),
        baseline_label=crossings["baseline_profile"].map(curve_of).fillna(crossings["baseline_label"]),
    )
    shown = (
        out["ranked_pair"]
        & (out["baseline_model"] == result.inputs.baseline_model)
        & (out["challenger_model"] == result.inputs.model)
    )
    out = out[shown].sort_values(["uses_estimate", "status"]).reset_index(drop=True)
    crosses = out[out["status"] == "crosses"]
    like = crosses[crosses["like_precision"]]
    if not like.empty:
        bf16 = like[like["challenger_precision"] == "bf16"]
        crosses = bf16 if not bf16.empty else like
    if (~crosses["uses_estimate"]).any():
        crosses = crosses[~crosses["uses_estimate"]]
    return out, crosses.sort_values("crossover_concurrency", ascending=False)


def cheapest_option(result: ScenarioResult, targets: Targets, cost_col: str) -> pd.Series | None:
    """The cheapest ranked curve at its operating point meeting the targets (operating.cheapest_operating_point; None
    when none does or nothing is priced)."""
    if result.priced.empty:
        return None
    priced = result.priced
    pool = priced[priced["ranked"] & eligible_for_cheapest(priced)]
    ranked = operating.cheapest_operating_point(
        pool, targets.slo(), by=["profile_id"], value=cost_col, require_ttft=targets.strict
    )
    return ranked.iloc[0] if not ranked.empty else None


def operating_points(result: ScenarioResult, targets: Targets, cost_col: str) -> pd.DataFrame:
    """The operating point per curve meeting the targets (operating.operating_points, the one rule), ranked curves
    first, cheapest first."""
    if result.priced.empty:
        return pd.DataFrame()
    ops = operating.operating_points(result.priced, targets.slo(), require_ttft=targets.strict)
    if ops.empty:
        return ops
    return with_names(ops, result.curves.names).sort_values(["ranked", cost_col], ascending=[False, True])


@dataclass(frozen=True)
class ScenarioHeadline:
    """What the Scenario page says about a scenario in view, for its targets and cost column (scenario_headline)."""

    names: pd.Series  # profile_id -> the curve's display name
    notices: list[Notice]  # what cannot be checked (checks.check_notices)
    crossings: pd.DataFrame  # the crossover pairs shown (headline_crossovers)
    crosses: pd.DataFrame  # those the headline reports, best first
    best: pd.Series | None  # the cheapest option meeting the targets (cheapest_option; None: none or no price)
    operating: pd.DataFrame  # the operating point per curve (operating_points)


def scenario_headline(
    result: ScenarioResult, crossings: pd.DataFrame, targets: Targets, cost_col: str
) -> ScenarioHeadline:
    """Everything the Scenario page derives from a scenario in view with curves (result.dense not empty) and its raw
    crossovers (scenario_crossover), in one call, so that the app can keep it per scenario, targets and cost column."""
    names = result.dense.drop_duplicates("profile_id").set_index("profile_id")["curve"]
    notices, _differ = check_notices(
        result.checks, targets, result.inputs.isl, result.inputs.osl, {str(k): str(v) for k, v in names.items()}
    )
    shown, crosses = headline_crossovers(crossings, result)
    best = cheapest_option(result, targets, cost_col)
    return ScenarioHeadline(names, notices, shown, crosses, best, operating_points(result, targets, cost_col))


def category_note(catalog: Catalog, category: str, with_estimates: bool = True) -> str:
    """What a SPEED-Bench category does to self-speculation's acceptance length (vendor, paper Table 10)."""
    al = {
        e.benchmark: e.value
        for e in catalog.workloads.tpf
        if e.model == "nld-8b" and e.mode == "self_spec" and e.metric == "accept_length" and e.lora
    }
    if category not in al or "average" not in al:
        return ""
    return (
        f"SPEED-Bench **{category}**: self-speculation accepts {al[category]:.2f} tokens per cycle vs "
        f"{al['average']:.2f} on average ({al[category] / al['average'] - 1:+.0%}; vendor, paper Table 10). Data "
        "curves are on the SPEED-Bench mix and are not rescaled"
        + ("; estimated curves use the category." if with_estimates else ".")
    )


TABLE_COLUMNS = [
    "gpu", "model", "mode", "precision", "block_size", "prerelease", "concurrency", "point_basis",
    "output_tok_s", "output_tok_s_per_gpu", "tok_s_user", "ttft_ms_p50", "queue_ms", "running_batch",
    "meets_targets", "target_check",
    "ranked", "lengths_status", "lengths_note", "usd_per_mtok_output", "usd_per_mtok_total", "total_is_derived",
    "est_error_pct", "usd_per_mtok_output_low", "usd_per_mtok_output_high", "usd_per_mtok_total_low",
    "usd_per_mtok_total_high",
    "usd_per_mtok_input_r", "usd_per_mtok_output_r", "provider", "instance", "tier", "usd_per_gpu_hour",
    "price_as_of", "price_source", "provenance", "source", "as_of", "basis", "tpf_assumed", "profile_id",
    "offer_id",
]  # fmt: skip


def target_check_text(checked: pd.DataFrame, slo: frontier.Slo) -> list[str]:
    """Per row of frontier.slo_check's output: whether it meets each target, in words ("meets >= 50 tok/s per user
    (61.2); TTFT 1,148 ms <= 2,000 ms"; "fails: 32.1 tok/s per user < 50"; "no latency target")."""
    out: list[str] = []
    user = pd.to_numeric(checked["tok_s_user"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ttft = (
        pd.to_numeric(checked["ttft_ms_p50"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if "ttft_ms_p50" in checked
        else np.full(len(checked), np.nan)
    )
    for u, t, note, ok in zip(user, ttft, checked["slo_note"], checked["meets_slo"], strict=True):
        parts: list[str] = []
        if slo.min_tok_s_user is not None:
            floor = f"{slo.min_tok_s_user:,g}"
            parts.append(
                f"{u:,.1f} tok/s per user {'>=' if u >= slo.min_tok_s_user else '<'} {floor}"
                if np.isfinite(u)
                else f"tok/s per user unknown (target {floor})"
            )
        if slo.max_ttft_ms is not None:
            cap = f"{slo.max_ttft_ms:,.0f} ms"
            parts.append(f"TTFT {t:,.0f} ms {'<=' if t <= slo.max_ttft_ms else '>'} {cap}" if np.isfinite(t) else note)
        if not parts:
            out.append("no latency target")
        else:
            out.append(("meets: " if ok else "fails: ") + "; ".join(parts))
    return out


def scenario_table(
    result: ScenarioResult, slo: frontier.Slo | None = None, errors: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The scenario's cost table for display and export: one row per curve x concurrency (priced), with the
    target check per row (meets_targets, and target_check in words: each target, the row's figure and whether it is
    met) and the curve check (ranked, lengths). The priced rows carry the estimator's one error figure already
    (price_scenario); `errors` (estimate_errors.estimate_errors) sets it again on a table priced without it."""
    if result.priced.empty:
        return pd.DataFrame()
    slo = slo if slo is not None else result.inputs.targets.slo()
    checked = frontier.slo_check(result.priced, slo, require_ttft=result.inputs.strict)
    checked = checked.assign(meets_targets=checked["meets_slo"], target_check=target_check_text(checked, slo))
    if errors is not None:
        for col in ("usd_per_mtok_total", "usd_per_mtok_output"):
            if col in checked:
                checked = with_error_range(checked, errors, col)
    cols = [c for c in TABLE_COLUMNS if c in checked]
    order = ["model", "mode", "precision", "profile_id", "concurrency"]
    return checked[cols].sort_values(order).reset_index(drop=True)
