"""Measurements: upload your own benchmark results (several files at once: our profile YAML/JSON, the CSV
template, SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf, llmperf, InferenceX). Each file shows its detected
format, every problem by file, row and field, and what was assumed; a form supplies what a format lacks (GPU,
model, mode; precision and GPUs per replica where they were assumed) and maps a GPU the catalog does not know to
one it does. Good points join this session with provenance `uploaded` and appear on every page; they can be
removed, and are never written to disk. A broken file changes nothing already loaded.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import streamlit as st

from app_pages import state
from app_pages import widgets as w
from calculator.answers import compare
from calculator.data import uploads as up
from calculator.data import vocabulary as vb
from calculator.data.importers import Overrides, csv_template
from calculator.data.schema import KNOWN_MODELS, KNOWN_MODES, PRECISIONS

st.title("Your measurements")

state.init_state()
pending: dict[str, up.PendingImport] = st.session_state["pending"]
added: dict[str, str] = st.session_state.setdefault("added_uid", {})  # pending digest -> its upload's uid
salt: str = st.session_state.setdefault("_upload_salt", secrets.token_hex(8))
known = state.known_gpus()

w.session_only_notice("Uploaded files", "data")
st.caption(
    "Files are parsed in memory and never written to disk. Formats are detected from the content, not the file name."
)
top = st.columns([3, 1], vertical_alignment="bottom")
files = top[0].file_uploader(
    "Upload measurement files",
    accept_multiple_files=True,
    type=None,  # any name is taken; the core says "not read" for a suffix it does not read (importers.SUFFIXES)
    key="upload_files",
    help="Several files at once. Our profile format (docs/schema), the CSV template, or the result files of "
    "SGLang bench_serving, vLLM bench serve, GuideLLM, AIPerf/GenAI-Perf, llmperf or InferenceX.",
)
top[1].download_button(
    "Download the CSV template",
    data=csv_template(),
    file_name="measurement_template.csv",
    mime="text/csv",
    key="dl_template",
    on_click="ignore",
    icon=":material/download:",
    width="stretch",
)


def add_upload(key: str) -> None:
    """Add (or, after new choices, replace) the file's good points in the session."""
    entry = pending[key]
    if entry.result is None:
        return
    uid = up.upload_uid(salt, entry.data, entry.overrides, entry.gpu_map)
    upload = up.make_upload(uid, entry.result.name, entry.result.format, entry.profiles(), content=key)
    added.pop(key, None)
    for other in [u for u, held in state.uploads().items() if held.content == key]:
        state.uploads().pop(other)  # the same bytes imported with other choices (even after a re-upload): never both
    if upload is not None:
        state.uploads()[uid] = upload
        added[key] = uid
    state.points_changed()


def ready(entry: up.PendingImport) -> bool:
    """A clean import whose GPUs the catalog knows (else the form asks to map them) and that lacks nothing."""
    res = entry.result
    return bool(res and res.ok and not res.missing and not up.unknown_gpus(entry.profiles(), known))


duplicates: list[tuple[str, str]] = []
for f in files or []:
    try:
        data = f.getvalue()
    except Exception as e:
        st.error(f"{vb.md(f.name)}: could not read the upload ({vb.md(e)}).", icon=":material/error:")
        continue
    key = up.digest(data)
    if key in pending:
        if pending[key].file != f.name:
            duplicates.append((f.name, pending[key].file))
        continue
    pending[key] = up.run_import(f.name, data, Overrides())
    if ready(pending[key]):
        add_upload(key)

current = {up.digest(f.getvalue()) for f in files or []}
for key in [k for k in pending if k not in current]:
    del pending[key]  # the file was removed from the uploader; its added points stay until removed below
    added.pop(key, None)
for name, first in duplicates:
    st.info(
        f"{vb.md(name)} has the same content as {vb.md(first)}, which is already listed: it was not added twice.",
        icon=":material/content_copy:",
    )


