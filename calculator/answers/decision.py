"""The decision: Nemotron-Labs-Diffusion against a like-for-like AR baseline on each of the user's GPUs, in dollars.

Per GPU it runs the scenario pipeline (answers/scenario.py: data, estimates where a mode has none, counterparts at
the user's lengths, one interpolation path, one price offer), adds the baseline at NLD's precision where no curve
has it (estimated, and labelled so), takes the best operating point meeting the latency targets on each side (NLD:
its best mode and configuration; baseline: its best of AR and EAGLE-3 at like precision), and says the ratio
NLD ÷ baseline in words and numbers, with each side's provenance and the estimator's error as a dollar range. Below
the verdict: what would change it (the crossover concurrency, the context length where the advantage ends, the
$/GPU-h at which the other side wins). The decision page shows exactly this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from calculator.answers import scenario
from calculator.answers.checks import eligible_for_cheapest, estimate_configs
from calculator.data.catalog import Catalog, concat_points
from calculator.data.vocabulary import fmt_usd, mode_label, model_label
from calculator.model.capacity import Demand, fleet_plans
from calculator.model.cost import quote_offers

BASELINE_MODES: tuple[str, ...] = ("ar", "spec_eagle3")
DEFAULT_GPUS: tuple[str, ...] = ("h100-sxm",)
DEFAULT_TOK_S_USER = 50.0
DEFAULT_TTFT_MS = 2000.0
DEFAULT_PEAK_TO_AVERAGE = 2.0
CONTEXT_SWEEP: tuple[int, ...] = (1024, 4096, 16384, 32768, 65536, 131072)
COST_COL = "usd_per_mtok_output"
BEST_MODE = "best"
NLD_MODES: tuple[str, ...] = (BEST_MODE, "self_spec", "diffusion", "ar")
# What BEST_MODE picks from: NLD's own decoding modes. Its AR mode is the same computation as an AR model of its size
# (about 1.00x any like-precision AR baseline by construction), so it is said in a note, and taken only where no
# self-speculation or diffusion option meets the targets.
BEST_MODES: tuple[str, ...] = ("self_spec", "diffusion")
CROSSOVER_WORDS: dict[str, str] = {
    "challenger wins throughout": "NLD leads at every concurrency both curves cover",
    "baseline wins throughout": "the baseline leads at every concurrency both curves cover",
    "one common concurrency or none": "the two curves share too few concurrencies to say",
}


@dataclass(frozen=True)
class DecisionInputs:
    """Everything the decision depends on (hashable: the app caches on it)."""

    gpus: tuple[str, ...] = DEFAULT_GPUS
    size: str = "8B"
    baseline: str = "qwen3-8b"
    isl: int = 1024
    osl: int = 1024
    cat: str = scenario.AS_MEASURED
    tps: float = DEFAULT_TOK_S_USER
    ttft: float = DEFAULT_TTFT_MS
    tokens_per_month: float | None = None
    tier: str = "on_demand"
    quote_usd_per_gpu_hour: float | None = None
    util: int = 100
    nld_mode: str = BEST_MODE  # BEST_MODE: NLD's cheapest mode; else one of NLD_MODES
    peak_to_average: float = DEFAULT_PEAK_TO_AVERAGE  # the fleet for a volume is sized for its peak

    def demand(self) -> Demand | None:
        """The volume as the capacity code's demand (a fleet fixed for the peak: peak hours only shape autoscaled
        fleets, so they are the most the peak factor allows, capped at 8); None without a volume."""
        if not self.tokens_per_month:
            return None
        peak = max(1.0, float(self.peak_to_average))
        return Demand(self.tokens_per_month, peak_to_average=peak, peak_hours_per_day=min(8.0, 24.0 / peak),
                      isl=self.isl, osl=self.osl)  # fmt: skip

    @property
    def model(self) -> str:
        return scenario.NLD_SIZES.get(self.size, "nld-8b")

    def scenario_inputs(self, gpu: str, isl: int | None = None) -> scenario.ScenarioInputs:
        return scenario.ScenarioInputs(
            size=self.size, gpu=gpu, tier=self.tier, isl=self.isl if isl is None else isl, osl=self.osl,
            cat=self.cat, ttft=self.ttft, tps=self.tps, util=self.util, base=self.baseline,
        )  # fmt: skip

    def targets_text(self) -> str:
        return scenario.ScenarioInputs(ttft=self.ttft, tps=self.tps).targets.slo().describe()


@dataclass(frozen=True)
class Side:
    """One side of the decision on one GPU: the best operating point of its best curve meeting the targets."""

    model: str
    mode: str
    precision: str
    block_size: int | None
    concurrency: int
    usd_per_mtok: float
    tok_s_per_gpu: float
    tok_s_user: float
    ttft_ms: float | None
    provenance: str  # measured / uploaded / vendor / vendor_internal / community / estimated
    source: str
    as_of: str
    point_basis: str  # data point / interpolated / estimated
    gpus_per_replica: int
    error_pct: float | None  # the estimator's held-out-source median error for the mode (checks.error_pct; None: data)
    gpus_for_volume: int | None = None  # GPUs billed: whole instances of the offer, the fleet sized for the peak
    monthly_usd: float | None = None
    instances: int | None = None
    gpus_per_instance: int | None = None

    @property
    def label(self) -> str:
        block = f" b{self.block_size}" if self.block_size else ""
        return f"{short_model(self.model)} {mode_label(self.mode)} {self.precision}{block}"

    @property
    def usd_range(self) -> tuple[float, float]:
        """$/M with the estimator's error (throughput ± error → cost between c/(1+e) and c/(1-e)); data: no range."""
        if self.error_pct is None:
            return self.usd_per_mtok, self.usd_per_mtok
        e = min(self.error_pct / 100.0, 0.9)
        return self.usd_per_mtok / (1.0 + e), self.usd_per_mtok / (1.0 - e)


