"""calculator.present.links: which values a link may give each input, and the scenario read back from a link."""

from __future__ import annotations

import pytest

from calculator.answers.scenario import ScenarioInputs
from calculator.present.links import (
    context_label,
    invalid_values,
    parse_context,
    parse_param,
    scenario_from,
    url_params,
)


@pytest.mark.parametrize(
    ("key", "value"),
    [("isl", "-5"), ("osl", "99999999"), ("isl", "inf"), ("isl", "1e400"), ("isl", "1.5"), ("vol", "5"),
     ("ttft", "-inf"), ("peak", "nan"), ("ctx", "7K"), ("ctx", "infK"), ("cat", "poetry"), ("size", "70B"),
     ("strict", "maybe"), ("denom", "tokens")],
)  # fmt: skip
def test_a_value_no_widget_may_take_is_invalid(key, value):
    assert [(k, v) for k, v, _ in invalid_values({key: [value]})] == [(key, value)]


def test_good_values_and_page_dependent_keys_pass():
    good = {"isl": ["2048"], "ctx": ["64K"], "size": ["14B"], "util": ["70"], "strict": ["false"], "gpu": ["zzz"]}
    assert invalid_values(good) == []  # gpu is checked by the page, against its own options


def test_context_round_trips_and_a_scenario_round_trips_through_its_url():
    assert context_label(None) == "auto" and context_label(65536) == "64K"
    assert parse_context("64k") == 65536 and parse_context("auto") is None
    with pytest.raises(ValueError):
        parse_context("7K")
    inputs = ScenarioInputs(gpu="h100-sxm", isl=2048, ctx=32768, tps=20.0, strict=False, base="own")
    params = url_params(inputs)
    assert params == {"gpu": "h100-sxm", "isl": "2048", "ctx": "32K", "tps": "20", "strict": "false", "base": "own"}
    d = ScenarioInputs()
    back = scenario_from(
        lambda k, default: parse_param(params[k], default) if k in params else default, parse_context(params["ctx"])
    )
    assert back == inputs and d == scenario_from(lambda k, default: default, None)


def test_values_from_a_session_are_kept_in_the_widgets_ranges():
    wild = {"isl": 10**9, "tps": -3.0, "util": 1, "size": "70B", "tier": "gold", "base": "x"}
    s = scenario_from(lambda k, default: wild.get(k, default), None)
    assert (s.isl, s.tps, s.util, s.size, s.tier, s.base) == (1_000_000, 0.0, 5, "8B", "on_demand", "qwen3-8b")
