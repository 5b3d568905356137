"""Measurements: upload your own benchmark results (several files at once: our profile YAML/JSON, the CSV
template, SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf, llmperf, InferenceX). Each file shows its detected
format and every problem by file, row and field; a form supplies what a format lacks (GPU, model, mode,
precision). Good points join this session with provenance `uploaded` and appear on every page; they can be
removed, and are never written to disk. A broken file changes nothing already loaded.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import state
from calculator import labels as lb
from calculator.schema import KNOWN_MODELS, KNOWN_MODES, PRECISIONS
from calculator.uploads import digest as upload_digest
from calculator.uploads import make_upload, problems_frame, uploads_summary

st.title("Your measurements")

try:
    from calculator.importers import Overrides, csv_template, import_bytes
except ImportError:  # the importers are written by another engineer; the page says so until they land
    st.warning("The importers are not available in this build: uploads are disabled.", icon=":material/construction:")
    st.stop()

state.init_state()
pending: dict[str, dict[str, Any]] = st.session_state["pending"]
dismissed: set[str] = st.session_state.setdefault("dismissed", set())

st.caption(
    "Files stay in this browser session: they are parsed in memory, never written to disk, and gone when the "
    "session ends. Formats are detected from the content, not the file name."
)
top = st.columns([3, 1], vertical_alignment="bottom")
files = top[0].file_uploader(
    "Upload measurement files",
    accept_multiple_files=True,
    type=["yaml", "yml", "json", "jsonl", "csv", "txt"],
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


def add_upload(digest: str, name: str, fmt: str, profiles: list[Any]) -> int:
    """Add a file's good profiles to the session (replacing an earlier import of the same file)."""
    upload = make_upload(digest, name, fmt, profiles)
    if upload is None:
        return 0
    state.uploads()[digest] = upload
    state.points_changed()
    dismissed.discard(digest)
    return len(upload.points)


def run_import(digest: str, name: str, data: bytes, overrides: Any) -> None:
    """Import one file; any failure is recorded against that file only."""
    try:
        result = import_bytes(data, name, overrides)
        entry = {"file": name, "data": data, "result": result, "overrides": overrides, "error": None}
    except Exception as e:
        entry = {
            "file": name,
            "data": data,
            "result": None,
            "overrides": overrides,
            "error": f"{type(e).__name__}: {e}",
        }
    pending[digest] = entry
    res = entry["result"]
    if res is not None and res.ok and digest not in dismissed:
        add_upload(digest, name, res.format, res.profiles)


for f in files or []:
    try:
        data = f.getvalue()
    except Exception as e:
        st.error(f"{lb.md_escape(f.name)}: could not read the upload ({lb.md(e)}).", icon=":material/error:")
        continue
    digest = upload_digest(data)
    if digest not in pending:
        run_import(digest, f.name, data, Overrides())

current = {upload_digest(f.getvalue()) for f in files or []}
for digest in [d for d in pending if d not in current]:
    del pending[digest]  # the file was removed from the uploader; its added points stay until removed below

# ---------------------------------------------------------------------------------------------
# Per file: detected format, what it found, problems, and a form for what it lacks

