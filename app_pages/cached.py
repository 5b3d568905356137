"""The app's caches around calls into calculator/: the bundled catalog (once per process), and each page's one
expensive call keyed by the content digests of its inputs. Shared by all sessions, so every key names all it
depends on; treat the results as read-only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from calculator.answers import checks, claims, compare, estimate_errors, gpu_compare, planning, scenario
from calculator.answers import decision as decision_answers
from calculator.answers.checks import Targets
from calculator.data.catalog import Catalog, forward_points_frame, load_catalog
from calculator.model.cost import CostSettings, price_table
from calculator.model.estimator import error_summary, estimated_forward_ms, leave_one_out, summarise_headline
from calculator.present import charts
from calculator.present import labels as lb

T = TypeVar("T")


@st.cache_resource(show_spinner="Loading the bundled data…")
def bundled_catalog() -> Catalog:
    """GPUs, prices, profiles and workload tables from hardware_profiles/ (validated once per process)."""
    return load_catalog()


def frame_digest(df: pd.DataFrame) -> str:
    """A short content digest of a DataFrame (cache key)."""
    if df.empty:
        return "empty:" + ",".join(map(str, df.columns))
    h = pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()[:16]


@st.cache_data(show_spinner=False, max_entries=32)
def priced(
    points_key: str, prices_key: str, settings: CostSettings, _points: pd.DataFrame, _prices: pd.DataFrame
) -> pd.DataFrame:
    """price_table, cached per content of its inputs (the keys are digests)."""
    return price_table(_points, _prices, utilisation=settings.utilisation, price_ratio=settings.price_ratio)


_FORWARD: dict[int, tuple[weakref.ref[Catalog], pd.DataFrame]] = {}
_FORWARD_LOCK = threading.Lock()


def forward_surfaces() -> pd.DataFrame:
    """Every forward-cost surface point of the bundled catalog (catalog.forward_points_frame) with the estimator's
    bare-forward time beside it (column estimated_ms), computed once per catalog object: reloading the catalog
    (bundled_catalog.clear()) recomputes it. Read-only."""
    catalog = bundled_catalog()
    with _FORWARD_LOCK:
        hit = _FORWARD.get(id(catalog))
        if hit is not None and hit[0]() is catalog:
            return hit[1]
    frame = forward_points_frame(catalog.forward_costs, catalog.gpu_specs).reset_index(drop=True)
    if not frame.empty:
        frame["estimated_ms"] = estimated_forward_ms(catalog, frame)
    with _FORWARD_LOCK:
        for key in [k for k, (ref, _) in _FORWARD.items() if ref() is None]:
            del _FORWARD[key]
        _FORWARD[id(catalog)] = (weakref.ref(catalog), frame)
    return frame


_DERIVED: dict[tuple[int, Hashable], tuple[weakref.ref[Any], Any]] = {}
_DERIVED_LOCK = threading.Lock()


def derived(source: Any, tag: Hashable, make: Callable[[], T]) -> T:
    """`make()`, kept while `source` lives and made again only for another `source` object or `tag`. For what a
    page derives from a read-only object the caches share (or a session keeps): `tag` names the derivation and every
    other value it depends on, so a rerun at the same choices derives nothing again (issue 21)."""
    k = (id(source), tag)
    with _DERIVED_LOCK:
        hit = _DERIVED.get(k)
    if hit is not None and hit[0]() is source:
        return cast(T, hit[1])
    made = make()

    entries = _DERIVED  # held by the callback: at interpreter exit the module's globals may be gone first

    def forget(ref: weakref.ref[Any]) -> None:  # the source is gone (e.g. the idle sweep emptied its cache)
        if entries.get(k, (None,))[0] is ref:
            entries.pop(k, None)  # no lock: this may run inside a locked section, at any allocation

    with _DERIVED_LOCK:
        _DERIVED[k] = (weakref.ref(source, forget), made)
    return made


# ---------------------------------------------------------------------------------------------
# The estimator's own error (leave-one-out), once per process


@st.cache_resource(show_spinner="Checking the estimator on sources it has not seen…")
def estimator_errors() -> pd.DataFrame:
    """estimate_errors.estimate_errors on the bundled data (held-out-source error per mode and engine class: the one
    figure every estimated row carries), once per process; shipped precomputed for the bundled data."""
    return estimate_errors.estimate_errors(bundled_catalog())


@st.cache_data(show_spinner=False)
def estimate_errors_by_mode() -> dict[str, str]:
    """The error text beside estimates (SGLang, the engine of estimates), per mode and "all" (compare.error_texts);
    once per process, like the table it reads (it took ~12 ms of every Compare run, issue 21)."""
    return compare.error_texts(estimator_errors())


@st.cache_resource(show_spinner="Checking the estimator against every point we hold (leave-one-out)…")
def loo_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leave-one-out predictions, their error summary per GPU and mode, and the headline errors (a point of a GPU
    with data; a GPU without data), computed once per process."""
    cat = bundled_catalog()
    loo = leave_one_out(cat)
    headline = summarise_headline({"point": loo, "gpu": leave_one_out(cat, group="gpu")})
    return loo, error_summary(loo), headline