@dataclass
class GpuDecision:
    """The verdict on one GPU."""

    gpu: str
    usd_per_gpu_hour: float | None
    offer: str
    nld: Side | None
    baseline: Side | None
    like_precision: bool
    crossover_concurrency: float | None = None
    crossover_status: str = ""
    break_even_usd_per_gpu_hour: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """NLD $/M ÷ baseline $/M (below 1: NLD is cheaper)."""
        if self.nld is None or self.baseline is None or self.baseline.usd_per_mtok <= 0:
            return None
        return self.nld.usd_per_mtok / self.baseline.usd_per_mtok

    @property
    def ratio_range(self) -> tuple[float, float] | None:
        """The ratio with both sides' estimator error (None without a ratio)."""
        if self.nld is None or self.baseline is None:
            return None
        (n_lo, n_hi), (b_lo, b_hi) = self.nld.usd_range, self.baseline.usd_range
        return n_lo / b_hi, n_hi / b_lo

    @property
    def verdict(self) -> str:
        return verdict_text(self)


@dataclass
class Decision:
    inputs: DecisionInputs
    gpus: list[GpuDecision]
    context: pd.DataFrame = field(default_factory=pd.DataFrame)  # gpu, isl, ratio (context_sweep)

    def rows(self) -> pd.DataFrame:
        """One row per GPU and side, for a table or an export."""
        out = []
        for g in self.gpus:
            for role, s in (("NLD", g.nld), ("baseline", g.baseline)):
                if s is None:
                    continue
                lo, hi = s.usd_range
                out.append({
                    "gpu": g.gpu, "side": role, "option": s.label, "concurrency": s.concurrency,
                    "usd_per_mtok_output": s.usd_per_mtok, "usd_low": lo, "usd_high": hi,
                    "output_tok_s_per_gpu": s.tok_s_per_gpu, "tok_s_user": s.tok_s_user, "ttft_ms_p50": s.ttft_ms,
                    "gpus": s.gpus_for_volume, "monthly_usd": s.monthly_usd, "provenance": s.provenance,
                    "source": s.source, "as_of": s.as_of, "ratio": g.ratio,
                })  # fmt: skip
        return pd.DataFrame(out)


