"""The estimator's own error, shown to users: leave-one-out predictions (by point, profile or GPU), their
error summaries and headline figures, and the fitted parameters as tables; it only calls fit and predict.

Each held-out point is predicted by a refit that did not see it (fitting.refit, warm-started from the full fit),
the way estimates are made (predict.predict_observations: the serving calibration's engine time per cycle).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calculator.data.catalog import Catalog
from calculator.data.schema import ModelEntry
from calculator.model.estimator import cache
from calculator.model.estimator.fitting import catalog_key, fitted, model_entries, refit
from calculator.model.estimator.predict import predict_observations
from calculator.model.estimator.result import Efficiency, FitResult
from calculator.model.modes import MODEL_MODES

LOO_COLUMNS = [
    "gpu",
    "family",
    "model",
    "mode",
    "precision",
    "block_size",
    "concurrency",
    "engine",
    "metric",
    "provenance",
    "actual_tok_s",
    "predicted_tok_s",
    "error_pct",
    "in_fit",
    "point",
    "note",
]
"""metric: what the point measured (output_tok_s; ttft_ms, shown as prefill tok/s = ISL / TTFT, mode "prefill";
forward_ms, shown as batch x q / time); engine: the point's engine class, which its prediction uses."""
SUMMARY_COLUMNS = ["gpu", "mode", "points", "median_abs_error_pct", "p90_abs_error_pct", "worst_abs_error_pct"]
_LOO_CACHE: dict[tuple[str, str], pd.DataFrame] = {}
GROUPING_WORDS: dict[str, str] = {
    "point": "a point of a GPU we have data for",
    "profile": "a configuration (whole profile) we have no data for, on a GPU we have data for",
    "gpu": "a GPU we have no data for",
    "source": "a harness or publication we have never seen (every point of its source held out at once)",
    "harness": "a harness we have never seen (every source from its repository or site held out at once)",
    "generation": "an engine generation we have never seen (every point of its engine class held out at once)",
    "split": "the held-out test split (a fifth of the sources, fitted on the other four fifths only)",
}
GROUPINGS = tuple(GROUPING_WORDS)
TEST_SPLIT_FRACTION = 5
"""A source is in the test split when the first byte of sha256(its provenance source text) % 5 == 0: a fixed, content
-derived fifth of the harnesses and publications that no model choice looked at (issue 19); `--validate` reports it."""
HEADLINE_COLUMNS = [
    "grouping",
    "predicting",
    "modes",
    "points",
    "median_abs_error_pct",
    "p90_abs_error_pct",
    "worst_abs_error_pct",
    "worst_point",
]


MULTI_TOKEN_SCOPE = "multi-token modes"
"""The fallback scope of a mode other than AR without held-out serving data of its own (diffusion, MTP): the points of
every mode that emits several tokens per cycle (self-speculation, EAGLE-3, MTP). Their error includes what AR points
never test, the tokens per cycle (acceptance) and the engine time per cycle, so AR's smaller figure would understate a
diffusion estimate's error."""