def supply_form(key: str, entry: up.PendingImport, asks: list[str], unmapped: list[str]) -> None:
    """What the file lacks or had to assume, and a GPU for each GPU id the catalog does not know."""
    with st.form(key=f"supply_{key}", border=False):
        if unmapped:
            st.markdown(
                "The file names GPU(s) the catalog has no spec or price for: "
                + ", ".join(vb.md(g) for g in unmapped)
                + ". Map each to the GPU it is (the points are then priced and compared as that GPU, and say so)."
            )
        if asks:
            st.markdown("Supply what the file does not say (a value you give only fills in what the file lacks):")
        given: dict[str, Any] = {}
        mapping: dict[str, str | None] = {}
        cols = st.columns(max(len(asks) + len(unmapped), 1))
        for i, gpu in enumerate(unmapped):
            mapping[gpu] = cols[i].selectbox(
                f"GPU for {gpu[:40]}", known, index=None, format_func=state.gpu_name, key=f"map_gpu_{key}_{i}"
            )
        for col, field in zip(cols[len(unmapped) :], asks, strict=False):
            if field == "gpu":
                given["gpu"] = col.selectbox(
                    "GPU", known, index=None, format_func=state.gpu_name, key=f"sup_gpu_{key}",
                    placeholder="Choose the GPU it ran on",
                )  # fmt: skip
            elif field == "model":
                given["model"] = col.selectbox(
                    "Model",
                    list(KNOWN_MODELS),
                    index=None,
                    accept_new_options=True,
                    key=f"sup_model_{key}",
                    placeholder="Choose or type the model",
                )
            elif field == "mode":
                given["mode"] = col.selectbox(
                    "Mode", list(KNOWN_MODES), index=None, accept_new_options=True, key=f"sup_mode_{key}",
                    placeholder="Choose the decoding mode",
                )  # fmt: skip
            elif field == "precision":
                given["precision"] = col.selectbox(
                    "Precision", list(PRECISIONS), index=None, key=f"sup_prec_{key}",
                    placeholder="assumed bf16: choose to say",
                )  # fmt: skip
            elif field == "gpus_per_replica":
                given["gpus_per_replica"] = col.number_input(
                    "GPUs per replica", min_value=1, max_value=1024, value=None, step=1, key=f"sup_gpr_{key}",
                    placeholder="assumed 1: give to say",
                    help="TP x PP x DP GPUs of one replica (prefill + decode when disaggregated)",
                )  # fmt: skip
        if st.form_submit_button("Apply and import", key=f"apply_{key}", icon=":material/check:"):
            unset = [f for f in ("gpu", "model", "mode") if f in given and given[f] is None]
            if unset or any(v is None for v in mapping.values()):
                what = ", ".join(unset + (["a GPU for every unknown GPU id"] if None in mapping.values() else []))
                st.error(f"Choose {what}: nothing is assumed for you.", icon=":material/error:")
                return
            old = entry.overrides
            merged = {k: getattr(old, k) for k in ("gpu", "model", "mode", "precision", "gpus_per_replica")}
            for k, v in given.items():
                if v is not None:  # left empty: the file's value, or what the import assumes, stands
                    merged[k] = int(v) if k == "gpus_per_replica" else str(v).strip().lower()
            gpu_map = {**entry.gpu_map, **{k: str(v) for k, v in mapping.items() if v}}
            pending[key] = up.run_import(entry.file, entry.data, Overrides(**merged), gpu_map)
            if ready(pending[key]):
                add_upload(key)
            st.rerun()


# ---------------------------------------------------------------------------------------------
# Per file: detected format, what it found, problems and assumptions, and a form for what it lacks

