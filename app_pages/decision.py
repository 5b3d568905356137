"""Decision (the landing page): Nemotron-Labs-Diffusion vs a like-for-like AR baseline on each chosen GPU, in dollars.

The first screen answers per GPU: NLD's best mode and configuration vs the baseline's, $/M output tokens, tok/s per
GPU and per user, TTFT, GPUs and monthly bill for a volume, the ratio NLD ÷ baseline, the provenance of each side
and the estimator's error as a $ range. Below: what would change the verdict, and the vendor's claims checked
against the bundled data. Inputs live in the sidebar (each bound to the URL, so a decision is a link).
"""

from __future__ import annotations

import streamlit as st

from app_pages import cached, state
from app_pages import widgets as w
from calculator.answers import decision as dc
from calculator.answers import scenario
from calculator.data import vocabulary as vb
from calculator.data.schema import TIERS
from calculator.present import decision_cards as cards

points_key, points = state.all_points()
prices_key, prices = state.all_prices()
names = state.gpu_names()
priced_gpus = [g for g in names if g in set(prices["gpu"])]
d = dc.DecisionInputs()

COMPARE_KEYS = ("c_chart", "c_conc", "c_est", "c_gpu", "c_model", "c_prov", "c_tier", "c_wo")
if any(k in st.query_params for k in COMPARE_KEYS):  # a link made when Compare was the landing page
    query = "&".join(f"{k}={v}" for k in st.query_params for v in st.query_params.get_all(k))
    st.info(
        f"This link was made for the Compare page, which has moved: [open it on Compare](compare?{query}).",
        icon=":material/link:",
    )

# ---------------------------------------------------------------------------------------------
# Inputs (sidebar, each bound to a query parameter d_*)

with st.sidebar:
    st.markdown("**Decision inputs**")
    state.url_value_notice("d_gpus", priced_gpus, "GPUs with a price", multi=True)
    state.seed_from_url("d_gpus", priced_gpus)  # the link holds GPU ids; the picker shows their names
    default_gpus = [g for g in d.gpus if g in priced_gpus]
    gpus = st.multiselect(
        "GPUs",
        priced_gpus,
        default=default_gpus,
        max_selections=4,
        format_func=lambda g: names.get(g, g),
        key="d_gpus",
        help="One verdict per GPU (up to 4).",
    )
    state.write_url_list("d_gpus", gpus, default_gpus)
    c1, c2 = st.columns(2)
    size = c1.selectbox("NLD size", list(scenario.NLD_SIZES), index=1, key="d_size", bind="query-params")
    # mode and baseline show names; their links keep ids (not bound: a bound widget writes what format_func shows)
    state.url_value_notice("d_mode", list(dc.NLD_MODES), "NLD modes")
    state.seed_one_from_url("d_mode", dc.NLD_MODES)
    nld_mode = c2.selectbox(
        "NLD mode",
        list(dc.NLD_MODES),
        format_func=dc.nld_mode_label,
        key="d_mode",
        help="best: NLD's cheapest self-speculation or diffusion option meeting the targets, at a precision the "
        "baseline also runs (fp8 against fp8); its AR mode, the same computation as an AR model of its size, is "
        "said in a note. Or one mode (self_spec: self-speculation, diffusion, ar).",
    )
    state.write_url_one("d_mode", str(nld_mode), dc.BEST_MODE)
    base_options = list(cached.derived(points, "baseline_options", lambda: dc.baseline_options(points)))
    state.url_value_notice("d_base", base_options, "models with an AR curve")
    state.seed_one_from_url("d_base", base_options)
    base = st.selectbox(
        "Baseline (best of AR and EAGLE-3, like precision)",
        base_options,
        format_func=dc.short_model,
        key="d_base",
        help="Any model with an AR curve, bundled or uploaded. Where it has no curve at NLD's precision on a GPU, "
        "one is estimated (badged).",
    )
    state.write_url_one("d_base", str(base), base_options[0])
    st.session_state[w.BASELINE_KEY] = str(base)  # the other pages' model filters show NLD and this baseline
    c1, c2 = st.columns(2)
    isl = c1.number_input("Input tokens", 1, 1_000_000, d.isl, 256, key="d_isl", bind="query-params")
    osl = c2.number_input("Output tokens", 1, 1_000_000, d.osl, 256, key="d_osl", bind="query-params")
    cat = st.selectbox(
        "Workload (SPEED-Bench category)",
        [scenario.AS_MEASURED, *scenario.SPEED_BENCH_CATEGORIES],
        key="d_cat",
        bind="query-params",
    )
    c1, c2 = st.columns(2)
    tps = c1.number_input(
        "Min tok/s per user", 0.0, 100_000.0, d.tps, 5.0, key="d_tps", bind="query-params", help="Default 50; 0: none."
    )
    ttft = c2.number_input(
        "Max TTFT p50 (ms)", 0.0, 600_000.0, d.ttft, 250.0, key="d_ttft", bind="query-params", help="Default 2,000."
    )
    vol_b = st.number_input(
        "Output tokens per month (billions; 0: none)",
        0.0,
        1e6,
        0.0,
        1.0,
        key="d_vol",
        bind="query-params",
        help="The fleet is sized as the Capacity page sizes it: for the peak (average = volume ÷ 730 h, times the "
        "peak factor beside), at the utilisation in the sidebar, in whole instances of the offer, billed 730 h.",
    )
    peak = st.number_input(
        "Peak-to-average factor (with a volume)",
        1.0,
        24.0,
        dc.DEFAULT_PEAK_TO_AVERAGE,
        0.5,
        key="d_peak",
        bind="query-params",
        help="Peak demand ÷ average demand; the fleet is sized for the peak. 1: a flat load.",
    )
    c1, c2 = st.columns(2)
    tier = c1.selectbox("Price tier", list(TIERS), key="d_tier", bind="query-params")
    quote = c2.number_input(
        "Own $/GPU-h (0: none)", 0.0, 1000.0, 0.0, 0.1, key="d_quote", bind="query-params", help="Replaces the tier."
    )