def leave_one_out(
    catalog: Catalog, *, group: str = "point", models: Mapping[str, ModelEntry] | None = None
) -> pd.DataFrame:
    """Predict every point we hold with the estimator refitted without it (group="point"), without its
    whole profile ("profile"), without every point of its GPU ("gpu": how well it does on a GPU it has
    never seen), without every point of its data source ("source": a harness or publication held out at once, the
    figure an estimate's error is quoted from), without every point of its engine generation ("generation": an
    engine class never seen, predicted from a sibling generation or the prior, engines.carried_offsets), or only
    the test split's points from one fit without the whole split ("split": test_split_sources). Points not used in
    the fit (TPF or lengths assumed, custom kernels) are predicted with the full fit.
    Predictions are made as estimates are: a speculative/diffusion point's engine time per cycle is the
    serving calibration's of that refit (ModeCalibration), not its own data source's; its TPF and engine are its own.

    Columns: LOO_COLUMNS; error_pct = (predicted - actual) / actual x 100, on rates (tok/s) for every metric.
    Cached by the catalog's content (in memory and on disk).
    """
    if group not in GROUPINGS:
        raise ValueError(f"group must be one of {', '.join(GROUPINGS)}, got {group!r}")
    key = catalog_key(catalog, model_entries(models))
    hit = _LOO_CACHE.get((key, group))
    if hit is None:
        stored = cache.load(key, f"loo-{group}")
        hit = _from_json(stored) if isinstance(stored, dict) else None
        if hit is None:
            hit = _leave_one_out(catalog, group, models)
            cache.save(key, f"loo-{group}", _to_json(hit))
        if len(_LOO_CACHE) > 32:
            _LOO_CACHE.clear()
        _LOO_CACHE[(key, group)] = hit
    return hit.copy()


