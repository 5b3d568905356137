"""Inputs and table columns several pages share: the sidebar (utilisation, cost denominator), the latency targets
and input/output lengths (bound to the URL), provenance badges and number columns, and notices from the core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.cached import derived
from app_pages.state import gpu_names, uploads, url_value_notice
from calculator.answers.checks import Notice, Targets
from calculator.answers.scenario import DEFAULT_BASELINE, default_models
from calculator.data.price_catalogs import price_age
from calculator.data.schema import PROVENANCE_KINDS
from calculator.data.vocabulary import PRERELEASE_LABEL, PROVENANCE_LABELS
from calculator.model import frontier
from calculator.model.cost import DENOMINATOR_HELP, DENOMINATORS
from calculator.present import labels as lb
from calculator.present.labels import PRERELEASE_COLOR, PROVENANCE_COLORS

STRICT_LABEL = "Treat unchecked targets as failed"
EST_LEN_LABEL = "Prefer estimates at your lengths"


def sidebar() -> None:
    """Settings every page uses: utilisation and the cost denominator; a note on what was uploaded."""
    with st.sidebar:
        st.slider(
            "Utilisation (%)",
            min_value=5,
            max_value=100,
            value=100,
            step=5,
            key="util",
            bind="query-params",
            help="Share of the measured throughput you sustain on average (idle time, headroom). "
            "$/M = $/GPU-h / (tok/s per GPU x utilisation x 3600) x 1e6. In capacity plans: how hard a "
            "replica is loaded at peak.",
        )
        st.selectbox(
            "Cost denominator",
            options=list(DENOMINATORS),
            key="denom",
            bind="query-params",
            help=" ".join(DENOMINATOR_HELP.values()),
        )
        n_up = len(uploads())
        if n_up:
            st.caption(f":material/upload_file: {n_up} uploaded file(s) in this session (Measurements page).")
        edited = st.session_state.get("offers_edited") is not None
        extras = len(st.session_state.get("quotes", [])) + len(st.session_state.get("owned", []))
        if edited or extras:
            st.caption(":material/sell: Prices edited for this session (Prices page).")
        st.caption(
            "Provenance: **vendor** figures are NVIDIA's own and unconfirmed; **vendor internal** is NVIDIA authors' "
            "own sweep (its Nemotron rows on a pre-release checkpoint, badged); **estimated** rows come from a model, "
            "not a measurement; **measured here** means this tool's own runs."
        )


SESSION_ONLY = (
    "{what} live in this browser session only: a reload or a new tab drops them, and a shared link does not carry "
    "them (its recipient sees the bundled {kind})."
)


def session_only_notice(what: str, kind: str) -> None:
    """Say that session data (uploads, edited prices, quotes) is lost on reload and not in shared links."""
    st.info(SESSION_ONLY.format(what=what, kind=kind), icon=":material/history:")


def target_inputs(ttft_default: int = 0, tps_default: int = 50) -> Targets:
    """Latency targets (shared by Scenario and Capacity; bound to the URL as ttft and tps; 0 = no target) and
    the two checking toggles (strict, est_len). The defaults are the page's (Capacity starts at the Decision's)."""
    c1, c2, c3 = st.columns([1, 1, 1.6])
    ttft = c1.number_input(
        "Max time to first token (ms)",
        min_value=0,
        max_value=600_000,
        value=ttft_default,
        step=100,
        key="ttft",
        bind="query-params",
        help="p50 TTFT target; 0 = no target. Most published sources report no TTFT: such curves cannot be "
        "checked (see the toggle beside).",
    )
    tps = c2.number_input(
        "Min tokens/s per user",
        min_value=0,
        max_value=100_000,
        value=tps_default,
        step=10,
        key="tps",
        bind="query-params",
        help="Interactivity target: 1000 / TPOT where reported, else output tok/s / concurrency. 0 = no target.",
    )
    with c3:
        strict = st.toggle(
            STRICT_LABEL,
            value=True,
            key="strict",
            bind="query-params",
            help="On (the safe choice): a curve whose source reports no TTFT fails a TTFT target, so the "
            "recommendation only counts curves that were checked, or estimates (which have a TTFT). Off: such "
            "curves pass unchecked, with a warning.",
        )
        est_len = st.toggle(
            EST_LEN_LABEL,
            value=True,
            key="est_len",
            bind="query-params",
            help=f"On: a data curve reported at input/output lengths more than {frontier.LENGTH_TOLERANCE:g}x from "
            "yours is shown but not ranked; estimated curves at your lengths are added and ranked instead. Off: "
            "such curves are ranked, with a warning.",
        )
    return Targets(
        max_ttft_ms=float(ttft) if ttft else None,
        min_tok_s_user=float(tps) if tps else None,
        strict=bool(strict),
        est_len=bool(est_len),
    )


def length_inputs() -> tuple[int, int]:
    """ISL / OSL (shared by Scenario and Capacity)."""
    c1, c2 = st.columns(2)
    isl = c1.number_input(
        "Input length (tokens)",
        min_value=1,
        max_value=1_000_000,
        value=1024,
        step=256,
        key="isl",
        bind="query-params",
        help="Estimated curves are computed at your lengths; data curves keep the lengths they were reported at "
        f"(flagged when yours differ by more than {frontier.LENGTH_TOLERANCE:g}x). Also fills profiles that state "
        "none (total-token and split denominators, API input price).",
    )
    osl = c2.number_input(
        "Output length (tokens)", min_value=1, max_value=1_000_000, value=1024, step=256, key="osl", bind="query-params"
    )
    return int(isl), int(osl)


def show_notices(notices: Iterable[Notice]) -> None:
    """Notices from the core, as warnings next to the answer."""
    for n in notices:
        st.warning(n.text, icon=n.icon)


def provenance_column(label: str = "Provenance") -> Any:
    """A coloured badge column for the provenance kind (MultiselectColumn used read-only)."""
    kinds = list(PROVENANCE_KINDS)
    return st.column_config.MultiselectColumn(
        label,
        options=[PROVENANCE_LABELS[k] for k in kinds] + [PRERELEASE_LABEL],
        color=[PROVENANCE_COLORS[k] for k in kinds] + [PRERELEASE_COLOR],
        help="Where the throughput figure comes from: measured here (this tool), uploaded by you, vendor-reported "
        "(NVIDIA), vendor internal (NVIDIA authors' own sweep), community (independent), or estimated (a model). "
        "A second badge, pre-release checkpoint, marks figures taken on a checkpoint that is not the released model.",
        disabled=True,
    )


def column_config(name: str, frame: pd.DataFrame | None = None) -> Any:
    """The st.column_config of a column from its one definition (labels.COLUMNS): a number column with its
    format, or a text column where the frame holds the numbers as text (gaps written "—"), a checkbox, a
    percentage, or the provenance badges."""
    col = lb.column(name)
    numeric = frame is None or name not in frame or pd.api.types.is_numeric_dtype(frame[name])
    if col.fmt == "badge":
        return provenance_column(col.header)
    if col.fmt == "bool":
        return st.column_config.CheckboxColumn(col.header, help=col.help)
    if col.fmt == "percent" and numeric:
        return st.column_config.NumberColumn(col.header, format="percent", help=col.help)
    if col.fmt and numeric:
        return st.column_config.NumberColumn(col.header, format=col.fmt, help=col.help)
    return st.column_config.TextColumn(col.header, help=col.help, width=col.width)  # type: ignore[arg-type]


def export_column_config(columns: Sequence[str], frame: pd.DataFrame | None = None) -> dict[str, Any]:
    """column_config for every column of an export-style table."""
    return {str(c): column_config(str(c), frame) for c in columns}


def _prepared(frame: pd.DataFrame, columns: Sequence[str], keep: Sequence[str], shared: bool) -> Any:
    """(order, the data as sent, column configs) of `table`; with `shared` (a read-only frame the caches share)
    kept per frame object while it lives, so a rerun that shows the same cached frame prepares nothing again."""
    if not shared:
        return _prepare(frame, columns, keep)
    return derived(frame, ("table", tuple(columns), tuple(keep)), lambda: _prepare(frame, columns, keep))


def _prepare(frame: pd.DataFrame, columns: Sequence[str], keep: Sequence[str]) -> Any:
    order = [c for c in columns if c in frame.columns]
    if "gpu" in order:  # users read GPU names; the id travels with the data (links, tests), not shown
        if "gpu_name" not in frame.columns:
            names = gpu_names()
            frame = frame.assign(gpu_name=frame["gpu"].map(lambda g: names.get(str(g), g)))
        order = list(dict.fromkeys("gpu_name" if c == "gpu" else c for c in order))
        keep = [*keep, "gpu"]
    sent = list(dict.fromkeys([*order, *(c for c in keep if c in frame.columns)]))
    shown = lb.dash_missing(frame[sent], lb.gap_formats(order))
    config = {c: column_config(c, shown) for c in order}
    return order, _as_arrow(shown), config


def _as_arrow(shown: pd.DataFrame) -> Any:
    """The frame as the Arrow table st.dataframe would make of it (Streamlit's own conversion, so the bytes sent are
    the same), made once per prepared table; the frame itself where that conversion is not available."""
    try:
        from streamlit import dataframe_util

        return dataframe_util.convert_pandas_df_to_arrow_table(shown)
    except Exception:  # another Streamlit version: st.dataframe converts the frame itself
        return shown


def table(
    frame: pd.DataFrame,
    key: str,
    columns: Sequence[str],
    *,
    keep: Sequence[str] = (),
    overrides: dict[str, Any] | None = None,
    shared: bool = False,
    **kwargs: Any,
) -> None:
    """A table of `columns` (in that order) with their one definition each: numbers formatted, gaps as "—",
    headers and tooltips from labels.COLUMNS; `keep` columns travel with the data but are not shown (only these
    and `columns` are sent to the browser); `overrides` replaces a column's config where a page needs to. `shared`:
    the frame is a read-only object from the caches (never changed in place), so its prepared form is kept."""
    order, shown, config = _prepared(frame, columns, keep, shared)
    config = config | (overrides or {})
    st.dataframe(shown, key=key, hide_index=True, column_order=order, column_config=config, **kwargs)


def price_age_note(prices: pd.DataFrame) -> None:
    """How old the prices in use are (their as_of dates): a caption, or a warning when any is past
    STALE_AFTER_DAYS (30 days)."""
    from datetime import date

    today = date.today()
    age = derived(  # per prices object (a session keeps its own) and day
        prices,
        ("price_age", today),
        lambda: price_age(prices["as_of"].astype(str).tolist() if "as_of" in prices else [], today),
    )
    if age.any_stale:
        st.warning(age.text(), icon=":material/schedule:")
    else:
        st.caption(age.text())


# ---------------------------------------------------------------------------------------------
# Models in view: one filter, the same on every page

MODELS_KEY = "models"  # the widget and its URL parameter, on every page
BASELINE_KEY = "_baseline"  # the decision page's baseline: the other pages show it by default
_KEPT_MODELS = "_models_in_view"  # the choice, kept across page switches (a widget's own state is per page)
_DEFAULT_MODELS = "_models_default"  # the default the filter last drew (models_added)


def _keep(chosen: Sequence[str]) -> None:
    """Keep a choice other than the default for the next pages; at the default keep nothing, so each page (and a
    Scenario whose NLD size changed) draws its own default."""
    default = st.session_state.get(_DEFAULT_MODELS, [])
    st.session_state[_KEPT_MODELS] = None if set(chosen) == set(default) else list(chosen)


def _keep_models() -> None:
    _keep(list(st.session_state.get(MODELS_KEY) or []))


def model_filter(
    available: Iterable[str], *, also: Iterable[str] = (), container: Any = None, legacy: str | None = None
) -> tuple[str, ...]:
    """The model filter every page that lists or charts models draws: by default Nemotron-Labs-Diffusion, the
    chosen baseline (the decision page's, Qwen3-8B unless changed there), the models of this session's uploads and
    `also` (scenario.default_models); other models on request; empty: every model. The choice follows the user from
    page to page and rides in the page's link (`models`; an older link's `legacy` parameter is read where no
    `models` is given). Returns the models chosen (empty: all)."""
    own = {str(m) for u in uploads().values() if "model" in u.points for m in u.points["model"].dropna()}
    options = sorted({str(m) for m in available})
    baseline = str(st.session_state.get(BASELINE_KEY, DEFAULT_BASELINE))
    default = list(default_models(options, baseline, [*own, *also]))
    options = [*default, *(m for m in options if m not in default)]
    previous = st.session_state.get(_DEFAULT_MODELS)
    st.session_state[_DEFAULT_MODELS] = default
    url_value_notice(MODELS_KEY, options, "models on this page", multi=True)
    kept = st.session_state.get(_KEPT_MODELS)
    if kept is None and legacy and legacy in st.query_params and MODELS_KEY not in st.query_params:
        kept = [m for m in st.query_params.get_all(legacy) if m in options]
        url_value_notice(legacy, options, "models on this page", multi=True)
    if kept is not None:  # seed this page's widget with the choice made on another page
        here = [m for m in kept if m in options]
        st.session_state[MODELS_KEY] = here if here or not kept else default
    elif (
        previous is not None
        and set(previous) != set(default)
        and set(st.session_state.get(MODELS_KEY) or []) == set(previous)
    ):  # at the old default (the Scenario's NLD size changed): move to the new one
        st.session_state[MODELS_KEY] = default
    chosen = (container or st).multiselect(
        "Models",
        options,
        default=default,
        key=MODELS_KEY,  # no format_func: a bound widget writes what it shows into the link, which keeps model ids
        bind="query-params",
        on_change=_keep_models,
        placeholder="All models",
        help="Shown by default: Nemotron-Labs-Diffusion and the baseline chosen on the decision page (Qwen3-8B "
        "unless changed), plus your uploads' models. Add others, or clear the box for every model. The choice "
        "follows you to the other pages and is part of the page's link.",
    )
    _keep(list(chosen))
    return tuple(chosen)


def models_added(chosen: Sequence[str]) -> tuple[str, ...]:
    """The models named as `--model` names them in the CLI (whose reference configurations are estimated where
    they have no data): none while the filter shows its default or every model, else the models chosen."""
    if not chosen or set(chosen) == set(st.session_state.get(_DEFAULT_MODELS, [])):
        return ()
    return tuple(sorted(chosen))