def _side(row: pd.Series, errors: Mapping[str, float], offer: pd.Series | None, inputs: DecisionInputs) -> Side:
    def num(col: str) -> float | None:
        v = row.get(col)
        return None if v is None or pd.isna(v) else float(v)

    block = num("block_size")
    estimated = str(row.get("provenance")) == "estimated"
    err = errors.get(str(row["mode"]), errors.get("all")) if estimated else None
    gpr = int(num("gpus_per_replica") or 1)
    sized: dict[str, int | float | None] = {}
    demand = inputs.demand()
    if demand is not None and offer is not None:
        # The capacity code's sizing (fleet_plans): replicas for the peak at the operating point and utilisation,
        # whole instances of the offer, billed 730 h (a fixed fleet: no scaling down off-peak).
        op = pd.DataFrame(
            [{"gpu": offer["gpu"], "output_tok_s": float(row["output_tok_s_per_gpu"]) * gpr, "gpus_per_replica": gpr}]
        )
        plan = fleet_plans(op, offer.to_frame().T, demand, utilisation=inputs.util / 100.0)
        if not plan.empty:
            p = plan.iloc[0]
            sized = {"gpus_for_volume": int(p["gpus_billed"]), "monthly_usd": float(p["monthly_usd"]),
                     "instances": int(p["instances"]), "gpus_per_instance": int(p["gpus_per_instance"])}  # fmt: skip
    return Side(
        model=str(row["model"]), mode=str(row["mode"]), precision=str(row["precision"]),
        block_size=int(block) if block else None, concurrency=int(row["concurrency"]),
        usd_per_mtok=float(row[COST_COL]), tok_s_per_gpu=float(row["output_tok_s_per_gpu"]),
        tok_s_user=float(row["tok_s_user"]), ttft_ms=num("ttft_ms_p50"), provenance=str(row["provenance"]),
        source=str(row.get("source") or ""), as_of=str(row.get("as_of") or ""),
        point_basis=str(row.get("point_basis") or ""), gpus_per_replica=gpr, error_pct=err,
        **sized,  # type: ignore[arg-type]
    )  # fmt: skip


def _baseline_gaps(curves: pd.DataFrame, gpu: str, baseline: str, precisions: Sequence[str]) -> pd.DataFrame:
    """The baseline configurations (AR, EAGLE-3) at each NLD precision with no curve on the GPU."""
    have = set(zip(curves["model"], curves["mode"], curves["precision"], strict=True)) if not curves.empty else set()
    rows = [
        {"gpu": gpu, "model": baseline, "mode": m, "precision": p, "block_size": None}
        for p in dict.fromkeys(precisions)
        for m in BASELINE_MODES
        if (baseline, m, p) not in have
    ]
    return pd.DataFrame(rows, columns=["gpu", "model", "mode", "precision", "block_size"])


def curves_inputs(inputs: DecisionInputs) -> DecisionInputs:
    """The part of the inputs a GPU's curves depend on (gpu_curves): the sizes, lengths and workload, and only
    whether a TTFT target is set; not the GPUs, prices, tier, quote, utilisation, volume or NLD mode. A cache key."""
    return DecisionInputs(
        gpus=(), size=inputs.size, baseline=inputs.baseline, isl=inputs.isl, osl=inputs.osl, cat=inputs.cat,
        ttft=1.0 if inputs.ttft else 0.0,
    )  # fmt: skip


def gpu_curves(
    catalog: Catalog, points: pd.DataFrame, inputs: DecisionInputs, gpu: str, isl: int
) -> tuple[scenario.ScenarioCurves, list[str]]:
    """The scenario's curves on one GPU at `isl` with like-precision baselines added (estimated where no data has
    them): the expensive, price-free part of a verdict, a function of curves_inputs(inputs), the GPU and `isl`."""
    s_in = inputs.scenario_inputs(gpu, isl)
    on_gpu = points[points["gpu"] == gpu]
    nld_prec = sorted(set(on_gpu.loc[on_gpu["model"] == inputs.model, "precision"].astype(str)) | {"bf16", "fp8"})
    gaps = _baseline_gaps(on_gpu, gpu, inputs.baseline, nld_prec)
    pts, notes = points, list[str]()
    if not gaps.empty:
        est, problems = estimate_configs(catalog, gaps, isl=isl, osl=inputs.osl, workload=s_in.workload)
        notes += problems
        if not est.empty:
            pts = concat_points([points, est])
    return scenario.scenario_curves(catalog, pts, s_in), notes


CurvesFn = Callable[[Catalog, pd.DataFrame, DecisionInputs, str, int], tuple[scenario.ScenarioCurves, list[str]]]


def _priced(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    inputs: DecisionInputs,
    gpu: str,
    isl: int,
    curves: CurvesFn = gpu_curves,
) -> tuple[scenario.ScenarioResult, list[str]]:
    """The GPU's curves (`curves`: gpu_curves, or a cache of it) priced with the chosen offer and utilisation."""
    s_in, notes = scenario.available_choices(prices, inputs.scenario_inputs(gpu, isl))
    found, problems = curves(catalog, points, curves_inputs(inputs), gpu, isl)
    return scenario.price_scenario(found, prices, s_in, price_ratio=4.0), [*notes, *problems]


