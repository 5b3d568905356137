"""Can a curve be checked against the user's targets and lengths? Per curve (profile): whether its source reports
TTFT, whether its lengths reflect the user's, and so whether it is ranked; the notices that say what could not be
checked; and estimated counterparts at the user's lengths for the data curves that cannot be ranked.

Used by the Scenario, Capacity and Export pages and the `plan` command alike (one definition of "ranked").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.answers.estimate_errors import ROW_STATISTIC, row_error
from calculator.data.catalog import Catalog, concat_points, normalise_points
from calculator.model import frontier
from calculator.model.estimator import estimate_points

EST_CONCURRENCY: tuple[int, ...] = frontier.ESTIMATE_GRID  # every concurrency an estimate is shown at, computed there
BLOCK_MODES = ("diffusion", "self_spec")


@dataclass(frozen=True)
class Targets:
    """Latency targets and how to treat curves that cannot be checked against the user's inputs.

    strict: a TTFT target on a curve whose source reports no TTFT counts as failed (else: passed, flagged).
    est_len: a data curve whose lengths differ from the user's (frontier.length_check) or are not stated is not
    ranked; estimates at the user's lengths are added and ranked instead (else: ranked, flagged).
    """

    max_ttft_ms: float | None
    min_tok_s_user: float | None
    strict: bool = True
    est_len: bool = True

    def slo(self) -> frontier.Slo:
        return frontier.Slo(max_ttft_ms=self.max_ttft_ms, min_tok_s_user=self.min_tok_s_user)


@dataclass(frozen=True)
class Notice:
    """Something a page must say next to its answer (Markdown text, a Material icon name)."""

    text: str
    icon: str


def eligible_for_cheapest(table: pd.DataFrame, *, allow_weight_only: bool = False) -> pd.Series:
    """Rows that may be called the cheapest option: not a weight-only estimate (fp8/fp4 on a GPU without those tensor
    cores, column weight_only) unless the user allows it."""
    if allow_weight_only or "weight_only" not in table:
        return pd.Series(True, index=table.index)
    return ~table["weight_only"].astype("boolean").fillna(False).astype(bool)


CHECK_COLUMNS = [
    "profile_id",
    "provenance",
    "ttft_known",
    "ttft_unchecked",
    "lengths_status",
    "lengths_note",
    "lengths_differ",
    "lengths_unknown",
    "lengths_unchecked",
    "ranked",
    "check_note",
]


def curve_checks(points: pd.DataFrame, *, isl: int, osl: int, targets: Targets) -> pd.DataFrame:
    """Per curve (profile): does its source report TTFT, do its lengths reflect the user's, and is it ranked
    (a curve that cannot be checked is not ranked when the matching toggle is on)? Columns: CHECK_COLUMNS."""
    if points.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    lc = frontier.length_check(points, isl, osl)
    pid = points["profile_id"]
    ttft_known = points["ttft_ms_p50"].notna().groupby(pid).any() if "ttft_ms_p50" in points else None
    prov = points.groupby("profile_id", sort=False)["provenance"].first()
    out = lc.assign(
        provenance=lc["profile_id"].map(prov).to_numpy(),
        ttft_known=(lc["profile_id"].map(ttft_known).fillna(False) if ttft_known is not None else False),
    )
    out["ttft_known"] = out["ttft_known"].astype(bool)
    est = out["provenance"] == "estimated"
    out["ttft_unchecked"] = bool(targets.max_ttft_ms) & ~out["ttft_known"]
    out["lengths_differ"] = ~est & (out["lengths_status"] == "differ")
    # A data curve whose source states no lengths (and is no SPEED-Bench run) cannot be checked against the user's:
    # with *Prefer estimates at your lengths* on it is not ranked either, so a chat-length figure never answers a
    # 32K-prompt question.
    out["lengths_unknown"] = ~est & (out["lengths_status"] == "unknown")
    out["lengths_unchecked"] = out["lengths_differ"] | out["lengths_unknown"]
    out["ranked"] = ~(targets.strict & out["ttft_unchecked"]) & ~(targets.est_len & out["lengths_unchecked"])
    ttft_txt = np.where(
        out["ttft_unchecked"],
        np.where(targets.strict, "no TTFT: counted as failed", "no TTFT: target not checked"),
        "",
    )
    verdict = "not ranked (" if targets.est_len else "ranked anyway ("
    len_txt = np.select(
        [out["lengths_differ"], out["lengths_unknown"]],
        [
            "lengths differ: " + verdict + out["lengths_note"].astype(str) + ")",
            "lengths not stated: " + verdict + out["lengths_note"].astype(str) + ")",
        ],
        default="",
    )
    out["check_note"] = [
        "; ".join(t for t in (a, b) if t) or ("estimated at your lengths" if e else "checked")
        for a, b, e in zip(ttft_txt, len_txt, est, strict=True)
    ]
    return out[CHECK_COLUMNS].reset_index(drop=True)


def check_notices(
    checks: pd.DataFrame, targets: Targets, isl: int, osl: int, names: Mapping[str, str]
) -> tuple[list[Notice], pd.DataFrame]:
    """What cannot be checked, to be said prominently: a TTFT target on data curves whose sources report no TTFT,
    data curves reported at lengths far from the user's, and data curves that state no lengths. `names` maps
    profile_id to a display name. Returns the notices and the curve checks of the curves whose lengths differ from the
    user's or are not stated (lengths_unchecked)."""

    def listed(ids: list[str], limit: int = 4) -> str:
        shown = [str(names.get(i, i)) for i in ids[:limit]]
        return ", ".join(shown) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")

    notices: list[Notice] = []
    no_ttft = checks.loc[checks["ttft_unchecked"] & (checks["provenance"] != "estimated"), "profile_id"].tolist()
    if targets.max_ttft_ms and no_ttft:
        notices.append(
            Notice(
                f"**TTFT target cannot be checked for {len(no_ttft)} data curve(s)**: their sources report no time "
                f"to first token ({listed(no_ttft)}). "
                + (
                    "They count as **failing** the target (*Treat unchecked targets as failed* is on); estimated "
                    "curves, which have a TTFT, stand in for them."
                    if targets.strict
                    else "They are ranked **as if they met it, unchecked** (*Treat unchecked targets as failed* is "
                    "off)."
                ),
                ":material/timer_off:",
            )
        )
    differ = checks[checks["lengths_unchecked"]]
    unknown = checks[checks["lengths_unknown"]]
    if not unknown.empty:
        notices.append(
            Notice(
                f"**{len(unknown)} data curve(s) do not state the input/output lengths they were run at** "
                f"({listed(unknown['profile_id'].tolist())}); whether they reflect your ISL {isl:,} / OSL {osl:,} "
                "cannot be checked. "
                + (
                    "Estimated curves at your lengths (dotted) are ranked instead; the data curves stay for reference."
                    if targets.est_len
                    else "They are ranked as if run at your lengths, unchecked (*Prefer estimates at your lengths* "
                    "is off)."
                ),
                ":material/straighten:",
            )
        )
    differ_only = checks[checks["lengths_differ"]]
    if not differ_only.empty:
        where = "; ".join(
            dict.fromkeys(str(n).split(";")[0].removeprefix("reported at ") for n in differ_only["lengths_note"])
        )
        notices.append(
            Notice(
                f"**Throughput of {len(differ_only)} data curve(s) was reported at other lengths ({where}); your "
                f"ISL {isl:,} / OSL {osl:,} is not reflected in them.** "
                + (
                    "Estimated curves at your lengths (dotted) are added and ranked instead; the data curves stay "
                    "for reference."
                    if targets.est_len
                    else "They are ranked anyway: see the estimated curves, or turn on *Prefer estimates at your "
                    "lengths*."
                ),
                ":material/straighten:",
            )
        )
    return notices, differ