for digest, entry in pending.items():
    res = entry["result"]
    with st.container(border=True, key=f"file_{digest}"):
        head = st.columns([3, 1, 1])
        head[0].markdown(f"**{lb.md_escape(entry['file'])}**")
        if res is None:
            head[1].badge("error", color="red")
            st.error(f"{lb.md_escape(entry['file'])}: {lb.md_escape(entry['error'], 400)}", icon=":material/error:")
            continue
        head[1].badge(res.format, color="blue" if res.format != "unknown" else "gray", icon=":material/description:")
        n_points = sum(len(p.points) for p in res.profiles)
        added = digest in state.uploads()
        head[2].badge("added" if added else "not added", color="green" if added else "orange")
        st.caption(f"{len(res.profiles)} profile(s), {n_points:,} point(s), {len(res.problems)} problem(s).")
        if res.problems:
            probs = problems_frame(res.problems)
            # Missing fields are asked for in the form below; everything else is an error in the file: one line
            # saying how many and where, then each problem once, in row order.
            errors = probs[~probs["where"].isin(list(res.missing))]
            if not errors.empty:
                rows = errors["row"].dropna().astype(int).unique().tolist()
                st.error(
                    f"{lb.md_escape(entry['file'])}: {len(errors)} problem(s)"
                    + (f" in row(s) {', '.join(map(str, rows[:12]))}{'…' if len(rows) > 12 else ''}" if rows else "")
                    + ": see the table below.",
                    icon=":material/error:",
                )
            st.dataframe(
                probs.drop(columns=["row"]).head(500),
                key=f"problems_{digest}",
                hide_index=True,
                column_config={
                    "file": "File",
                    "where": "Row / field",
                    "problem": st.column_config.TextColumn("Problem", width="large"),
                },
            )
        if res.missing:
            with st.form(key=f"supply_{digest}", border=False):
                st.markdown("This format does not say everything a profile needs. Supply it:")
                cols = st.columns(len(res.missing))
                given: dict[str, Any] = {}
                for col, field in zip(cols, res.missing, strict=True):
                    if field == "gpu":
                        gpus = state.known_gpus()
                        given["gpu"] = col.selectbox(
                            "GPU",
                            gpus,
                            index=gpus.index("h100-sxm") if "h100-sxm" in gpus else 0,
                            format_func=state.gpu_name,
                            key=f"sup_gpu_{digest}",
                        )
                    elif field == "model":
                        given["model"] = col.selectbox(
                            "Model", list(KNOWN_MODELS), accept_new_options=True, key=f"sup_model_{digest}"
                        )
                    elif field == "mode":
                        given["mode"] = col.selectbox(
                            "Mode", list(KNOWN_MODES), accept_new_options=True, key=f"sup_mode_{digest}"
                        )
                    elif field == "precision":
                        given["precision"] = col.selectbox(
                            "Precision",
                            list(PRECISIONS),
                            index=list(PRECISIONS).index("bf16"),
                            key=f"sup_prec_{digest}",
                        )
                if st.form_submit_button("Apply and import", key=f"apply_{digest}", icon=":material/check:"):
                    old = entry["overrides"]
                    merged = {k: getattr(old, k) for k in ("gpu", "model", "mode", "precision")}
                    merged.update({k: (str(v).strip().lower() if v is not None else None) for k, v in given.items()})
                    dismissed.discard(digest)
                    run_import(digest, entry["file"], entry["data"], Overrides(**merged))
                    st.rerun()
        elif (
            res.profiles
            and not added
            and st.button(
                f"Add the {n_points:,} good point(s) anyway" if res.problems else f"Add {n_points:,} point(s)",
                key=f"add_{digest}",
                icon=":material/add:",
            )
        ):
            add_upload(digest, entry["file"], res.format, res.profiles)
            st.rerun()

# ---------------------------------------------------------------------------------------------
# What is in the session

st.subheader("In this session")
ups = state.uploads()
if not ups:
    st.caption("No uploaded points yet. The bundled data is used on every page.")
else:
    summary = uploads_summary(ups.values())
    st.dataframe(summary.drop(columns=["uid"]), key="uploads_table", hide_index=True)
    for uid, u in list(ups.items()):
        if st.button(f"Remove {u.file}", key=f"rm_{uid}", icon=":material/delete:"):
            del ups[uid]
            dismissed.add(uid)
            state.points_changed()
            st.rerun()
    if len(ups) > 1 and st.button("Remove all uploads", key="rm_all", icon=":material/delete_sweep:"):
        dismissed.update(ups)
        ups.clear()
        state.points_changed()
        st.rerun()
    with st.expander("Uploaded points", icon=":material/table:"):
        st.dataframe(state.session_uploaded_points(), key="uploaded_points_table", hide_index=True)