def _best(ops: pd.DataFrame, mask: pd.Series) -> pd.Series | None:
    pool = ops[mask & ops["ranked"]]
    if pool.empty:
        return None
    return pool.sort_values([COST_COL, "concurrency"]).iloc[0]


def _pair(
    ops: pd.DataFrame, nld_mask: pd.Series, base_pool: pd.Series
) -> tuple[pd.Series | None, pd.Series | None, bool]:
    """NLD's cheapest option (of `nld_mask`) that has a baseline option at the same precision, with that baseline's
    cheapest (like precision against like precision: an fp8 NLD is never set against a bf16-only baseline while a
    like pair exists); else NLD's cheapest and the baseline's cheapest at any precision (like = False)."""
    best: tuple[pd.Series, pd.Series] | None = None
    for p in sorted(set(ops.loc[nld_mask & ops["ranked"], "precision"].astype(str))):
        n = _best(ops, nld_mask & (ops["precision"] == p))
        b = _best(ops, base_pool & (ops["precision"] == p))
        if n is not None and b is not None and (best is None or float(n[COST_COL]) < float(best[0][COST_COL])):
            best = (n, b)
    if best is not None:
        return best[0], best[1], True
    return _best(ops, nld_mask), _best(ops, base_pool), False


def decide_gpu(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    inputs: DecisionInputs,
    gpu: str,
    errors: Mapping[str, float],
    *,
    isl: int | None = None,
    curves: CurvesFn = gpu_curves,
    crossover: bool = True,
) -> GpuDecision:
    """The verdict on one GPU (at `isl`, default the inputs'); `curves` computes (or looks up) its curves;
    `crossover=False` leaves out the crossover concurrency (the context sweep needs only the ratio)."""
    isl = inputs.isl if isl is None else isl
    if inputs.quote_usd_per_gpu_hour:
        prices = quote_offers([gpu], inputs.quote_usd_per_gpu_hour)
    result, notes = _priced(catalog, points, prices, inputs, gpu, isl, curves)
    if result.offer.empty:
        return GpuDecision(gpu, None, "", None, None, False, notes=[*notes, f"No {inputs.tier} price for {gpu}."])
    offer = result.offer.iloc[0]
    usd_h = float(offer["usd_per_gpu_hour"])
    offer_text = f"{offer['provider']} {offer['instance']}, {fmt_usd(usd_h, 2)}/GPU-h ({offer['tier']})"
    targets = result.inputs.targets
    ops = scenario.operating_points(result, targets, COST_COL)
    if ops.empty:
        return GpuDecision(gpu, usd_h, offer_text, None, None, False,
                           notes=[*notes, f"Nothing meets {targets.slo().describe()} on {gpu}."])  # fmt: skip
    ops = ops[eligible_for_cheapest(ops).to_numpy()]
    is_nld = ops["model"] == inputs.model
    base_pool = (ops["model"] == inputs.baseline) & ops["mode"].isin(BASELINE_MODES)
    if inputs.nld_mode == BEST_MODE:
        nld_row, base_row, like = _pair(ops, is_nld & ops["mode"].isin(BEST_MODES), base_pool)
        own_ar, ar_base, ar_like = _pair(ops, is_nld & (ops["mode"] == "ar"), base_pool)
        if nld_row is None:
            nld_row, base_row, like = own_ar, ar_base, ar_like
            if nld_row is not None:
                notes = [*notes, "No self-speculation or diffusion option meets the targets: NLD's AR mode is shown."]
        elif own_ar is not None and ar_base is not None and ar_like:
            r = float(own_ar[COST_COL]) / float(ar_base[COST_COL])
            ar_note = f"NLD's own AR mode ({own_ar['precision']}) is {r:.2f}x the baseline: the same computation"
            notes = [*notes, ar_note + " as an AR model of its size (NLD mode 'ar' shows it)."]
    else:
        nld_row, base_row, like = _pair(ops, is_nld & (ops["mode"] == inputs.nld_mode), base_pool)
    nld = None if nld_row is None else _side(nld_row, errors, offer, inputs)
    base = None if base_row is None else _side(base_row, errors, offer, inputs)
    out = GpuDecision(gpu, usd_h, offer_text, nld, base, like, notes=notes)
    if nld is None:
        out.notes.append(f"No {model_label(inputs.model)} curve on {gpu} meets {targets.slo().describe()}.")
    if base is None:
        out.notes.append(f"No {model_label(inputs.baseline)} AR/EAGLE-3 curve on {gpu} meets the targets.")
    elif not like:
        out.notes.append("No baseline at NLD's precision meets the targets: the baseline shown is at another one.")
    if nld_row is not None and base_row is not None:
        if crossover:
            out.crossover_concurrency, out.crossover_status = _crossover(result, nld_row, base_row)
        if out.ratio:
            out.break_even_usd_per_gpu_hour = usd_h / out.ratio
    return out