def _to_json(df: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = df.astype(object).where(df.notna(), None).to_dict(orient="split")
    return out


def _from_json(doc: Mapping[str, Any]) -> pd.DataFrame | None:
    try:
        df = pd.DataFrame(doc["data"], columns=doc["columns"])
    except (KeyError, TypeError, ValueError):
        return None
    if list(df.columns) != LOO_COLUMNS:
        return None
    for col in ("actual_tok_s", "predicted_tok_s", "error_pct"):
        df[col] = pd.to_numeric(df[col]).astype(np.float64)
    df["block_size"] = pd.to_numeric(df["block_size"]).astype("Int64")
    df["concurrency"] = pd.to_numeric(df["concurrency"]).astype(np.int64)
    df["in_fit"] = df["in_fit"].astype(bool)
    for col in ("gpu", "family", "model", "mode", "precision", "engine", "metric", "provenance", "point", "note"):
        df[col] = df[col].astype(str)
    return df


def _leave_one_out(catalog: Catalog, group: str, models: Mapping[str, ModelEntry] | None) -> pd.DataFrame:
    _, full = fitted(catalog, models)
    obs = full.obs
    meta = obs.meta
    if meta.empty:
        return pd.DataFrame(columns=LOO_COLUMNS)
    columns = {"point": "label", "profile": "group", "gpu": "gpu", "source": "source_text"}
    column = columns.get(group, "engine_class" if group == "generation" else "source_text")
    keys = meta[column]
    predicted = predict_observations(full).copy()
    if group == "harness":
        keys = keys.map(harness_of)
    if group == "split":
        test = keys.isin(test_split_sources(list(pd.unique(keys)))).to_numpy()
        keys = pd.Series(np.where(test, "test", ""), index=meta.index)
    for key in pd.unique(keys):
        if group == "split" and key != "test":
            continue
        drop = (keys == key).to_numpy()
        if not np.any(drop & obs.in_fit):
            continue
        predicted[drop] = predict_observations(refit(full, drop))[drop]
    to_tok_s = np.where(obs.rate, 1.0, obs.batch * obs.tokens_per_cycle)
    actual = np.where(obs.rate, obs.actual, to_tok_s / obs.actual)
    pred = np.where(obs.rate, predicted, to_tok_s / predicted)
    out = pd.DataFrame(
        {
            "gpu": meta["gpu"],
            "family": meta["family"],
            "model": meta["model"],
            "mode": meta["mode"],
            "precision": meta["precision"],
            "block_size": pd.to_numeric(meta["block_size"]).astype("Int64"),
            "concurrency": meta["concurrency"].astype(np.int64),
            "engine": meta["engine_class"],
            "metric": meta["metric"],
            "provenance": meta["provenance"],
            "actual_tok_s": actual,
            "predicted_tok_s": pred,
            "error_pct": (pred - actual) / actual * 100.0,
            "in_fit": obs.in_fit,
            "point": meta["label"],
            "note": meta["note"],
        }
    )
    if group == "split":
        out = out[(keys == "test").to_numpy()]
    return out[LOO_COLUMNS].reset_index(drop=True)


def harness_of(source: str) -> str:
    """The harness or publisher of a provenance source: its GitHub repository, else its site, else the text before
    any parenthesis (AccelMark's result files, one per submitter and GPU, are one harness)."""
    m = re.search(r"github\.com/([^/\s]+/[^/\s]+)", source)
    if m:
        return f"github:{m.group(1).casefold()}"
    m = re.search(r"https?://([^/\s]+)", source)
    if m and not source.lower().startswith("arxiv"):
        return m.group(1).casefold()
    return source.split(" (")[0]


def test_split_sources(sources: Sequence[str]) -> list[str]:
    """The sources in the held-out test split (TEST_SPLIT_FRACTION): fixed by their text, not chosen."""
    return [s for s in sources if hashlib.sha256(s.encode()).digest()[0] % TEST_SPLIT_FRACTION == 0]


HELD_OUT_MIN_POINTS = 8
"""Fewest fitted points a mode x engine class needs for its own held-out-source figure; else its mode's, else all."""


@dataclass(frozen=True)
class HeldOutError:
    """The error to quote beside an estimate: absolute % error of leave-one-source-out predictions (a whole harness or
    publication held out at once) of fitted throughput points, for `scope` (e.g. "ar on vllm", "ar", "all modes")."""

    median_pct: float
    p90_pct: float
    worst_pct: float
    points: int
    sources: int
    scope: str
    grouping: str = "source"

    def band(self, value: float, *, which: str = "p90") -> tuple[float, float]:
        """value x (1 -/+ the median or p90 error): the range to show beside an estimated figure (e.g. $/Mtok)."""
        e = (self.median_pct if which == "median" else self.p90_pct) / 100.0
        return value * max(1.0 - e, 0.0), value * (1.0 + e)

    def text(self) -> str:
        return (
            f"±{self.median_pct:.0f} % median, p90 {self.p90_pct:.0f} %, worst {self.worst_pct:.0f} %"
            f" (leave-one-{self.grouping}-out, {self.scope}: {self.points} points from {self.sources} sources)"
        )


def held_out_error(
    catalog: Catalog,
    mode: str,
    engine: str | None = None,
    *,
    models: Mapping[str, ModelEntry] | None = None,
) -> HeldOutError:
    """The error figure of an estimated row of `mode` on `engine` (an engine class, engines.ENGINE_CLASSES: the engine
    generation, e.g. vLLM V0 "vllm-v0" vs V1 "vllm"; None = the reference engine, SGLang): median, p90 and worst
    |error| of the leave-one-source-out predictions of fitted serving throughput points of that mode and engine class,
    falling back to the mode over all engines, then (a mode other than AR) to every multi-token mode's points
    (MULTI_TOKEN_SCOPE), then to every mode, where fewer than HELD_OUT_MIN_POINTS exist. An engine
    class with no point at all (a generation never measured, e.g. "trt-llm-pytorch") quotes leave-one-generation-out
    over the mode's points instead (scope "<mode> on an unseen generation", grouping "generation")."""
    from calculator.model.estimator.engines import REFERENCE_ENGINE

    loo = leave_one_out(catalog, group="source", models=models)
    loo = loo[loo["in_fit"] & (loo["metric"] == "output_tok_s")]
    eng = engine or REFERENCE_ENGINE
    sources = {p: s for p, s in zip(*_point_sources(catalog, models), strict=True)}
    unseen = not (loo["engine"] == eng).any()
    if unseen and (loo["mode"] == mode).sum() >= HELD_OUT_MIN_POINTS:
        # No point of this engine generation at all: the error of predicting a generation never seen (each generation
        # held out at once, predicted from a sibling generation or the prior), over every engine's points of the mode.
        by_gen = leave_one_out(catalog, group="generation", models=models)
        by_gen = by_gen[by_gen["in_fit"] & (by_gen["metric"] == "output_tok_s") & (by_gen["mode"] == mode)]
        loo = by_gen if len(by_gen) >= HELD_OUT_MIN_POINTS else loo
        unseen = len(by_gen) >= HELD_OUT_MIN_POINTS
    multi_token = mode in MODEL_MODES and mode != "ar"
    for scope, sel in (
        (f"{mode} on {eng}", (loo["mode"] == mode) & (loo["engine"] == eng)),
        (f"{mode} on an unseen generation", (loo["mode"] == mode) if unseen else pd.Series(False, index=loo.index)),
        (mode, loo["mode"] == mode),
        (MULTI_TOKEN_SCOPE, (loo["mode"] != "ar") if multi_token else pd.Series(False, index=loo.index)),
        ("all modes", pd.Series(True, index=loo.index)),
    ):
        rows = loo[sel]
        if len(rows) >= HELD_OUT_MIN_POINTS or scope == "all modes":
            err = rows["error_pct"].abs().to_numpy()
            if not len(err):
                return HeldOutError(math.nan, math.nan, math.nan, 0, 0, scope)
            return HeldOutError(
                float(np.median(err)), float(np.percentile(err, 90)), float(err.max()), len(err),
                len({sources.get(p, p) for p in rows["point"]}), scope,
                "generation" if scope.endswith("unseen generation") else "source",
            )  # fmt: skip
    raise AssertionError("unreachable")


def _point_sources(catalog: Catalog, models: Mapping[str, ModelEntry] | None) -> tuple[list[str], list[str]]:
    _, state = fitted(catalog, models)
    return list(state.obs.meta["label"]), list(state.obs.meta["source_text"])


def held_out_errors(catalog: Catalog, *, models: Mapping[str, ModelEntry] | None = None) -> pd.DataFrame:
    """held_out_error for every mode x engine class with fitted serving points, as a table (mode, engine, scope,
    points, sources, median/p90/worst abs error %)."""
    loo = leave_one_out(catalog, group="source", models=models)
    loo = loo[loo["in_fit"] & (loo["metric"] == "output_tok_s")]
    rows = []
    for (mode, engine), _ in loo.groupby(["mode", "engine"], sort=True):
        e = held_out_error(catalog, str(mode), str(engine), models=models)
        rows.append(
            {"mode": mode, "engine": engine, "scope": e.scope, "points": e.points, "sources": e.sources,
             "median_abs_error_pct": e.median_pct, "p90_abs_error_pct": e.p90_pct, "worst_abs_error_pct": e.worst_pct}
        )  # fmt: skip
    return pd.DataFrame(rows)


def error_summary(loo_df: pd.DataFrame) -> pd.DataFrame:
    """Median, 90th-percentile and worst absolute % error per GPU and mode, per mode over all GPUs, and overall
    (SUMMARY_COLUMNS)."""
    if loo_df.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    df = loo_df.assign(abs_error_pct=loo_df["error_pct"].abs())

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        g = frame.groupby(keys, sort=True)["abs_error_pct"]
        return g.agg(
            points="size",
            median_abs_error_pct="median",
            p90_abs_error_pct=lambda x: float(np.percentile(x, 90)),
            worst_abs_error_pct="max",
        ).reset_index()

    per = summarise(df, ["gpu", "mode"])
    by_mode = summarise(df, ["mode"]).assign(gpu="all")
    overall = summarise(df.assign(gpu="all", mode="all"), ["gpu", "mode"])
    return pd.concat([per, by_mode, overall], ignore_index=True)[SUMMARY_COLUMNS]


def headline_errors(
    catalog: Catalog,
    *,
    groupings: Sequence[str] = ("point", "gpu", "source", "split"),
    models: Mapping[str, ModelEntry] | None = None,
) -> pd.DataFrame:
    """The estimator's error as users should read it: median and worst absolute % error of leave-one-out
    predictions, per grouping ("point": a point of a GPU we have data for; "gpu": a GPU we have no data for,
    the figure that applies to an estimate on such a GPU), over all modes and for AR and self_spec separately.

    Columns: HEADLINE_COLUMNS (grouping, predicting in words, modes, points, median/worst abs error %, and
    the worst point's label). Predictions are made as estimates are (calibration engine time per cycle).
    """
    return summarise_headline({g: leave_one_out(catalog, group=g, models=models) for g in groupings})


def summarise_headline(loos: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """headline_errors from leave_one_out tables already computed, by grouping (point, profile, gpu)."""
    rows: list[dict[str, Any]] = []
    for grouping, loo in loos.items():
        for modes in ("all", "ar", "self_spec"):
            sel = loo if modes == "all" else loo[loo["mode"] == modes]
            err = sel["error_pct"].abs()
            rows.append(
                {
                    "grouping": grouping,
                    "predicting": GROUPING_WORDS[grouping],
                    "modes": modes,
                    "points": len(sel),
                    "median_abs_error_pct": float(err.median()) if len(sel) else math.nan,
                    "p90_abs_error_pct": float(np.percentile(err, 90)) if len(sel) else math.nan,
                    "worst_abs_error_pct": float(err.max()) if len(sel) else math.nan,
                    "worst_point": str(sel["point"].to_numpy()[int(np.argmax(err.to_numpy()))]) if len(sel) else "",
                }
            )
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


def fit_table(result: FitResult) -> pd.DataFrame:
    """The fitted parameters as a table (level, name, η_bw, η_fl, overhead_ms, per-sequence µs, points) for docs and
    the app: the defaults, the pooled set and each family for the reference engine, each engine class on the pooled
    set."""
    ref = result.reference_engine
    rows = [{"level": "defaults", "name": "documented defaults", **_eff_dict(result.defaults), "points": 0}]
    rows.append({"level": "pooled", "name": f"all data ({ref})", **_eff_dict(result.pooled), "points": result.n_points})
    rows += [
        {"level": "family", "name": f"{f} ({ref})", **_eff_dict(e), "points": result.points_by_family.get(f, 0)}
        for f, e in sorted(result.families.items())
    ]
    rows += [
        {"level": "engine", "name": e, **_eff_dict(eff), "points": result.points_by_engine.get(e, 0)}
        for e, eff in sorted(result.engines.items())
    ]
    return pd.DataFrame(rows)


def _eff_dict(e: Efficiency) -> dict[str, float]:
    return {
        "eta_bw": e.eta_bw,
        "eta_fl": e.eta_fl,
        "overhead_ms": e.overhead_ms,
        "overhead_per_seq_us": e.overhead_per_seq_us,
    }


def describe_fit(result: FitResult) -> str:
    """One paragraph: the shared fitted terms (fp8 gain, draft step cost, per-mode cycle overhead)."""
    modes = ", ".join(f"{m} {v:.2f} ms" for m, v in result.mode_overhead_ms.items())
    ttft = ", ".join(f"{e} {v:.1f} ms" for e, v in sorted(result.ttft_overhead_ms.items()))
    factors = ", ".join(f"{s.split(' (http')[0][:60]} x{v:.2f}" for s, v in result.forward_overhead_factor.items())
    return (
        f"fp8 compute gain {result.fp8_gain:.2f}x bf16; draft step = {result.draft_fraction['draft_eagle3']:.2f}"
        f" (EAGLE-3) / {result.draft_fraction['draft_mtp']:.2f} (MTP) of a target forward;"
        f" extra per-cycle overhead: {modes}; TTFT request overhead: {ttft or 'none fitted'};"
        f" bare-forward overhead factor: {factors or 'none fitted'};"
        f" {result.n_points} points fitted, {len(result.excluded)} excluded"
    )
