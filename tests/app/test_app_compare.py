"""AppTest: the Compare page renders on the bundled data and its widgets change the result."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str = "app_pages/compare.py") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page(page)
    return at.run()


def cheapest_value(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label.startswith("Cheapest here"))


def table(at: AppTest) -> pd.DataFrame:
    """The cost table (the dataframe with the ★ column)."""
    return next(d.value for d in at.dataframe if "star" in d.value.columns)


def test_compare_renders_without_exception() -> None:
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Compare cost per million tokens"
    assert cheapest_value(at).startswith("$")
    t = table(at)
    assert len(t) > 10
    assert {"usd_per_mtok_output", "badge", "source", "price_source", "price_as_of"} <= set(t.columns)
    provenance = {"measured here", "uploaded", "vendor-reported", "vendor internal", "community", "estimated"}
    assert all(b[0] in provenance for b in t["badge"])  # a provenance badge on every row


def test_utilisation_changes_dollars_per_million() -> None:
    at = open_page()
    full = table(at)["usd_per_mtok_output"].min()
    at.slider(key="util").set_value(50).run()
    assert not at.exception
    half = table(at)["usd_per_mtok_output"].min()
    assert half == pytest.approx(full * 2, rel=1e-9)
    headline = table(at).loc[lambda t: t["meets_floor"].astype(bool), "usd_per_mtok_output"].min()  # the tps floor
    assert cheapest_value(at) == f"${headline:,.3f}"


def test_tier_filter_changes_rows() -> None:
    at = open_page()
    on_demand = table(at)
    assert set(on_demand["tier_label"]) == {"on-demand"}
    at.multiselect(key="c_tier").set_value(["on_demand", "spot", "owned"]).run()
    assert not at.exception
    more = table(at)
    assert len(more) > len(on_demand)
    assert {"spot", "owned (TCO)"} <= set(more["tier_label"])


def test_cheapest_per_gpu_is_marked() -> None:
    t = table(open_page())
    stars = t[t["star"] == "★"]
    assert sorted(stars["gpu"]) == sorted(t["gpu"].unique())


def test_concurrency_and_denominator_change_the_table() -> None:
    at = open_page()
    at.selectbox(key="c_conc").set_value("32").run()
    t = table(at)
    assert set(t["concurrency"]) == {32}
    at.selectbox(key="denom").set_value("total tokens").run()
    assert not at.exception
    assert "usd_per_mtok_total" in table(at).columns
    assert "$/M total tokens" in cheapest_label(at)


def cheapest_label(at: AppTest) -> str:
    return next(m.label for m in at.metric if m.label.startswith("Cheapest here"))


def test_bad_url_values_fall_back_instead_of_crashing() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["c_conc"] = "not-a-number"
    at.query_params["util"] = "9999"
    at.query_params["c_gpu"] = ["no-such-gpu"]
    at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""


def test_default_view_shows_each_curve_at_its_best_point_beside_concurrency_1() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["tps"] = "0"  # no tok/s-per-user floor: each curve at its unconstrained operating point
    at.switch_page("app_pages/compare.py")
    at.run()
    assert at.selectbox(key="c_conc").value == "best"
    t = table(at)
    assert "usd_at_c1" in t.columns
    b200 = t[(t["gpu"] == "b200") & t["profile_id"].str.startswith("b200-sweep")]
    assert set(b200["concurrency"]) == {128}  # the sweep's busiest point is its cheapest
    def money(col: pd.Series) -> pd.Series:  # text where other curves (no concurrency-1 point) show '—'
        return pd.to_numeric(col.astype(str).str.replace(r"[$,]", "", regex=True))

    assert (money(b200["usd_at_c1"]) > money(b200["usd_per_mtok_output"]) * 3).all()  # batch 1 far dearer per token
    batch1 = t[t["profile_id"].str.startswith("fig9-gb200")]
    assert not batch1.empty and (batch1["data_at"] == "1 only").all()
    captions = " ".join(x.value for x in at.caption)
    assert "concurrency 1" in captions and "under load" in captions


def test_estimated_rows_for_gpus_without_data_are_badged_with_their_error() -> None:
    at = open_page()
    assert at.toggle(key="c_est").value is True
    t = table(at)
    est = t[t["provenance"] == "estimated"]
    assert {"h100-sxm", "a100-80gb", "h200"} <= set(est["gpu"])
    assert all(list(b) == ["estimated"] for b in est["badge"])
    assert est["est_error"].str.startswith("±").all()
    assert est["source"].str.contains("estimated").all()  # the basis is the source
    assert (t.loc[t["provenance"] != "estimated", "est_error"] == "").all()
    at.toggle(key="c_est").set_value(False).run()
    assert not at.exception
    assert not (table(at)["provenance"] == "estimated").any()


def test_prerelease_rows_carry_a_visible_marker() -> None:
    t = table(open_page())
    nld_sweep = t[t["profile_id"].str.startswith("b200-sweep-nld")]
    assert not nld_sweep.empty
    assert all("pre-release checkpoint" in list(b) for b in nld_sweep["badge"])
    qwen_sweep = t[t["profile_id"].str.startswith("b200-sweep-qwen3")]
    assert all("pre-release checkpoint" not in list(b) for b in qwen_sweep["badge"])


def test_shared_gpu_filter_keeps_every_gpu_and_bad_values_are_reported() -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["c_gpu"] = ["h100-sxm", "b200"]
    at.query_params["c_tier"] = ["on_demand", "gold"]
    at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception
    assert at.multiselect(key="c_gpu").value == ["h100-sxm", "b200"]
    assert set(table(at)["gpu"]) == {"h100-sxm", "b200"}
    infos = " ".join(i.value for i in at.info)
    assert "c_tier" in infos and "gold" in infos


def test_no_measured_wording_for_vendor_rows() -> None:
    at = open_page()
    text = " ".join([*(x.value for x in at.caption), *(m.label + m.value for m in at.metric)])
    assert "(measured)" not in text and "measured range" not in text


def test_chart_is_one_toggle_away_and_not_sent_on_first_render() -> None:
    """The Plotly chart costs ~2.4 s of browser time on first render, so the landing page sends the table only."""
    at = open_page()
    assert not at.get("plotly_chart")
    at.toggle(key="c_chart").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1


def test_the_community_provenance_filter_keeps_only_independent_rows() -> None:
    """Issue 10: the independent data shows up with its badge, and the provenance filter can pick it alone."""
    at = open_page()
    assert "community" in at.multiselect(key="c_prov").options
    at.multiselect(key="c_tier").set_value(["on_demand", "spot", "owned"]).run()
    at.multiselect(key="c_prov").set_value(["community"]).run()
    at.multiselect(key="models").set_value([]).run()  # AccelMark measured Llama-3-8B: every model, on request
    assert not at.exception
    t = table(at)
    assert len(t) > 0
    assert {b[0] for b in t["badge"]} == {"community"}
    assert {"a100-80gb", "h100-sxm"} <= set(t["gpu"])  # AccelMark's GPUs, priced


def test_the_offer_is_in_the_first_visible_columns() -> None:
    """Walkthrough: rows of one curve that differ only by provider looked identical, the provider column being
    off-screen. Provider and tier now sit beside the cost, among the first columns shown."""
    at = open_page()
    grid = next(d for d in at.dataframe if "star" in d.value.columns)
    order = list(grid.proto.column_order)
    assert "provider" in order[:10] and "tier_label" in order[:10], order
    assert order.index("provider") == order.index("usd_per_mtok_output") + 1