# ---------------------------------------------------------------------------------------------
# Page computations


@st.cache_resource(show_spinner="Estimating GPUs without data…", max_entries=16)  # shared, read-only
def compare_pool(
    points_key: str,
    prices_key: str,
    isl: int,
    osl: int,
    models: tuple[str, ...],
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
) -> tuple[pd.DataFrame, list[str]]:
    """compare.estimate_pool: the points plus estimates for priced GPUs without data."""
    return compare.estimate_pool(bundled_catalog(), _points, _prices, isl=isl, osl=osl, models=models)


def compare_view(
    pool_key: str,
    prices_key: str,
    query: compare.CompareQuery,
    settings: CostSettings,
    errors: dict[str, str],
    pool: pd.DataFrame,
    prices: pd.DataFrame,
) -> compare.CompareView:
    """compare.compare_view, priced at 100 % utilisation (cached) and rescaled to the user's
    (compare.at_utilisation), so that every utilisation shares one entry."""
    full = _compare_view_at_full(
        pool_key, prices_key, query, dataclasses.replace(settings, utilisation=1.0), errors, pool, prices
    )
    return full if settings.utilisation == 1.0 else compare.at_utilisation(full, settings.utilisation)


@dataclasses.dataclass(frozen=True)
class ComparePage:
    """What the Compare page draws from its view, derived once per view (compare_page): read-only."""

    view: compare.CompareView
    any_eligible: bool
    top: pd.Series | None  # CompareView.top (None: no rows)
    top_with_data: pd.Series | None  # CompareView.top_with_data
    table: pd.DataFrame  # the view's rows with the measured extras, the ★ and the lengths in words
    extras: list[str]  # the measured extras' columns that hold a value (compare.with_measured_extras)
    download: pd.DataFrame  # compare.export_frame
    used_prices: pd.DataFrame  # the price offers the view's rows use


def compare_page(
    pool_key: str,
    prices_key: str,
    query: compare.CompareQuery,
    settings: CostSettings,
    errors: dict[str, str],
    usd_per_kwh: float,
    pool: pd.DataFrame,
    prices: pd.DataFrame,
) -> ComparePage:
    """compare_view and what the page derives from it, kept per view (the utilisation and the $/kWh included) as a
    shared object, so that a rerun at the same choices derives nothing again (issue 21)."""
    return _compare_page(pool_key, prices_key, query, settings, errors, usd_per_kwh, pool, prices)