inputs = dc.DecisionInputs(
    gpus=tuple(gpus),
    size=str(size),
    baseline=str(base),
    isl=int(isl),
    osl=int(osl),
    cat=str(cat),
    tps=float(tps),
    ttft=float(ttft),
    tokens_per_month=float(vol_b) * 1e9 or None,
    tier=str(tier),
    quote_usd_per_gpu_hour=float(quote) or None,
    util=round(state.utilisation() * 100),
    nld_mode=str(nld_mode),
    peak_to_average=float(peak),
)

# ---------------------------------------------------------------------------------------------
# The first screen: one card per GPU

st.markdown(
    f"#### {vb.model_label(inputs.model).split(' (')[0]} vs {vb.model_label(inputs.baseline).split(' (')[0]}: "
    "which is cheaper on your GPU?"
)
st.caption(
    f"{inputs.isl:,} in / {inputs.osl:,} out tokens · {inputs.targets_text()} · "
    + (
        f"your quote {vb.fmt_usd(inputs.quote_usd_per_gpu_hour, 2)}/GPU-h"
        if inputs.quote_usd_per_gpu_hour
        else f"cheapest {vb.tier_label(inputs.tier)} offer"
    )
    + (
        f" · {vb.fmt_tokens(inputs.tokens_per_month)} output tokens/month, fleet sized for a "
        f"{inputs.peak_to_average:g}x peak in whole instances"
        if inputs.tokens_per_month
        else ""
    )
    + " · ratio = NLD $/M ÷ baseline $/M (below 1: NLD cheaper). Inputs in the sidebar."
)
if not gpus:
    st.warning("Pick at least one GPU in the sidebar.", icon=":material/memory:")
    st.stop()

# The verdicts first (the first screen); the ratio by prompt length on every chosen GPU below the fold (each GPU's
# curves are cached apart, so the sweep reuses the verdict's curves at the user's length)
result = cached.decision(points_key, prices_key, inputs, (), (), points, prices)
volume = inputs.tokens_per_month is not None
cols = st.columns(len(result.gpus))
for col, g in zip(cols, result.gpus, strict=True):
    with col.container(border=True):
        st.markdown(f"**{names.get(g.gpu, g.gpu)}** · ratio **{cards.ratio_text(g)}**")
        st.markdown(vb.escape_dollars(g.verdict))
        if g.nld is not None or g.baseline is not None:
            st.table(cached.derived(g, ("card_table", volume), lambda g=g: cards.card_table(g, volume)))
        st.caption(vb.escape_dollars(g.offer + ("; " + "; ".join(g.notes) if g.notes else "")))
