"""The one rule for operating points (calculator/model/operating.py): never where the extra requests only queue behind a
KV-capped running batch; at equal throughput per GPU (within 2 %) the lowest concurrency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculator.model.frontier import Slo
from calculator.model.operating import EQUAL_THROUGHPUT, cheapest_operating_point, kv_capped, operating_points


def curve(conc, tok_s, running=None, *, pid="c", ttft=None, gpr=1):
    n = len(conc)
    return pd.DataFrame(
        {
            "profile_id": pid, "gpu": "h100-sxm", "model": "m", "mode": "ar", "precision": "bf16",
            "gpus_per_replica": gpr, "concurrency": conc, "output_tok_s": tok_s,
            "tpot_ms_p50": np.nan, "ttft_ms_p50": ttft if ttft is not None else [100.0] * n,
            **({"running_batch": running} if running is not None else {}),
        }
    )  # fmt: skip


def test_a_kv_capped_concurrency_is_never_the_operating_point():
    # throughput reaches its cap at 12 sequences; 16 and 32 only queue (higher by a hair from the interpolation)
    df = curve([4, 8, 12, 16, 32], [200.0, 380.0, 500.0, 510.0, 511.0], running=[4, 8, 12, 12, 12])
    assert kv_capped(df).tolist() == [False, False, False, True, True]
    op = operating_points(df, Slo())
    assert op["concurrency"].tolist() == [12]
    assert not op["kv_capped"].any()


def test_at_equal_throughput_the_lowest_concurrency_wins():
    # a data curve without a running batch: 64 is 1 % above 32, so 32 wins; 16 is 5 % below, so it does not
    df = curve([8, 16, 32, 64], [600.0, 950.0, 1000.0, 1010.0])
    assert operating_points(df, Slo())["concurrency"].tolist() == [32]
    # outside the tolerance the higher throughput wins
    df2 = curve([8, 16, 32, 64], [600.0, 950.0, 1000.0, 1000.0 / (1 - EQUAL_THROUGHPUT) + 5])
    assert operating_points(df2, Slo())["concurrency"].tolist() == [64]


def test_targets_come_first_and_a_curve_meeting_none_is_absent():
    df = curve([1, 2, 4], [100.0, 190.0, 360.0])  # tok/s per user 100, 95, 90
    assert operating_points(df, Slo(min_tok_s_user=94))["concurrency"].tolist() == [2]
    assert operating_points(df, Slo(min_tok_s_user=200)).empty


def test_the_cheapest_operating_point_prices_each_curve_at_its_operating_point():
    a = curve([8, 16, 32], [500.0, 995.0, 1000.0], pid="a")
    b = curve([8, 16], [400.0, 800.0], pid="b")
    priced = pd.concat([a, b], ignore_index=True)
    priced["offer_id"] = "x"
    priced["usd_per_mtok_output"] = 1e6 / priced["output_tok_s"] / 3600.0
    best = cheapest_operating_point(priced, Slo(), by=["gpu"])
    assert best["profile_id"].tolist() == ["a"] and best["concurrency"].tolist() == [16]
    assert best["usd_per_mtok_output"].iloc[0] == pytest.approx(1e6 / 995.0 / 3600.0)