@st.cache_resource(show_spinner=False, max_entries=64)
def _compare_page(
    pool_key: str,
    prices_key: str,
    query: compare.CompareQuery,
    settings: CostSettings,
    errors: dict[str, str],
    usd_per_kwh: float,
    _pool: pd.DataFrame,
    _prices: pd.DataFrame,
) -> ComparePage:
    view = compare_view(pool_key, prices_key, query, settings, errors, _pool, _prices)
    table = view.table
    if table.empty:
        return ComparePage(view, False, None, None, table, [], table, _prices.iloc[:0])
    shown, extras = compare.with_measured_extras(table, usd_per_kwh)
    shown = shown.assign(star=shown["cheapest_on_gpu"].map({True: "★", False: ""}), lengths=lb.lengths_text(shown))
    download = compare.export_frame(view, settings.cost_column)
    used = _prices[_prices["id"].isin(set(download["offer_id"]))]
    return ComparePage(view, view.any_eligible, view.top, view.top_with_data, shown, extras, download, used)


@st.cache_data(show_spinner=False, max_entries=32)
def _compare_view_at_full(
    pool_key: str,
    prices_key: str,
    query: compare.CompareQuery,
    settings: CostSettings,
    errors: dict[str, str],
    _pool: pd.DataFrame,
    _prices: pd.DataFrame,
) -> compare.CompareView:
    return compare.compare_view(_pool, _prices, query, settings, errors, estimator_errors())


@st.cache_resource(show_spinner="Estimating…", max_entries=48)
def scenario_curves(points_key: str, inputs: scenario.ScenarioInputs, _points: pd.DataFrame) -> scenario.ScenarioCurves:
    """scenario.scenario_curves; `inputs` should hold only what the curves depend on (curves_inputs). A shared object
    (no unpickled copy per hit, and its priceable form, ScenarioCurves.unnamed, is made once): read-only."""
    return scenario.scenario_curves(bundled_catalog(), _points, inputs)


def curves_inputs(inputs: scenario.ScenarioInputs) -> scenario.ScenarioInputs:
    """The part of a scenario its curves depend on (only whether a TTFT target is set, not its value)."""
    d = scenario.ScenarioInputs()
    return scenario.ScenarioInputs(
        size=inputs.size, gpu=inputs.gpu, isl=inputs.isl, osl=inputs.osl, ctx=inputs.ctx, cat=inputs.cat,
        ttft=1.0 if inputs.ttft else 0.0, tps=d.tps, strict=inputs.strict, est_len=inputs.est_len,
    )  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=64)  # shared frames, read-only (no copy per hit)