def estimate_configs(
    catalog: Catalog,
    configs: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    ctx: int | None = None,
    workload: str | None = None,
    concurrency: Sequence[int] = EST_CONCURRENCY,
) -> tuple[pd.DataFrame, list[str]]:
    """Estimated curves for each configuration row (gpu, model, mode, precision, block_size; precision None =
    the estimator's default) at the given lengths, and one line per configuration the estimator declined."""
    if configs.empty:
        return normalise_points(pd.DataFrame()), []
    cfg = configs[["gpu", "model", "mode", "precision", "block_size"]].copy()
    block = pd.to_numeric(cfg["block_size"], errors="coerce")
    cfg["_block"] = block.where(cfg["mode"].isin(BLOCK_MODES)).fillna(-1).astype("int64")
    cfg["_prec"] = cfg["precision"].astype(object).where(cfg["precision"].notna(), "")
    frames: list[pd.DataFrame] = []
    problems: list[str] = []
    for (model, mode, prec, blk), g in cfg.groupby(["model", "mode", "_prec", "_block"], sort=True):
        b = None if int(str(blk)) < 0 else int(str(blk))
        try:
            df = estimate_points(
                catalog,
                sorted(set(g["gpu"])),
                str(model),
                str(mode),
                concurrency=[int(c) for c in concurrency],
                isl=int(isl),
                osl=int(osl),
                context_tokens=None if ctx is None else int(ctx),
                workload=workload,
                block_size=b,
                precision=str(prec) or "bf16",  # the estimator's default where a row gives none
            )
        except (ValueError, LookupError) as e:
            problems.append(declined_text(catalog, str(model), str(mode), str(prec), b, e))
            continue
        skipped = list(dict.fromkeys(df.attrs.get("skipped", [])))
        if skipped:
            problems.append(f"{model} {mode}: " + "; ".join(skipped[:3]) + (" …" if len(skipped) > 3 else ""))
        if not df.empty:
            frames.append(df)
    return (concat_points(frames) if frames else normalise_points(pd.DataFrame())), problems


