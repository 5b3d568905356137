"""One error figure per estimated row, the same on every page and in the CLI: the held-out-source median of its mode
on SGLang (estimate_errors), on Compare, Scenario (and so Export), Capacity, the decision, Hardware and in the CLI's
`table`, `plan` and `estimate`, with the same $ range where a cost is shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculator.answers import compare as compare_answers
from calculator.answers import decision as decision_answers
from calculator.answers.checks import Targets, error_pct
from calculator.answers.compare import CompareQuery, compare_view, estimate_pool
from calculator.answers.estimate_errors import estimate_errors
from calculator.answers.gpu_compare import trust_texts
from calculator.answers.planning import PlanRequest, plan_capacity
from calculator.answers.scenario import ScenarioInputs, build_scenario
from calculator.data.catalog import load_catalog
from calculator.model.capacity import Demand
from calculator.model.cost import CostSettings
from calculator.model.estimator import held_out_error

ROOT = Path(__file__).resolve().parents[2]
GPU, MODEL, CONC = "h100-sxm", "qwen3-8b", 16  # no Qwen3-8B AR bf16 data on an H100: an estimated row


def cli(*args: str) -> list[dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "calculator", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    return json.loads(out[min(i for i in (out.find("["), out.find("{")) if i >= 0) :])  # `plan` prints its basis first


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def errors(catalog):
    return estimate_errors(catalog)


def est_row(df):
    sel = df[(df["gpu"] == GPU) & (df["model"] == MODEL) & (df["mode"] == "ar") & (df["precision"] == "bf16")]
    sel = sel[(sel["provenance"] == "estimated") & (sel["concurrency"] == CONC)]
    assert not sel.empty
    return sel


def test_the_figure_is_the_held_out_source_one(catalog, errors):
    ar = held_out_error(catalog, "ar", "sglang")
    assert error_pct(errors, "ar") == pytest.approx(ar.median_pct) and ar.scope == "ar on sglang"


def test_every_page_and_the_cli_give_an_estimated_row_the_same_error_and_range(catalog, errors):
    expected = error_pct(errors, "ar")
    assert expected is not None
    pool, _ = estimate_pool(catalog, catalog.points, catalog.prices, isl=1024, osl=1024)
    view = compare_view(
        pool, catalog.prices, CompareQuery(concurrency=str(CONC), gpus=(GPU,), models=(MODEL,)), CostSettings(),
        compare_answers.error_texts(errors), errors,
    )  # fmt: skip
    compare = est_row(view.table)
    scenario = est_row(
        build_scenario(
            catalog, catalog.points, catalog.prices, ScenarioInputs(gpu=GPU), price_ratio=4.0, errors=errors
        ).priced
    )
    demand = Demand.per_day(1e9, isl=1024, osl=1024)
    plan = plan_capacity(
        catalog, catalog.points, catalog.prices, PlanRequest(demand=demand, targets=Targets(None, None), gpus=(GPU,)),
        compare_answers.error_texts(errors), errors,
    )  # fmt: skip
    capacity = plan.plans[(plan.plans["provenance"] == "estimated") & (plan.plans["mode"] == "ar")]
    table = cli("table", "--gpu", GPU, "--model", MODEL, "--mode", "ar", "--concurrency", str(CONC),
                "--precision", "bf16", "--format", "json")  # fmt: skip
    estimate = cli("estimate", "--gpu", GPU, "--model", MODEL, "--mode", "ar", "--concurrency", str(CONC),
                   "--format", "json")  # fmt: skip
    plan_cli = cli("plan", "--gpu", GPU, "--model", MODEL, "--output-tokens-per-day", "1e9", "--format", "json")
    figures = {
        "compare": set(compare["est_error_pct"].round(9)),
        "scenario": set(scenario["est_error_pct"].round(9)),
        "capacity": set(capacity["est_error_pct"].round(9)) if not capacity.empty else {round(expected, 9)},
        "table": {round(float(r["est_error_pct"]), 9) for r in table if r["provenance"] == "estimated"},
        "estimate": {round(float(r["est_error_pct"]), 9) for r in estimate},
        "decision": {round(compare_answers.error_pcts(errors)["ar"], 9)},
    }
    est_plans = [r for r in _plan_rows(plan_cli) if r.get("provenance") == "estimated" and r.get("mode") == "ar"]
    if est_plans:
        figures["plan"] = {round(float(r["est_error_pct"]), 9) for r in est_plans}
    assert all(v == {round(expected, 9)} for v in figures.values()), figures
    # The same $ range for the same offer on Compare, Scenario and in the CLI table.
    offer = scenario.iloc[0]
    key = (offer["provider"], offer["instance"])
    c = compare[(compare["provider"] == key[0]) & (compare["instance"] == key[1])]
    t = [r for r in table if (r["provider"], r["instance"]) == key and r["provenance"] == "estimated"]
    for lo in ("usd_per_mtok_output_low", "usd_per_mtok_output_high"):
        assert float(t[0][lo]) == pytest.approx(float(offer[lo]), rel=1e-9)
        if not c.empty:
            assert float(c[lo].iloc[0]) == pytest.approx(float(offer[lo]), rel=1e-9)
    # The Hardware page's trust text reads the mode's figure the same way.
    assert f"{expected:.0f} % median" in " ".join(trust_texts(
        __import__("pandas").DataFrame(), _headline(), errors
    ))  # fmt: skip


def _plan_rows(doc):
    if isinstance(doc, list):
        return doc
    return [r for v in doc.values() if isinstance(v, list) for r in v if isinstance(r, dict)]


def _headline():
    import pandas as pd

    return pd.DataFrame(
        {"grouping": ["gpu"], "modes": ["all"], "median_abs_error_pct": [10.0], "worst_abs_error_pct": [90.0],
         "points": [100]}
    )  # fmt: skip


def test_the_decision_uses_the_same_per_mode_figures(catalog, errors):
    pcts = compare_answers.error_pcts(errors)
    assert pcts["ar"] == pytest.approx(error_pct(errors, "ar"))
    assert pcts["self_spec"] == pytest.approx(error_pct(errors, "self_spec"))
    d = decision_answers.decide(catalog, catalog.points, catalog.prices, decision_answers.DecisionInputs(), pcts)
    sides = [s for g in d.gpus for s in (g.nld, g.baseline) if s is not None and s.provenance == "estimated"]
    for s in sides:
        assert s.error_pct == pytest.approx(pcts.get(s.mode, pcts["all"]))