def _scenario_prices(
    curves_key: str,
    prices_key: str,
    pricing: scenario.ScenarioInputs,
    price_ratio: float,
    _curves: scenario.ScenarioCurves,
    _prices: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    result = scenario.price_scenario(_curves, _prices, pricing, price_ratio=price_ratio, errors=estimator_errors())
    return result.offer, result.priced


def build_scenario(
    inputs: scenario.ScenarioInputs,
    points_key: str,
    points: pd.DataFrame,
    prices_key: str,
    prices: pd.DataFrame,
    price_ratio: float,
) -> tuple[str, scenario.ScenarioResult]:
    """(curves key, the scenario): curves cached without prices, pricing cached per offer choice at 100 % utilisation
    and rescaled to the user's (scenario.priced_at_utilisation)."""
    curve_in = curves_inputs(inputs)
    key = f"{points_key}|{curve_in}"
    curves = scenario_curves(points_key, curve_in, points)
    pricing = scenario.ScenarioInputs(gpu=inputs.gpu, tier=inputs.tier, provider=inputs.provider, util=100)
    offer, table = _scenario_prices(key, prices_key, pricing, price_ratio, curves, prices)  # at 100 %: rescaled
    if inputs.util != 100:  # kept per priced table and utilisation (a shared object: read-only)
        full = table
        util = inputs.util
        table = derived(full, ("at_utilisation", util), lambda: scenario.priced_at_utilisation(full, 100, util))
    return key, scenario.ScenarioResult(inputs=inputs, curves=curves, offer=offer, priced=table)


def scenario_in_view(
    key: str, prices_key: str, price_ratio: float, result: scenario.ScenarioResult, models: tuple[str, ...]
) -> tuple[str, scenario.ScenarioResult]:
    """(the view's key, scenario.result_in_view of build_scenario's answer): its curves kept per curves and models,
    its priced rows per priced table (kept per choice by build_scenario) and models, so that a rerun at the same
    choices filters nothing again (issue 21). Shared objects: read-only."""
    view_key = f"{key}|models={','.join(models)}"
    if not models:
        return view_key, result
    curves = _curves_in_view(view_key, models, result.curves)
    priced = derived(result.priced, ("in_view", models), lambda: scenario.in_view(result.priced, models))
    return view_key, dataclasses.replace(result, curves=curves, priced=priced)


@st.cache_resource(show_spinner=False, max_entries=48)
def _curves_in_view(
    view_key: str, models: tuple[str, ...], _curves: scenario.ScenarioCurves
) -> scenario.ScenarioCurves:
    return scenario.curves_in_view(_curves, models)


@st.cache_resource(show_spinner=False, max_entries=64)
def scenario_headline(
    view_key: str,
    prices_key: str,
    price_ratio: float,
    inputs: scenario.ScenarioInputs,
    targets: Targets,
    cost_col: str,
    _result: scenario.ScenarioResult,
) -> scenario.ScenarioHeadline:
    """scenario.scenario_headline of a scenario in view (scenario_in_view), per its key, the targets and the cost
    column: names, notices, crossovers, the cheapest option and the operating points. Shared, read-only."""
    return scenario.scenario_headline(_result, crossover(view_key, _result.dense), targets, cost_col)


@st.cache_resource(show_spinner=False, max_entries=32)
def scenario_export(
    view_key: str,
    prices_key: str,
    price_ratio: float,
    inputs: scenario.ScenarioInputs,
    _result: scenario.ScenarioResult,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Export page's table of a scenario in view (scenario.scenario_table) and its on-screen preview (the first
    200 rows, labels.preview_frame), per scenario_in_view's key. Shared, read-only."""
    table = scenario.scenario_table(_result)
    return table, lb.preview_frame(table.head(200))


@st.cache_data(show_spinner=False, max_entries=32)
def frontier_figure(
    key: str, _dense: pd.DataFrame, faded: frozenset[str], limit: int | None = charts.MAX_LEGEND
) -> go.Figure:
    """The scenario's frontier without a target line (its curves depend on neither prices nor utilisation)."""
    return charts.frontier_figure(_dense, None, faded, limit)


@st.cache_data(show_spinner=False, max_entries=32)
def crossover(key: str, _dense: pd.DataFrame) -> pd.DataFrame:
    return scenario.scenario_crossover(_dense)


def gpu_comparison(
    points_key: str,
    prices_key: str,
    model: str,
    mode: str,
    precision: str,
    concurrency: int,
    gpus: tuple[str, ...],
    settings: CostSettings,
    points: pd.DataFrame,
    prices: pd.DataFrame,
    isl: int = 1024,
    osl: int = 1024,
) -> gpu_compare.GpuComparison:
    """gpu_compare.compare_gpus at the lengths, priced at 100 % utilisation (cached) and rescaled to the user's."""
    full = dataclasses.replace(settings, utilisation=1.0)
    made = _gpu_comparison_at_full(
        points_key, prices_key, model, mode, precision, concurrency, gpus, full, points, prices, isl, osl
    )
    return made if settings.utilisation == 1.0 else gpu_compare.at_utilisation(made, 1.0, settings.utilisation)


@st.cache_resource(show_spinner=False, max_entries=64)
def gpu_comparison_rows(
    points_key: str,
    prices_key: str,
    model: str,
    mode: str,
    precision: str,
    concurrency: int,
    gpus: tuple[str, ...],
    settings: CostSettings,
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
    isl: int = 1024,
    osl: int = 1024,
) -> tuple[gpu_compare.GpuComparison, pd.DataFrame]:
    """gpu_comparison and its rows as the Hardware page shows them (gpu_compare.comparison_rows with the GPUs' names
    and the stated lengths in words), kept per choice (the utilisation included) as shared objects: read-only."""
    made = gpu_comparison(
        points_key, prices_key, model, mode, precision, concurrency, gpus, settings, _points, _prices, isl, osl
    )
    show = gpu_compare.comparison_rows(made, {g.id: g.name for g in bundled_catalog().gpu_specs})
    if "stated_isl" in show:
        show["lengths"] = lb.lengths_text(pd.DataFrame({"isl": show["stated_isl"], "osl": show["stated_osl"]}))
    return made, show


@st.cache_resource(show_spinner=False)
def trust_texts() -> list[str]:
    """gpu_compare.trust_texts of the leave-one-out tables and the estimator's errors (all once per process)."""
    _loo, summary, headline = loo_tables()
    return gpu_compare.trust_texts(summary, headline, estimator_errors())


@st.cache_resource(show_spinner=False, max_entries=16)
def estimate_error_text(mode: str) -> str:
    """checks.estimate_error_text of a mode (SGLang), from the estimator's errors (once per process)."""
    return checks.estimate_error_text(estimator_errors(), mode)


@st.cache_data(show_spinner="Estimating…", max_entries=64)
def _gpu_comparison_at_full(
    points_key: str,
    prices_key: str,
    model: str,
    mode: str,
    precision: str,
    concurrency: int,
    gpus: tuple[str, ...],
    settings: CostSettings,
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
    isl: int = 1024,
    osl: int = 1024,
) -> gpu_compare.GpuComparison:
    return gpu_compare.compare_gpus(
        bundled_catalog(), _points, _prices, model=model, mode=mode, precision=precision, concurrency=concurrency,
        gpus=gpus, settings=settings, isl=isl, osl=osl,
    )  # fmt: skip


@st.cache_resource(show_spinner="Planning…", max_entries=8)
def _capacity_curves(
    points_key: str, gpus: tuple[str, ...], request: planning.PlanRequest, _points: pd.DataFrame, _prices: pd.DataFrame
) -> planning.PlanCurves:
    """planning.plan_curves (the estimates, checks and operating points: ~1.5 s, the expensive part), keyed on what
    it depends on: not the volume, utilisation, tiers or autoscaling, whose changes reuse it. A shared object (no
    copy: its dense curves pickle to ~13 MB, which st.cache_data would store and unpickle per entry and per hit)."""
    return planning.plan_curves(bundled_catalog(), _points, _prices, request)


@st.cache_resource(show_spinner="Planning…", max_entries=32)
def capacity_plan(
    points_key: str,
    prices_key: str,
    request: planning.PlanRequest,
    errors: dict[str, str],
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
) -> planning.CapacityPlan:
    """planning.plan_capacity, its curves cached apart (_capacity_curves); the plan shares their frames. Read-only."""
    gpus = tuple(sorted(set(_prices["gpu"])))
    curves = _capacity_curves(points_key, gpus, planning.curves_request(request), _points, _prices)
    return planning.plan_fleets(curves, _prices, request, errors, estimator_errors())


ONCE_PER_PROCESS = ("bundled_catalog", "estimator_errors", "estimate_errors_by_mode", "loo_tables", "trust_texts",
                    "estimate_error_text", "estimator_error_pct", "vendor_claims")  # fmt: skip
"""The caches kept by the idle sweep: the bundled data and what is computed from it once per process."""


def clear_per_choice_caches() -> None:
    """Empty the caches of results per user choice (each utilisation, volume, filter, scenario); keep the bundled
    catalog, the estimator's checks and the forward surfaces (once per process). The housekeeping's idle sweep."""
    for fn in (priced, compare_pool, _compare_page, _compare_view_at_full, scenario_curves, _scenario_prices,
               _curves_in_view, scenario_headline, scenario_export, frontier_figure, crossover, _gpu_comparison_at_full,
               gpu_comparison_rows,
               _capacity_curves, capacity_plan, _decision_curves, _decision_at_full, _decision):  # fmt: skip
        fn.clear()


# ---------------------------------------------------------------------------------------------
# The decision page


@st.cache_data(show_spinner=False)
def estimator_error_pct() -> dict[str, float]:
    """Each mode's error figure (checks.error_pct: held-out source, SGLang) and "all": the decision's $ ranges; once
    per process."""
    return compare.error_pcts(estimator_errors())


@st.cache_resource(show_spinner="Estimating…", max_entries=48)
def _decision_curves(
    points_key: str, inputs: decision_answers.DecisionInputs, gpu: str, isl: int, _points: pd.DataFrame
) -> tuple[scenario.ScenarioCurves, list[str]]:
    """decision.gpu_curves (~0.5 s per GPU and prompt length: estimates, counterparts, interpolation), keyed on what
    it depends on (decision.curves_inputs), so that a change of utilisation, tier, quote, volume, targets' values
    or NLD mode only re-prices. A shared object (no copy per hit): read-only."""
    return decision_answers.gpu_curves(bundled_catalog(), _points, inputs, gpu, isl)


def decision(
    points_key: str,
    prices_key: str,
    inputs: decision_answers.DecisionInputs,
    context_isls: tuple[int, ...],
    context_gpus: tuple[str, ...],
    points: pd.DataFrame,
    prices: pd.DataFrame,
) -> decision_answers.Decision:
    """decision.decide: the verdict per GPU, and the ratio at `context_isls` on `context_gpus`. Decided at 100 %
    utilisation (cached) and rescaled to the user's (decision.at_utilisation), so every utilisation shares one entry;
    the answer at the user's utilisation is kept too, as a shared object (read-only; issue 21)."""
    return _decision(points_key, prices_key, inputs, context_isls, context_gpus, points, prices)


@st.cache_resource(show_spinner=False, max_entries=64)
def _decision(
    points_key: str,
    prices_key: str,
    inputs: decision_answers.DecisionInputs,
    context_isls: tuple[int, ...],
    context_gpus: tuple[str, ...],
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
) -> decision_answers.Decision:
    if inputs.tokens_per_month:  # a fleet for a volume is sized at the utilisation (whole instances): no rescale
        return _decision_at_full(points_key, prices_key, inputs, context_isls, context_gpus, _points, _prices)
    full = dataclasses.replace(inputs, util=100)
    made = _decision_at_full(points_key, prices_key, full, context_isls, context_gpus, _points, _prices)
    return made if inputs.util == 100 else decision_answers.at_utilisation(made, inputs.util)


@st.cache_data(show_spinner="Deciding…", max_entries=32)
def _decision_at_full(
    points_key: str,
    prices_key: str,
    inputs: decision_answers.DecisionInputs,
    context_isls: tuple[int, ...],
    context_gpus: tuple[str, ...],
    _points: pd.DataFrame,
    _prices: pd.DataFrame,
) -> decision_answers.Decision:
    """decision.decide (its curves cached apart: _decision_curves)."""

    def curves(
        _cat: Catalog, pts: pd.DataFrame, key: decision_answers.DecisionInputs, gpu: str, isl: int
    ) -> tuple[scenario.ScenarioCurves, list[str]]:
        return _decision_curves(points_key, key, gpu, isl, pts)

    return decision_answers.decide(
        bundled_catalog(),
        _points,
        _prices,
        inputs,
        estimator_error_pct(),
        context_isls=context_isls,
        context_gpus=context_gpus,
        curves=curves,
    )


@st.cache_resource(show_spinner=False)
def vendor_claims() -> tuple[claims.TpfClaim, claims.ThroughputClaim]:
    """The vendor's two headline claims beside the bundled data (claims.tpf_claim, claims.throughput_claim)."""
    cat = bundled_catalog()
    return claims.tpf_claim(cat), claims.throughput_claim(cat)
