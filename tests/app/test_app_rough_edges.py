"""Rough edges of issue 18 item 8, each pinned: a reload's loss of session data is said (and that shared links do not
carry it); the cost denominator's lack of effect on Capacity is said."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize(
    ("page", "what"),
    [("app_pages/measurements.py", "Uploaded files"), ("app_pages/prices.py", "private quotes")],
)
def test_session_only_data_says_a_reload_drops_it_and_links_exclude_it(page: str, what: str) -> None:
    at = open_page(page)
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert what in text and "reload" in text and "shared link does not carry" in text


def test_capacity_says_the_cost_denominator_does_not_apply() -> None:
    at = open_page("app_pages/capacity.py", denom="total tokens")
    assert not at.exception
    assert any("cost denominator" in i.value and "does not apply" in i.value for i in at.info)
    at = open_page("app_pages/capacity.py")
    assert not any("cost denominator" in i.value for i in at.info)


def test_compare_rows_show_their_lengths_and_the_link_carries_isl_osl() -> None:
    at = open_page("app_pages/compare.py", isl="32768", osl="1024")
    assert not at.exception
    t = next(d.value for d in at.dataframe if "star" in d.value.columns)
    assert "lengths" in t.columns
    est = t[t["badge"].map(lambda b: "estimated" in list(b))]
    assert not est.empty and (est["lengths"] == "32,768 / 1,024").all()
    assert at.query_params["isl"] in ("32768", ["32768"]) and at.query_params["osl"] in ("1024", ["1024"])


def test_no_crossover_jargon_on_scenario() -> None:
    at = open_page("app_pages/scenario.py", gpu="h100-sxm", isl="32768", osl="1024")
    assert not at.exception
    texts = [c.value for c in at.caption] + [m.value for m in at.markdown]
    tables = [d.value for d in at.dataframe if "status" in d.value.columns]
    words = " ".join(texts) + " ".join(" ".join(map(str, t["status"])) for t in tables)
    assert "challenger" not in words and "wins throughout" not in words


def _compare_table(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "star" in d.value.columns)


def test_compare_has_a_tok_s_per_user_floor_the_headline_respects_and_the_link_carries() -> None:
    # No floor: the headline may be a batch-saturated point far below interactive speed (issue: 2.2 tok/s per user).
    at = open_page("app_pages/compare.py", tps="0")
    assert not at.exception
    low = _compare_table(at)
    starred_low = low[low["cheapest_on_gpu"]]
    assert (pd.to_numeric(starred_low["tok_s_user"], errors="coerce") < 30).any()
    # A floor of 30: no starred row and no headline below it; rows below it are still listed, marked.
    at = open_page("app_pages/compare.py", tps="30")
    assert not at.exception
    t = _compare_table(at)
    user = pd.to_numeric(t["tok_s_user"], errors="coerce")
    assert (user[t["cheapest_on_gpu"]] >= 30).all() and t["cheapest_on_gpu"].any()
    assert "meets_floor" in t.columns and not t.loc[user < 30, "meets_floor"].any()
    top = next(m for m in at.metric if m.label.startswith("Cheapest here"))
    eligible = t[t["meets_floor"].astype(bool)]
    cost = pd.to_numeric(eligible["usd_per_mtok_output"].astype(str).str.lstrip("$"), errors="coerce")
    assert top.value == f"${cost.min():.3f}" or top.value.startswith(f"${cost.min():.2f}")
    assert at.number_input(key="tps").value == 30
    assert at.query_params["tps"] in ("30", ["30"])
    assert any(">= 30 tok/s per user" in c.value for c in at.caption)


def _export(downloads: dict[str, Callable[[], bytes]], **query: str) -> tuple[AppTest, str]:
    downloads.clear()
    at = open_page("app_pages/export.py", **query)
    assert not at.exception
    return at, next(n for n in downloads if n.endswith(".csv"))[: -len(".csv")]


def test_export_file_names_carry_the_lengths(downloads: dict[str, Callable[[], bytes]]) -> None:
    _, short = _export(downloads, gpu="h100-sxm")
    _, long = _export(downloads, gpu="h100-sxm", isl="32768", osl="1024")
    assert short.endswith("_isl1024_osl1024") and long.endswith("_isl32768_osl1024") and short != long


def test_export_rows_carry_the_estimate_error_and_a_filled_target_check(
    downloads: dict[str, Callable[[], bytes]],
) -> None:
    _, stem = _export(downloads, gpu="h100-sxm", tps="50", ttft="2000")
    csv = pd.read_csv(io.BytesIO(downloads[f"{stem}.csv"]()))
    # (b) target_check says, on every row, whether the row meets the tok/s-per-user and TTFT targets
    assert csv["target_check"].notna().all() and (csv["target_check"].astype(str).str.len() > 0).all()
    assert csv["target_check"].str.contains("tok/s per user").all()
    met = csv["meets_targets"].astype(bool)
    assert csv.loc[met, "target_check"].str.startswith("meets").all()
    assert csv.loc[~met, "target_check"].str.startswith("fails").all() and (~met).any() and met.any()
    # (a) the estimator's one error figure per estimated row (held-out source, per mode; estimates are for SGLang), as a
    # $ range, the same figure every page shows
    from calculator.answers.checks import error_pct, usd_range
    from calculator.answers.estimate_errors import estimate_errors
    from calculator.data.catalog import load_catalog

    errors = estimate_errors(load_catalog())
    est = csv[csv["provenance"] == "estimated"]
    assert not est.empty and est["est_error_pct"].notna().all()
    assert csv.loc[csv["provenance"] != "estimated", "est_error_pct"].isna().all()
    r = est.iloc[0]
    assert r["est_error_pct"] == pytest.approx(error_pct(errors, r["mode"]))
    low, high = usd_range(r["usd_per_mtok_output"], r["est_error_pct"])
    assert (r["usd_per_mtok_output_low"], r["usd_per_mtok_output_high"]) == pytest.approx((low, high))


def test_export_json_carries_sources_and_prices(downloads: dict[str, Callable[[], bytes]]) -> None:
    _, stem = _export(downloads, gpu="gb200")
    doc = json.loads(downloads[f"{stem}.json"]())
    row = doc["rows"][0]
    for field in ("source", "provenance", "as_of", "offer_id", "tier", "usd_per_gpu_hour", "price_as_of"):
        assert field in row and row[field] not in (None, ""), field
    assert doc["prices"] and {"id", "usd_per_gpu_hour", "as_of"} <= set(doc["prices"][0])
    offers = {p["id"] for p in doc["prices"]}
    assert {r["offer_id"] for r in doc["rows"]} <= offers
    kinds = {s["what"] for s in doc["sources"]}
    assert kinds == {"throughput", "price"}
    assert {r["profile_id"] for r in doc["rows"]} <= {s["id"] for s in doc["sources"] if s["what"] == "throughput"}


def _hardware_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "gpu_name" in d.value.columns and "kind" in d.value.columns)


def test_hardware_has_length_inputs_that_follow_the_scenario_and_move_its_estimates() -> None:
    short = open_page("app_pages/hardware.py", hw_model="qwen3-8b", hw_conc="8")
    long = open_page("app_pages/hardware.py", hw_model="qwen3-8b", hw_conc="8", isl="32768", osl="1024")
    assert not short.exception and not long.exception
    assert long.number_input(key="isl").value == 32768 and long.number_input(key="osl").value == 1024
    a, b = _hardware_table(short), _hardware_table(long)
    est_a, est_b = a[a["kind"] == "estimated"].set_index("gpu"), b[b["kind"] == "estimated"].set_index("gpu")
    gpu = sorted(set(est_a.index) & set(est_b.index))[0]
    assert est_b.loc[gpu, "lengths"] == "32,768 / 1,024" and est_a.loc[gpu, "lengths"] == "1,024 / 1,024"
    tok = lambda t: float(str(t.loc[gpu, "output_tok_s_per_gpu"]).replace(",", ""))  # noqa: E731
    assert tok(est_b) < tok(est_a)  # a 32K prompt per request: fewer output tokens per second
    assert any("ISL/OSL 32,768/1,024" in c.value for c in long.caption)


def test_forward_passes_cells_show_a_dash_with_a_reason_never_none() -> None:
    at = open_page("app_pages/forward_passes.py")
    assert not at.exception
    gaps = 0
    for attention in ("causal", "block"):
        at.segmented_control(key="fp_attention").set_value(attention).run()
        t = at.dataframe[0].value
        assert not t.isna().any().any(), t[t.isna().any(axis=1)]  # a NaN/None cell renders as "None"
        gaps += int((t.astype(str) == "—").sum().sum())
        if (t.astype(str) == "—").any().any():
            assert any(c.value.startswith("— means not available:") for c in at.caption)
    assert gaps  # the bundled surface has missing p10/p90 and achieved figures


BARE_INTEGER = re.compile(r"(?<![\w.,/#=-])\d{5,}(?![\w.,])")  # 5+ digits with no separators (not ids, URLs, dates)


def _texts(at: AppTest) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "metric", "subheader"):
        out += [f"{getattr(e, 'label', '')} {getattr(e, 'value', '')}" for e in getattr(at, kind)]
    for d in at.dataframe:
        v = d.value
        out += [str(x) for c in v.columns if v[c].dtype == object for x in v[c].head(100)]
    return out


@pytest.mark.parametrize("page", ["app_pages/capacity.py", "app_pages/scenario.py", "app_pages/compare.py"])
def test_large_integers_are_shown_with_separators(page: str) -> None:
    at = open_page(page, vol="10000000000")
    assert not at.exception
    bare = [t[:120] for t in _texts(at) if BARE_INTEGER.search(t)]
    assert not bare, bare
    if page.endswith("capacity.py"):
        assert at.number_input(key="vol").value == 1e10
        assert any("10,000,000,000 output tokens per day" in c.value for c in at.caption)


MULTINODE = Path("/work/shared/real_results/vllm/inferencex_multinode_gptoss120b_c32.json")


def _upload(name: str, data: bytes) -> AppTest:
    at = open_page("app_pages/measurements.py")
    at.file_uploader(key="upload_files").set_value([(name, data, "application/json")])
    return at.run()


@pytest.mark.skipif(not MULTINODE.exists(), reason="the shared real result files are not here")
def test_multinode_upload_says_its_gpu_count_in_the_open_and_reads_it_from_the_file() -> None:
    raw = json.loads(MULTINODE.read_bytes())
    # The file states no parallelism: the assumed 1 GPU per replica is a visible warning, not only a collapsed panel.
    at = _upload("multinode.json", MULTINODE.read_bytes())
    assert not at.exception
    in_panels = {x.value for e in at.expander for x in e.warning}
    shown = [w.value for w in at.warning if "GPUs per replica" in w.value and w.value not in in_panels]
    assert shown and "assumed 1" in shown[0]
    assert any(k.startswith("sup_gpr_") for k in (n.key for n in at.number_input))  # and the form asks for it
    # The run states TP 8 over 2 nodes (vLLM --metadata): 16 GPUs per replica by default, no warning, not asked.
    at = _upload("multinode-tp8.json", json.dumps({**raw, "tp": "8", "nnodes": "2"}).encode())
    assert not at.exception
    assert not any("GPUs per replica" in w.value for w in at.warning)
    assert not any(k.startswith("sup_gpr_") for k in (n.key for n in at.number_input))
    from calculator.data.importers import Overrides, import_bytes

    res = import_bytes(
        json.dumps({**raw, "tp": "8", "nnodes": "2"}).encode(), "m.json", Overrides(gpu="h100-sxm", mode="ar")
    )
    assert [(p.gpus_per_replica, p.tp, p.pp) for p in res.profiles] == [(16, 8, 2)]


@pytest.mark.skipif(not MULTINODE.exists(), reason="the shared real result files are not here")
def test_an_uploaded_files_own_date_is_its_measurement_date_and_the_upload_date_is_shown_apart() -> None:
    from datetime import date

    at = _upload("multinode.json", MULTINODE.read_bytes())  # "date": "20260428-094424" inside
    key = next(iter(at.session_state["pending"]))
    at.selectbox(key=f"sup_gpu_{key}").set_value("h100-sxm")
    at.selectbox(key=f"sup_mode_{key}").set_value("ar")
    at.button(key=f"apply_{key}").click().run()
    assert not at.exception
    (u,) = at.session_state["uploads"].values()
    assert set(u.points["as_of"]) == {"2026-04-28"}
    summary = next(d.value for d in at.dataframe if "uploaded" in d.value.columns)
    today = date.today().isoformat()
    assert list(summary["measured"]) == ["2026-04-28"] and list(summary["uploaded"]) == [today]
    assert all(f"uploaded {today}" in str(n) for n in u.points["provenance_notes"])


@pytest.mark.parametrize(
    "page",
    [
        "app_pages/compare.py",
        "app_pages/scenario.py",
        "app_pages/capacity.py",
        "app_pages/hardware.py",
        "app_pages/export.py",
        "app_pages/forward_passes.py",
    ],
)
def test_tables_show_gpu_names_never_bare_ids(page: str) -> None:
    from calculator.data.catalog import load_catalog

    ids = {g.id for g in load_catalog().gpu_specs}
    at = open_page(page, gpu="h100-sxm")
    assert not at.exception
    seen = 0
    for d in at.dataframe:
        v = d.value
        for c in list(d.proto.column_order) or list(v.columns):  # the columns a user sees
            if c in v:
                seen += 1
                bare = v[c].astype(str).isin(ids)
                assert not bare.any(), (page, c, sorted(set(v.loc[bare, c].astype(str))))
    assert seen