def _crossover(result: scenario.ScenarioResult, nld: pd.Series, base: pd.Series) -> tuple[float | None, str]:
    """Where NLD's chosen curve stops beating the baseline's chosen curve in tok/s per GPU (by concurrency)."""
    from calculator.model import frontier

    dense = result.dense
    pair = dense[dense["profile_id"].isin([nld["profile_id"], base["profile_id"]])]
    pair = pair[pair["point_basis"] != "interpolated"]
    if pair["profile_id"].nunique() < 2:
        return None, ""
    x = frontier.crossover(pair, challenger=str(nld["mode"]), baseline=str(base["mode"]), by=("gpu",))
    if nld["mode"] == base["mode"] or x.empty:
        return None, ""
    r = x.iloc[0]
    c = r.get("crossover_concurrency")
    return (None if c is None or pd.isna(c) else float(c)), str(r.get("status", ""))


def _range_of(d: GpuDecision) -> dict[str, float | None]:
    lo, hi = d.ratio_range or (None, None)
    return {"ratio_low": lo, "ratio_high": hi}


def _side_of(role: str, s: Side | None) -> dict[str, object]:
    """A side's columns in the context sweep: label, $/M with the estimator's range, provenance and error."""
    if s is None:
        return {role: None, f"{role}_usd": None, f"{role}_usd_low": None, f"{role}_usd_high": None,
                f"{role}_provenance": None, f"{role}_error_pct": None}  # fmt: skip
    lo, hi = s.usd_range
    return {role: s.label, f"{role}_usd": s.usd_per_mtok, f"{role}_usd_low": lo, f"{role}_usd_high": hi,
            f"{role}_provenance": s.provenance, f"{role}_error_pct": s.error_pct}  # fmt: skip


def decide(
    catalog: Catalog,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    inputs: DecisionInputs,
    errors: Mapping[str, float],
    *,
    context_isls: Sequence[int] = (),
    context_gpus: Sequence[str] | None = None,
    curves: CurvesFn = gpu_curves,
) -> Decision:
    """The decision on every GPU of the inputs, and (with `context_isls`) the ratio at each of those prompt
    lengths per GPU (of `context_gpus`, default all), to say where the advantage ends. `curves`: gpu_curves, or a
    cache of it (the app's)."""
    gpus = [decide_gpu(catalog, points, prices, inputs, g, errors, curves=curves) for g in inputs.gpus]
    rows = []
    for g in inputs.gpus if context_gpus is None else [g for g in inputs.gpus if g in context_gpus]:
        for isl in context_isls:
            d = (
                gpus[inputs.gpus.index(g)]
                if isl == inputs.isl
                else decide_gpu(catalog, points, prices, inputs, g, errors, isl=isl, curves=curves, crossover=False)
            )
            rows.append({"gpu": g, "isl": isl, "ratio": d.ratio, **_range_of(d), **_side_of("nld", d.nld),
                         **_side_of("baseline", d.baseline)})  # fmt: skip
    return Decision(inputs=inputs, gpus=gpus, context=pd.DataFrame(rows))