w.price_age_note(prices)  # how old the prices in use are; a warning past 30 days (issue 22), below the cards

# ---------------------------------------------------------------------------------------------
# Below the fold: what would change the verdict

st.subheader("What would change the verdict")
sweep = tuple(i for i in dc.CONTEXT_SWEEP if i != inputs.isl)
swept = cached.decision(points_key, prices_key, inputs, (inputs.isl, *sweep), tuple(gpus), points, prices)
named = tuple(names.items())
changes = cached.derived(
    swept,
    ("what_changes", named),  # result: the same inputs at the user's length only, decided with swept
    lambda: cards.what_changes(dc.Decision(inputs, result.gpus, swept.context), names).set_index("GPU"),
)
st.table(changes)
st.caption(
    "NLD ÷ baseline by prompt length on each chosen GPU. Crossover: where NLD's chosen curve stops beating the "
    "baseline's in tok/s per GPU as concurrency grows."
)
st.dataframe(
    cached.derived(swept, ("context_table", named), lambda: cards.context_table(swept.context, names)),
    hide_index=True,
    column_config={c: st.column_config.TextColumn(c, width="medium") for c in ("GPU", "NLD", "Baseline")},
)
st.caption(
    vb.escape_dollars(
        "$/M: each side's cost at that prompt length with its provenance; estimated rows give the range under the "
        "estimator's held-out error, and that error."
    )
)

# ---------------------------------------------------------------------------------------------
# The vendor's claims, checked against the bundled data


@st.fragment
def ar_efficiency() -> None:
    """The claim against the user's AR stack: its slider reruns only this fragment (issue 21, load)."""
    thr = cached.vendor_claims()[1]
    eff = st.slider(
        "Your AR stack's efficiency (% of the HBM roofline)",
        10,
        95,
        round(thr.vendor_ar_efficiency * 100),
        key="d_ar_eff",
        help="Well-tuned AR engines reach 60–80 % of the roofline at batch 1; the vendor's baseline is at the default.",
    )
    # the default is the vendor's own efficiency, rounded for the slider: use it exactly there
    ratio = thr.claimed_ratio if eff == round(thr.vendor_ar_efficiency * 100) else thr.ratio_at(eff / 100)
    st.metric(
        "The claim against your AR stack",
        f"{ratio:.2f}x",
        delta=f"{ratio - thr.claimed_ratio:+.2f}x vs the vendor's {thr.claimed_ratio:.2f}x",
        delta_color="off",
    )


st.subheader("The vendor's claims, checked")
tpf, thr = cached.vendor_claims()
c1, c2 = st.columns(2)
with c1.container(border=True):
    lo, hi = tpf.sweep_range()
    st.markdown(
        f'**"5.9x tokens per forward vs Qwen3-8B"** — the vendor reports TPF **{tpf.vendor_tpf:.2f}** (NLD-8B '
        f"self-speculation, LoRA drafter, block 32; AR = 1). The independent NLD-14B B200 sweep measures "
        f"**{lo:.2f}–{hi:.2f}**: about 6 only with block 32 at 1–4 concurrent requests; the blocks a busy server runs "
        "give less."
    )
    st.table(cached.derived(tpf, "tpf_table", lambda: cards.tpf_table(tpf.sweep)))
    st.caption(f"Vendor: {vb.escape_dollars(tpf.vendor_source)}. Sweep (community): {tpf.sweep_source}")
with c2.container(border=True):
    st.markdown(
        f'**"~4x SPEED-Bench throughput on GB200"** — batch 1: NLD-8B self-speculation {thr.nld_tok_s:,.0f} tok/s '
        f"(custom kernels; {thr.nld_standard_tok_s:,.0f} with standard SGLang) vs the vendor's own AR "
        f"{thr.ar_tok_s:,.0f} tok/s = **{thr.claimed_ratio:.2f}x**. That AR figure is "
        f"**{thr.vendor_ar_efficiency:.0%}** of the GB200's batch-1 HBM roofline ({thr.roofline_tok_s:,.0f} tok/s = "
        "8 TB/s ÷ 8.49 GB of fp8 weights)."
    )
    ar_efficiency()
    st.caption(f"Vendor: {vb.escape_dollars(thr.source)}; GPU figures: gpus.yaml. NLD's figure held as reported.")