def declined_text(catalog: Catalog, model: str, mode: str, precision: str, block: int | None, err: Exception) -> str:
    """Why the estimator declined a configuration, in a user's words (the page shows this, never the exception)."""
    from calculator.data.vocabulary import mode_label, model_label

    what = (
        f"{model_label(model)} {mode_label(mode)}"
        + (f" {precision}" if precision else "")
        + (f" block {block}" if block else "")
    )
    text = str(err)
    if text.startswith("unknown model"):
        why = "the estimator has no architecture for this model, so only its own data is shown"
    elif "does not serve" in text:
        why = "the model has no such mode"
    elif isinstance(err, LookupError):
        why = "no tokens-per-forward figure for this workload, so no estimate can be made"
    elif text.startswith("unknown precision"):
        why = f"the estimator does not model {precision} weights"
    else:
        why = text.splitlines()[0][:160] if text else type(err).__name__
    return f"{what}: not estimated ({why})"


def with_counterparts(
    catalog: Catalog,
    points: pd.DataFrame,
    *,
    isl: int,
    osl: int,
    targets: Targets,
    ctx: int | None = None,
    workload: str | None = None,
    gpus: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The points plus, for every data curve that cannot be ranked (no TTFT under a strict TTFT target, or
    lengths far from the user's with est_len on), an estimated curve of the same configuration at the user's
    lengths (which has a TTFT). A context override (`ctx`, a cached conversation or document) counts as the input
    length the curves are checked against: data at a short prompt does not reflect a 32K context.
    Returns (points, curve_checks of the result, estimator problems)."""
    from calculator.model.modes import decode_context_tokens

    check_isl = decode_context_tokens(isl, ctx)
    checks = curve_checks(points, isl=check_isl, osl=osl, targets=targets)
    need = checks.loc[~checks["ranked"] & (checks["provenance"] != "estimated"), "profile_id"]
    problems: list[str] = []
    if need.empty:
        return points, checks, problems
    configs = points[points["profile_id"].isin(need)].drop_duplicates("profile_id")
    if gpus is not None:
        configs = configs[configs["gpu"].isin(list(gpus))]
    est, problems = estimate_configs(catalog, configs, isl=isl, osl=osl, ctx=ctx, workload=workload)
    est = est[~est["profile_id"].isin(set(points["profile_id"]))]
    if est.empty:
        return points, checks, problems
    out = concat_points([points, est])
    return out, curve_checks(out, isl=check_isl, osl=osl, targets=targets), problems


def estimate_error_text(errors: pd.DataFrame, mode: str | None = None, engine: str | None = None) -> str:
    """ "±6 % median, p90 16 % (worst 77 %; leave-one-source-out, ...)" for an estimated row of `mode` on `engine`
    (None = SGLang), from the error table (estimate_errors.estimate_errors: held-out-source per mode and engine class;
    any table with mode, median, p90 and worst absolute % error works): the mode's row, else the "all" row. The note
    says what the figure rests on, so a figure never reads as more than it is."""
    r = row_error(errors, mode, engine)
    if r is None:
        return ""
    has_p90 = "p90_abs_error_pct" in r and pd.notna(r["p90_abs_error_pct"])
    p90 = f", p90 {r['p90_abs_error_pct']:.0f} %" if has_p90 else ""
    note = str(r["note"]) if "note" in r and pd.notna(r["note"]) and str(r["note"]) else ""
    return f"±{r['median_abs_error_pct']:.0f} % median{p90} (worst {r['worst_abs_error_pct']:.0f} %" + (
        f"; {note})" if note else ")"
    )


def error_pct(errors: pd.DataFrame, mode: str | None, engine: str | None = None) -> float | None:
    """The one estimator-error figure of an estimated row, the same on every page and in the CLI: the median absolute %
    error of held-out-source predictions (estimate_errors.ROW_STATISTIC) for the row's mode on its engine class (None =
    SGLang, the engine of estimates), else over all modes; None where the table has neither. estimate_error_text
    writes the same row's figure in words."""
    r = row_error(errors, mode, engine)
    if r is None or pd.isna(r[ROW_STATISTIC]):
        return None
    return float(r[ROW_STATISTIC])


def usd_range(usd: float, pct: float | None) -> tuple[float, float]:
    """A cost's range when its throughput may be off by ±pct %: cost scales as 1 / throughput, so the range is
    cost / (1 + e) to cost / (1 - e) (no upper bound, inf, from e >= 100 %); (usd, usd) without an error figure."""
    if pct is None or not np.isfinite(pct):
        return usd, usd
    e = abs(pct) / 100.0
    return usd / (1.0 + e), (usd / (1.0 - e) if e < 1.0 else float("inf"))


def with_error_range(table: pd.DataFrame, errors: pd.DataFrame, cost_col: str) -> pd.DataFrame:
    """Add est_error_pct (error_pct of an estimated row's mode; NaN on data rows) and `cost_col`_low / _high
    (usd_range; the cost itself on data rows): the estimator's error as a $ range, one figure per row."""
    out = table.copy()
    est = (out["provenance"].astype(object) == "estimated").to_numpy() if "provenance" in out else np.zeros(len(out))
    modes = [str(m) for m in out["mode"]] if "mode" in out else ["all"] * len(out)
    by_mode = {m: error_pct(errors, m) for m in dict.fromkeys(modes)}  # estimates are for SGLang (the reference)
    pct = np.array([by_mode[m] if e and by_mode[m] is not None else np.nan for m, e in zip(modes, est, strict=True)])
    cost = pd.to_numeric(out[cost_col], errors="coerce").to_numpy(dtype="float64")
    e = np.abs(np.nan_to_num(pct, nan=0.0)) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["est_error_pct"] = pct
        out[f"{cost_col}_low"] = cost / (1.0 + e)
        out[f"{cost_col}_high"] = np.where(e < 1.0, cost / (1.0 - e), np.inf)
    return out


def lengths_warning(lengths_status: str, lengths_note: str, what: str) -> str:
    """The warning beside an answer (`what`: "answer", "plan") built on a data curve whose lengths differ from the
    user's ("differ") or are not stated ("unknown")."""
    if lengths_status == "unknown":
        return (
            f"**Your lengths may not be reflected in this {what}**: its source does not state the lengths it was run "
            f"at ({lengths_note})."
        )
    return f"**Your lengths are not reflected in this {what}**: {lengths_note}."