def at_utilisation(d: Decision, util: int) -> Decision:
    """The decision at another utilisation (%) from one made at another: every $/M scales by old ÷ new utilisation (a
    GPU-hour buys util % of the measured tokens), so each side's choice, the ratios and the break-even prices stay as
    they are. Not for a decision with a volume: its fleet is sized at the utilisation (whole instances), so decide
    that one at the user's utilisation. The app decides at 100 % once and rescales per user."""
    if not 0 < util <= 100:
        raise ValueError(f"utilisation must be in (0, 100] %, got {util}")
    if d.inputs.tokens_per_month:
        raise ValueError("a decision with a monthly volume is sized at its utilisation: decide it at that utilisation")
    f = d.inputs.util / util

    def side(s: Side | None) -> Side | None:
        return None if s is None else dataclasses.replace(s, usd_per_mtok=s.usd_per_mtok * f)

    gpus = [dataclasses.replace(g, nld=side(g.nld), baseline=side(g.baseline), notes=list(g.notes)) for g in d.gpus]
    context = d.context.copy()
    for col in [c for c in context.columns if "_usd" in c]:  # the sweep's $/M scale alike; its ratios stay
        context[col] = context[col] * f
    return Decision(dataclasses.replace(d.inputs, util=util), gpus, context)


def advantage_ends(context: pd.DataFrame, gpu: str, *, nld_cheaper: bool = True, above: int = 0) -> int | None:
    """The shortest prompt length (of those swept, longer than `above`: the user's) at which the verdict flips on
    `gpu`: where NLD is no longer cheaper (`nld_cheaper`, the verdict at the user's length) or where it becomes
    cheaper (None: never)."""
    if context.empty:
        return None
    c = context[(context["gpu"] == gpu) & context["ratio"].notna() & (context["isl"] > above)].sort_values("isl")
    flipped = c[c["ratio"] >= 1.0] if nld_cheaper else c[c["ratio"] < 1.0]
    return int(flipped["isl"].iloc[0]) if not flipped.empty else None


def verdict_text(d: GpuDecision) -> str:
    """The verdict in one sentence: who is cheaper, by how much, and how sure."""
    if d.nld is None or d.baseline is None or d.ratio is None:
        return d.notes[-1] if d.notes else "No verdict."
    r = d.ratio
    lo, hi = d.ratio_range or (r, r)
    if abs(r - 1.0) < 0.01:
        who = f"{d.nld.label} costs about the same as {d.baseline.label} ({r:.2f}x)"
    elif r < 1:
        who = f"{d.nld.label} costs {r:.2f}x {d.baseline.label} ({1 - r:.0%} cheaper)"
    else:
        who = f"{d.nld.label} costs {r:.2f}x {d.baseline.label} ({r - 1:.0%} dearer)"
    if lo < 1.0 < hi:
        sure = f"; within the estimator's error ({lo:.2f}x–{hi:.2f}x) it could go either way"
    elif lo != hi:
        sure = f"; {lo:.2f}x–{hi:.2f}x with the estimator's error"
    else:
        sure = "; both sides from data"
    return who + sure + "."


def short_model(model: str) -> str:
    """A model's name without its parenthesised role ("Qwen3-8B (autoregressive baseline)" -> "Qwen3-8B")."""
    return model_label(model).split(" (")[0].replace("Nemotron-Labs-Diffusion", "NLD")


def nld_mode_label(mode: str) -> str:
    """An NLD mode choice in words ("best" says what it picks from)."""
    return "best (self-speculation or diffusion)" if mode == BEST_MODE else mode_label(mode)


def crossover_text(d: GpuDecision) -> str:
    """Where the NLD curve stops beating the baseline's, in words."""
    if d.crossover_concurrency is not None:
        n = f"{d.crossover_concurrency:,.0f} concurrent requests per replica"
        if d.ratio is not None and d.ratio < 1:  # "lead" only where NLD leads the verdict
            return f"NLD's lead ends at about {n}"
        return f"NLD out-serves the baseline per GPU only below about {n} (it is dearer at the operating point)"
    return CROSSOVER_WORDS.get(d.crossover_status, "no crossover: the two sides run the same mode")


def baseline_options(points: pd.DataFrame) -> tuple[str, ...]:
    """The baselines a decision may take: every AR model that is not Nemotron-Labs-Diffusion, bundled or uploaded
    (a model with an AR curve, and the scenario's baselines, which the estimator can fill in): the default, Qwen3-8B,
    first, the others by name."""
    ar = points.loc[points["mode"] == "ar", "model"].astype(str) if not points.empty else pd.Series(dtype=str)
    models = (set(ar) | set(scenario.BASELINE_MODELS)) - set(scenario.NLD_SIZES.values())
    return tuple(dict.fromkeys([scenario.DEFAULT_BASELINE, *sorted(models)]))


def with_gpus(inputs: DecisionInputs, gpus: Sequence[str]) -> DecisionInputs:
    return dataclasses.replace(inputs, gpus=tuple(gpus))
