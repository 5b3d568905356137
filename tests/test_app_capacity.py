"""AppTest: the Capacity page sizes a fleet, and volume, targets and the API price change the answer."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("app_pages/capacity.py")
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_capacity_renders_bill_gpus_and_break_even() -> None:
    at = open_page()
    assert not at.exception
    m = metrics(at)
    assert m["Cheapest monthly bill"].startswith("$")
    assert int(m["GPUs"].replace(",", "")) >= 1
    plans = next(d.value for d in at.dataframe if "monthly_usd" in d.value.columns)
    assert (plans["replicas"] >= 1).all()
    assert any("Break-even" in s.value for s in at.success) or at.warning


def test_more_volume_needs_more_gpus() -> None:
    at = open_page()
    small = int(metrics(at)["GPUs"].replace(",", ""))
    at.number_input(key="vol").set_value(2e10).run()
    assert not at.exception
    assert int(metrics(at)["GPUs"].replace(",", "")) > small


def test_per_month_is_smaller_than_per_day() -> None:
    at = open_page()
    per_day = metrics(at)["Cheapest monthly bill"]
    at.segmented_control(key="vol_unit").set_value("month").run()
    assert not at.exception
    assert metrics(at)["Cheapest monthly bill"] != per_day


def test_api_price_moves_the_break_even() -> None:
    at = open_page()
    at.number_input(key="api_out").set_value(0.01).run()
    at.number_input(key="api_in").set_value(0.0).run()
    assert not at.exception
    assert any("never breaks even" in w.value for w in at.warning)


def test_impossible_demand_is_explained_not_raised() -> None:
    at = open_page(peak="6", peak_h="8")  # 6 x 8 h > 24 h of average demand
    assert not at.exception
    assert any("Demand" in e.value for e in at.error)


def test_mixed_plan_shown_where_it_helps() -> None:
    # 1e10 output tokens/month at >= 100 tok/s/user: AR at peak, a faster mode off-peak at the same cost.
    at = open_page(vol="10000000000", vol_unit="month", tps="100", cap_gpu=["b200"])
    assert not at.exception
    mixed = [d.value for d in at.dataframe if "mixed_monthly_usd" in d.value.columns]
    assert mixed and (mixed[0]["benefit"] != "").all()
