"""Measurements: upload your own benchmark results (several files at once: our profile YAML/JSON, the CSV
template, SGLang, vLLM, GuideLLM, AIPerf/GenAI-Perf, llmperf, InferenceX). Each file shows its detected
format and every problem by file, row and field; a form supplies what a format lacks (GPU, model, mode,
precision). Good points join this session with provenance `uploaded` and appear on every page; they can be
removed, and are never written to disk. A broken file changes nothing already loaded.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common as c
from calculator.catalog import profiles_to_points
from calculator.schema import KNOWN_MODELS, KNOWN_MODES, PRECISIONS

st.title("Your measurements")

try:
    from calculator.importers import Overrides, csv_template, import_bytes
except ImportError:  # the importers are written by another engineer; the page says so until they land
    st.warning("The importers are not available in this build: uploads are disabled.", icon=":material/construction:")
    st.stop()

c.init_state()
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


def problems_frame(problems: list[Any]) -> pd.DataFrame:
    """Each problem once (file, where, message), sorted by row number (row 3 before row 4 before row 10), then
    by where; problems without a row (file-level) first. Column `row` holds the parsed row number."""
    df = pd.DataFrame(
        [{"file": p.file, "where": p.where, "problem": p.message} for p in problems],
        columns=["file", "where", "problem"],
    ).drop_duplicates()
    df["row"] = pd.to_numeric(df["where"].str.extract(r"(?i)\brow\s+(\d+)", expand=False), errors="coerce")
    return df.sort_values(["row", "where", "problem"], na_position="first", kind="stable").reset_index(drop=True)


def add_upload(digest: str, name: str, fmt: str, profiles: list[Any]) -> int:
    """Add a file's good profiles to the session (replacing an earlier import of the same file)."""
    pts = profiles_to_points(profiles, [name] * len(profiles))
    if pts.empty:
        return 0
    c.uploads()[digest] = c.Upload(uid=digest, file=name, fmt=fmt, n_profiles=len(profiles), points=pts)
    st.session_state.pop("_all_points", None)
    dismissed.discard(digest)
    return len(pts)


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
        st.error(f"{f.name}: could not read the upload ({e}).", icon=":material/error:")
        continue
    digest = hashlib.sha256(data).hexdigest()[:16]
    if digest not in pending:
        run_import(digest, f.name, data, Overrides())

current = {hashlib.sha256(f.getvalue()).hexdigest()[:16] for f in files or []}
for digest in [d for d in pending if d not in current]:
    del pending[digest]  # the file was removed from the uploader; its added points stay until removed below

# ---------------------------------------------------------------------------------------------
# Per file: detected format, what it found, problems, and a form for what it lacks

for digest, entry in pending.items():
    res = entry["result"]
    with st.container(border=True, key=f"file_{digest}"):
        head = st.columns([3, 1, 1])
        head[0].markdown(f"**{entry['file']}**")
        if res is None:
            head[1].badge("error", color="red")
            st.error(f"{entry['file']}: {entry['error']}", icon=":material/error:")
            continue
        head[1].badge(res.format, color="blue" if res.format != "unknown" else "gray", icon=":material/description:")
        n_points = sum(len(p.points) for p in res.profiles)
        added = digest in c.uploads()
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
                    f"{entry['file']}: {len(errors)} problem(s)"
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
                        gpus = c.known_gpus()
                        given["gpu"] = col.selectbox(
                            "GPU",
                            gpus,
                            index=gpus.index("h100-sxm") if "h100-sxm" in gpus else 0,
                            format_func=c.gpu_name,
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
ups = c.uploads()
if not ups:
    st.caption("No uploaded points yet. The bundled data is used on every page.")
else:
    summary = pd.DataFrame(
        [
            {
                "file": u.file,
                "format": u.fmt,
                "profiles": u.n_profiles,
                "points": len(u.points),
                "gpus": ", ".join(sorted(set(u.points["gpu"]))),
                "models": ", ".join(sorted(set(u.points["model"]))),
                "modes": ", ".join(sorted(set(u.points["mode"]))),
                "concurrency": f"{u.points['concurrency'].min()}–{u.points['concurrency'].max()}",
                "uid": uid,
            }
            for uid, u in ups.items()
        ]
    )
    st.dataframe(summary.drop(columns=["uid"]), key="uploads_table", hide_index=True)
    for uid, u in list(ups.items()):
        if st.button(f"Remove {u.file}", key=f"rm_{uid}", icon=":material/delete:"):
            del ups[uid]
            dismissed.add(uid)
            st.session_state.pop("_all_points", None)
            st.rerun()
    if len(ups) > 1 and st.button("Remove all uploads", key="rm_all", icon=":material/delete_sweep:"):
        dismissed.update(ups)
        ups.clear()
        st.session_state.pop("_all_points", None)
        st.rerun()
    with st.expander("Uploaded points", icon=":material/table:"):
        st.dataframe(c.uploaded_points(), key="uploaded_points_table", hide_index=True)
