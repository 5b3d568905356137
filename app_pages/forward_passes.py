"""Forward passes: the forward-cost surfaces recorded by `python -m measurements forward` (files under
hardware_profiles/measured/) and the bundled third-party ones: time of one forward by batch, query tokens and context,
with the achieved memory bandwidth against the GPU's roofline, and the estimator's bare-forward time beside it
(`python -m calculator estimate --forward`) where the surface's GPU and model are known.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import cached
from calculator.present import charts, links
from calculator.present import labels as lb

st.title("Forward passes")
st.caption(
    "What one forward pass costs on a device: the input the estimator calibrates on. Surfaces recorded by this "
    "project's own tool are **measured** (random weights: timing only, no accuracy); bundled third-party surfaces "
    "carry their own provenance. The *Estimated* column and, in the chart, the dashed lines: the estimator's "
    "bare-forward time for the same shapes (**estimated**)."
)

top = st.columns([3, 1])
top[0].markdown(
    "Record a surface on any machine (CPU works for a first look; a GPU gives real numbers):\n\n"
    # Inline code, not a fenced block: a fenced block makes the browser load the syntax highlighter, 1.5 MB of
    # script, and the page's first render took about 1.4x a bare page's instead of about 1.2x (bench_pages.py).
    "- `.venv/bin/python -m measurements forward --model-config tiny --device cpu`\n"
    "- `.venv/bin/python -m measurements forward --model-config nld-8b --device cuda --check-roofline`\n\n"
    "Files land in `hardware_profiles/measured/` and appear here. See `docs/measurements.md`."
)
if top[1].button("Reload measured files", key="fp_reload", help="Re-read hardware_profiles/ (after a new run)."):
    cached.bundled_catalog.clear()
    st.rerun()

catalog = cached.bundled_catalog()
frame = cached.forward_surfaces()
if frame.empty:
    st.info(
        "No forward-cost surfaces yet. Run the command above; this session has no GPU measurements bundled "
        "(none could be made where this release was built)."
    )
    st.stop()


def surface_labels() -> dict[object, str]:
    """Each surface's name in the picker (model · device · precision · date), in the frame's order."""
    surfaces = frame.drop_duplicates("surface_id")
    return {
        sid: " · ".join(
            str(v) for v in surfaces[surfaces["surface_id"] == sid].iloc[0][["model", "device", "precision", "date"]]
        )
        for sid in surfaces["surface_id"].tolist()
    }


def surface_rows(choice: object) -> tuple[pd.DataFrame, pd.Series]:
    rows = frame[frame["surface_id"] == choice]
    return rows, rows.iloc[0]


labels = cached.derived(frame, "fp_labels", surface_labels)  # the surfaces are once per process
choice = st.selectbox("Surface", list(labels), key="fp_surface", format_func=labels.__getitem__)
rows, meta = cached.derived(frame, ("fp_rows", choice), lambda: surface_rows(choice))
kind = next(fc.provenance.kind for fc in catalog.forward_costs if fc.id == choice)
badge = {"measured": "green", "community": "violet", "uploaded": "blue"}.get(kind, "orange")
st.markdown(
    f":{badge}-badge[{kind}] **{meta['model']}** ({meta['precision']}, {meta['weights']} weights) on "
    f"**{meta['device']}**{f' (gpu id `{meta.gpu}`)' if meta['gpu'] else ' (no gpu id: not priced)'} · "
    f"{meta['date']} · source: {meta['source']}"
)

attention = st.segmented_control(
    "Attention", ["causal", "block"], default="causal", key="fp_attention",
    help="causal: AR decode and self-spec verify; block: diffusion denoise and self-spec draft (bidirectional).",
)  # fmt: skip
sub = cached.derived(rows, ("fp_sub", attention), lambda: rows[rows["attention"] == (attention or "causal")])

# Lazy tabs (only the open one runs; the chart tab loads Plotly's script): the table holds every figure.
tab_table, tab_chart = st.tabs(list(links.TABS["fp_tab"]), key="fp_tab", bind="query-params")
with tab_table:
    if tab_table.open:

        def surface_table() -> tuple[pd.DataFrame, list[str]]:
            table = sub[
                [
                    "batch",
                    "query_tokens",
                    "context_tokens",
                    "time_ms_median",
                    "time_ms_p10",
                    "time_ms_p90",
                    "estimated_ms",
                    "achieved_tb_s",
                    "achieved_tflops",
                    "hbm_roofline_fraction",
                ]
            ]
            # Missing figures as "—" (never "None"), with the reason below.
            formats = {"time_ms_p10": "%.3f", "time_ms_p90": "%.3f", "estimated_ms": "%.3f", "achieved_tb_s": "%.3f",
                       "achieved_tflops": "%.2f"}  # fmt: skip
            numeric = [*formats, "hbm_roofline_fraction"]
            table = table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in numeric})
            gaps = [c for c in table.columns if table[c].isna().any()]
            shown = lb.dash_missing(table, formats)
            if "hbm_roofline_fraction" in gaps:
                shown["hbm_roofline_fraction"] = [
                    "—" if pd.isna(v) else f"{v:.0%}" for v in table["hbm_roofline_fraction"]
                ]
            return shown, gaps

        shown, gaps = cached.derived(sub, "fp_table", surface_table)  # once per surface and attention
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "batch": st.column_config.NumberColumn("Batch"),
                "query_tokens": st.column_config.NumberColumn("Query tokens"),
                "context_tokens": st.column_config.NumberColumn("Context (tokens)", format="localized"),
                "time_ms_median": st.column_config.NumberColumn("Median (ms)", format="%.3f"),
                "time_ms_p10": st.column_config.NumberColumn("p10 (ms)", format="%.3f"),
                "time_ms_p90": st.column_config.NumberColumn("p90 (ms)", format="%.3f"),
                "estimated_ms": st.column_config.NumberColumn(
                    "Estimated (ms)", format="%.3f", help="the estimator's bare forward (estimate --forward): estimated"
                ),
                "achieved_tb_s": st.column_config.NumberColumn("Achieved TB/s", format="%.3f"),
                "achieved_tflops": st.column_config.NumberColumn("Achieved TFLOP/s", format="%.2f"),
                "hbm_roofline_fraction": st.column_config.NumberColumn(
                    "Share of HBM peak", format="percent", help="bytes moved / time / the GPU's datasheet bandwidth"
                ),
            },
        )
        if gaps:
            reasons = []
            if {"time_ms_p10", "time_ms_p90"} & set(gaps):
                reasons.append("p10/p90: the source reports a median only for these shapes")
            if {"achieved_tb_s", "achieved_tflops", "hbm_roofline_fraction"} & set(gaps):
                reasons.append(
                    "achieved TB/s, TFLOP/s and share of HBM peak: no bytes or FLOPs per forward for these shapes"
                    + ("" if meta["gpu"] else ", or no gpu id for this device (no datasheet peak)")
                )
            if "estimated_ms" in gaps:
                reasons.append("estimated: the estimator has no figure for this device or shape")
            st.caption("— means not available: " + "; ".join(reasons) + ".")
with tab_chart:
    if tab_chart.open:
        st.plotly_chart(charts.literal_figure(charts.forward_surface_figure(sub, kind)), key="fp_chart")
if not meta["gpu"]:
    st.caption(
        "Share of HBM peak and the estimate are empty: this device has no gpu id in gpus.yaml (a CPU or an unmapped"
        " GPU)."
    )