for key, entry in pending.items():
    res = entry.result
    with st.container(border=True, key=f"file_{key}"):
        head = st.columns([3, 1, 1])
        head[0].markdown(f"**{vb.md(entry.file)}**")
        if res is None:
            head[1].badge("error", color="red")
            st.error(f"{vb.md(entry.file)}: {vb.md(entry.error, 400)}", icon=":material/error:")
            continue
        head[1].badge(res.format, color="blue" if res.format != "unknown" else "gray", icon=":material/description:")
        n_points = sum(len(p.points) for p in res.profiles)
        is_added = added.get(key) in state.uploads()
        head[2].badge("added" if is_added else "not added", color="green" if is_added else "orange")
        st.caption(
            f"{len(res.profiles)} profile(s), {n_points:,} point(s), {len(res.problems)} problem(s), "
            f"{len(res.warnings)} assumption(s) or note(s)."
        )
        if res.problems:
            probs = up.problems_frame(res.problems)
            # Missing fields are asked for in the form below; everything else is an error in the file: one line
            # saying how many and where, then each problem once, in row order.
            errors = probs[~probs["where"].isin(list(res.missing))]
            if not errors.empty:
                rows = errors["row"].dropna().astype(int).unique().tolist()
                # One problem: said with its field (the row is said just before), so the line names file, row, field.
                field = re.sub(r"(?i)^row\s+\d+,?\s*", "", str(errors["where"].iloc[0]))
                only = (
                    f": {vb.md(field) + ': ' if field else ''}{vb.md(errors['problem'].iloc[0], 300)}"
                    if len(errors) == 1
                    else ": see the table below."
                )
                st.error(
                    f"{vb.md(entry.file)}: {len(errors)} problem(s)"
                    + (f" in row(s) {', '.join(map(str, rows[:12]))}{'…' if len(rows) > 12 else ''}" if rows else "")
                    + only,
                    icon=":material/error:",
                )
            st.dataframe(
                probs.drop(columns=["row"]).head(500),
                key=f"problems_{key}",
                hide_index=True,
                column_config={
                    "file": "File",
                    "where": "Row / field",
                    "problem": st.column_config.TextColumn("Problem", width="large"),
                },
            )
        # GPUs per replica divides every cost: an assumed count is said in the open, not only in the panel below.
        for w in res.warnings:
            if w.where == "gpus_per_replica":
                st.warning(
                    f"**GPUs per replica** ({vb.md(entry.file)}): {vb.md(up.app_wording(w.message), 400)}. Every cost "
                    "per GPU divides by this count: a multi-node run counted as 1 GPU reads many times too cheap.",
                    icon=":material/memory:",
                )
        if res.warnings or res.ignored:
            label = f"What was assumed or derived ({len(res.warnings)})" if res.warnings else "What was not read"
            if res.ignored:
                label += f" · {len(res.ignored)} field(s) not read"
            with st.expander(label, icon=":material/info:"):
                for w in res.warnings[:50]:
                    st.markdown(f"- **{vb.md(w.where)}**: {vb.md(up.app_wording(w.message), 400)}")
                if len(res.warnings) > 50:
                    st.caption(f"… and {len(res.warnings) - 50} more.")
                ignored = [line for line in res.report() if line.startswith("ignored:")]
                if ignored:
                    st.caption(vb.md(ignored[0], 1000))
        asks = up.fields_to_ask(res, entry.overrides)
        unmapped = up.unknown_gpus(entry.profiles(), known)
        if asks or unmapped:
            supply_form(key, entry, asks, unmapped)
        if (
            res.profiles
            and not res.missing
            and not unmapped
            and not is_added
            and st.button(
                f"Add the {n_points:,} good point(s) anyway" if res.problems else f"Add {n_points:,} point(s)",
                key=f"add_{key}",
                icon=":material/add:",
            )
        ):
            add_upload(key)
            st.rerun()

# ---------------------------------------------------------------------------------------------
# What is in the session

st.subheader("In this session")
ups = state.uploads()
if not ups:
    st.caption("No uploaded points yet. The bundled data is used on every page.")
else:
    summary = up.uploads_summary(ups.values())
    st.dataframe(summary.drop(columns=["uid"]), key="uploads_table", hide_index=True)
    unpriced = sorted(set(state.session_uploaded_points()["gpu"]) - set(state.all_prices()[1]["gpu"]))
    if unpriced:  # Compare, Scenario and Capacity price a point only on a GPU with an offer
        st.warning(
            f"No price offer for {', '.join(vb.md(state.gpu_name(g)) for g in unpriced)}: those uploaded points are "
            "kept but cannot be priced on Compare, Scenario or Capacity until you add a quote on the Prices page.",
            icon=":material/sell:",
        )
    st.caption(
        "*measured*: the date inside the result file where it states one (else the upload date, said in each "
        "profile's notes); *uploaded*: when you added it here."
    )
    for uid, u in list(ups.items()):
        if st.button(f"Remove {vb.md(u.file)}", key=f"rm_{uid}", icon=":material/delete:"):  # a name is literal
            del ups[uid]
            for k in [k for k, v in added.items() if v == uid]:
                del added[k]
            state.points_changed()
            st.rerun()
    if len(ups) > 1 and st.button("Remove all uploads", key="rm_all", icon=":material/delete_sweep:"):
        ups.clear()
        added.clear()
        state.points_changed()
        st.rerun()
    with st.expander("Uploaded points", icon=":material/table:"):
        # measured J/output token priced at the Prices page's $/kWh (energy_usd_per_mtok), where a file has it
        shown, _ = compare.with_measured_extras(
            state.session_uploaded_points(), float(st.session_state.get("tco_kwh", 0.08))
        )
        st.dataframe(shown, key="uploaded_points_table", hide_index=True)
