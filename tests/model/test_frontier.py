"""calculator.model.frontier: monotone interpolation, Pareto frontier, SLO filtering, cheapest mode, crossover.

Golden cases from the B200 SGLang sweep (facts/nemotron.md §7, vendor_internal): self-spec fp8 block 32
beats Qwen3-8B AR at concurrency 16 and loses at 32.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from calculator.data.catalog import Catalog, load_catalog, normalise_points
from calculator.model import frontier as fr
from calculator.model.cost import price_table
from calculator.model.operating import cheapest_operating_point, operating_points

SPEC_FP8_B32 = "b200-sweep-nld-8b-fp8-self_spec-b32"
QWEN_AR = "b200-sweep-qwen3-8b-bf16-ar"


@cache
def catalog() -> Catalog:
    return load_catalog()


def curve(profile_id: str, conc: list[int], out: list[float], **extra: object) -> pd.DataFrame:
    """A minimal points frame for one synthetic curve."""
    n = len(conc)
    df = pd.DataFrame(
        {
            "profile_id": profile_id,
            "gpu": extra.get("gpu", "b200"),
            "gpus_per_replica": extra.get("gpus_per_replica", 1),
            "model": extra.get("model", "m"),
            "mode": extra.get("mode", "ar"),
            "precision": "bf16",
            "provenance": extra.get("provenance", "uploaded"),
            "concurrency": conc,
            "output_tok_s": out,
        }
    )
    for k, v in extra.items():
        if k.endswith("_ms_p50"):
            df[k] = v if isinstance(v, list) else [v] * n
    return normalise_points(df)


# ---------------------------------------------------------------------------------------------
# Interpolation


def test_interpolation_passes_through_measured_points_and_labels_them() -> None:
    pts = curve("a", [1, 4, 16], [100.0, 350.0, 900.0])
    out = fr.interpolate_points(pts, [1, 2, 4, 8, 16])
    assert out["concurrency"].tolist() == [1, 2, 4, 8, 16]
    assert out["point_basis"].tolist() == ["data point", "interpolated", "data point", "interpolated", "data point"]
    measured = out[out["point_basis"] == "data point"]
    assert measured["output_tok_s"].tolist() == [100.0, 350.0, 900.0]


def test_interpolation_is_monotone_between_monotone_points() -> None:
    pts = fr.interpolate_points(catalog().points[catalog().points["profile_id"] == SPEC_FP8_B32])
    y = pts.sort_values("concurrency")["output_tok_s"].to_numpy()
    assert (np.diff(y) >= 0).all()
    # Shape-preserving: no overshoot above the next measured point.
    between = pts[(pts["concurrency"] > 16) & (pts["concurrency"] < 32)]["output_tok_s"]
    assert between.between(3470, 4236).all()


def test_interpolation_refuses_to_extrapolate() -> None:
    pts = curve("a", [2, 8], [200.0, 700.0])
    out = fr.interpolate_points(pts, [1, 2, 4, 8, 16, 64])
    assert out["concurrency"].tolist() == [2, 4, 8]
    assert "extrapolated" not in set(out["point_basis"])


def test_single_point_curve_yields_only_its_point() -> None:
    pts = curve("one", [1], [256.0])
    out = fr.interpolate_points(pts, [1, 2, 4])
    assert out["concurrency"].tolist() == [1]


def test_interpolated_latency_columns_follow_known_points_only() -> None:
    pts = curve("a", [1, 4], [100.0, 300.0], ttft_ms_p50=[50.0, 80.0])
    out = fr.interpolate_points(pts, [1, 2, 4])
    assert 50.0 < out.loc[out["concurrency"] == 2, "ttft_ms_p50"].item() < 80.0


def test_an_estimated_curve_is_never_interpolated_only_shown_where_it_was_estimated() -> None:
    """Issue 18: between two estimates the estimator's own figure differs from an interpolation (its running batch is
    capped by the KV cache), so an estimated curve has rows only where it was computed."""
    pts = curve("e", [1, 4], [100.0, 300.0], provenance="estimated")
    out = fr.interpolate_points(pts, [1, 2, 4])
    assert out["concurrency"].tolist() == [1, 4]
    assert out["point_basis"].tolist() == ["estimated", "estimated"]
    data = fr.interpolate_points(curve("d", [1, 4], [100.0, 300.0]), [1, 2, 4])
    assert data["point_basis"].tolist() == ["data point", "interpolated", "data point"]
    assert set(out["provenance"]) == {"estimated"}
    # the default grid keeps every estimated row, even where a data curve's range sets other steps
    both = pd.concat([curve("e", [1, 3, 128], [1.0, 2.0, 3.0], provenance="estimated"),
                      curve("d", [1, 4096], [1.0, 9.0])], ignore_index=True)  # fmt: skip
    dense = fr.interpolate_points(both)
    assert dense.loc[dense["profile_id"] == "e", "concurrency"].tolist() == [1, 3, 128]


def test_the_dense_grid_is_anchored_so_estimates_lie_on_every_grid() -> None:
    for hi in (128, 256, 4096):
        grid = set(fr.concurrency_grid(pd.DataFrame({"concurrency": [1, hi]})).tolist())
        assert set(fr.ESTIMATE_GRID) <= grid


# ---------------------------------------------------------------------------------------------
# Frontier and SLO


def test_pareto_frontier_drops_dominated_points() -> None:
    df = pd.DataFrame(
        {"g": ["x"] * 4, "tok_s_user": [100.0, 80.0, 60.0, 50.0], "output_tok_s_per_gpu": [100.0, 300.0, 250.0, 500.0]}
    )
    front = fr.pareto_frontier(df, by=["g"])
    assert sorted(front["output_tok_s_per_gpu"].tolist()) == [100.0, 300.0, 500.0]


def test_slo_filters_on_tokens_per_user_and_flags_unknown_ttft() -> None:
    pts = fr.with_rates(catalog().points[catalog().points["profile_id"] == QWEN_AR])
    checked = fr.slo_check(pts, fr.Slo(max_ttft_ms=500, min_tok_s_user=100))
    ok = checked[checked["meets_slo"]]
    assert ok["concurrency"].max() == 64  # 7906 / 64 = 123.5 tok/s/user; 128 gives 92
    assert (checked["slo_note"] == "TTFT not reported: target not checked").all()
    strict = fr.slo_check(pts, fr.Slo(max_ttft_ms=500), require_ttft=True)
    assert not strict["meets_slo"].any()


def test_operating_point_is_the_highest_throughput_meeting_the_slo() -> None:
    dense = fr.interpolate_points(catalog().points[catalog().points["profile_id"] == QWEN_AR])
    op = operating_points(dense, fr.Slo(min_tok_s_user=100))
    assert len(op) == 1
    row = op.iloc[0]
    assert row["tok_s_user"] >= 100
    assert 64 < row["concurrency"] < 128
    assert row["point_basis"] == "interpolated"


def test_cheapest_mode_meeting_targets_on_b200() -> None:
    c = catalog()
    pair = c.points[c.points["profile_id"].isin([SPEC_FP8_B32, QWEN_AR])]
    priced = price_table(fr.interpolate_points(pair), c.prices[c.prices["id"] == "aws-p6-b200.48xlarge-on_demand"])
    tight = cheapest_operating_point(priced, fr.Slo(min_tok_s_user=200), by=["gpu"])
    assert tight.iloc[0]["mode"] == "self_spec"  # AR reaches 200 tok/s/user only below concurrency 8
    loose = cheapest_operating_point(priced, fr.Slo(min_tok_s_user=50), by=["gpu"])
    assert loose.iloc[0]["mode"] == "ar"


# ---------------------------------------------------------------------------------------------
# Crossover (golden: B200 sweep)


def test_self_spec_fp8_b32_cheaper_than_qwen_ar_at_16_and_dearer_at_32() -> None:
    c = catalog()
    priced = price_table(c.points[c.points["profile_id"].isin([SPEC_FP8_B32, QWEN_AR])], c.prices)
    on_aws = priced[priced["offer_id"] == "aws-p6-b200.48xlarge-on_demand"].set_index(["profile_id", "concurrency"])
    cost = on_aws["usd_per_mtok_output"]
    assert cost[(SPEC_FP8_B32, 16)] < cost[(QWEN_AR, 16)]
    assert cost[(SPEC_FP8_B32, 32)] > cost[(QWEN_AR, 32)]
    # $/M ratio is the inverse throughput ratio at one price: 3027 / 3470.
    assert cost[(SPEC_FP8_B32, 16)] / cost[(QWEN_AR, 16)] == pytest.approx(3027 / 3470)


def test_crossover_between_16_and_32_on_b200() -> None:
    c = catalog()
    x = fr.crossover(fr.with_rates(c.points[c.points["gpu"] == "b200"]))
    row = x[(x["challenger_profile"] == SPEC_FP8_B32) & (x["baseline_profile"] == QWEN_AR)].iloc[0]
    assert row["status"] == "crosses"
    assert row["last_win_concurrency"] == 16
    assert row["first_loss_concurrency"] == 32
    assert 16 < row["crossover_concurrency"] < 32
    # Log-linear in the advantage: 3470/3027 at 16, 4236/5317 at 32.
    a16, a32 = 3470 / 3027, 4236 / 5317
    expected = 2 ** (4 + (a16 - 1) / (a16 - a32))
    assert row["crossover_concurrency"] == pytest.approx(expected)


def test_crossover_on_cost_matches_crossover_on_throughput_for_one_offer() -> None:
    c = catalog()
    pts = c.points[c.points["profile_id"].isin([SPEC_FP8_B32, QWEN_AR])]
    priced = price_table(pts, c.prices[c.prices["gpu"] == "b200"])
    by_cost = fr.crossover(priced, by=("gpu", "offer_id"), metric="usd_per_mtok_output", higher_is_better=False)
    by_tput = fr.crossover(fr.with_rates(pts))
    assert by_cost["crossover_concurrency"].to_numpy() == pytest.approx(
        np.full(len(by_cost), by_tput["crossover_concurrency"].iloc[0])
    )


def test_crossover_with_one_concurrency_says_so() -> None:
    c = catalog()
    x = fr.crossover(fr.with_rates(c.points[c.points["gpu"] == "gb200"]))
    assert not x.empty
    assert set(x["status"]) == {"one common concurrency or none"}
    assert x["crossover_concurrency"].isna().all()


def test_crossover_challenger_wins_throughout() -> None:
    pts = pd.concat(
        [curve("s", [1, 2, 4], [300.0, 500.0, 800.0], mode="self_spec"), curve("a", [1, 2, 4], [100.0, 200.0, 400.0])]
    )
    x = fr.crossover(fr.with_rates(pts))
    assert x.iloc[0]["status"] == "challenger wins throughout"
    assert np.isnan(x.iloc[0]["crossover_concurrency"])


def test_crossover_empty_without_both_modes() -> None:
    assert fr.crossover(fr.with_rates(curve("a", [1, 2], [1.0, 2.0]))).empty


def test_crossover_says_whether_the_pair_shares_a_precision() -> None:
    c = catalog()
    x = fr.crossover(fr.with_rates(c.points[c.points["gpu"] == "b200"]))
    fp8 = x[(x["challenger_profile"] == SPEC_FP8_B32) & (x["baseline_profile"] == QWEN_AR)].iloc[0]
    assert (fp8["challenger_precision"], fp8["baseline_precision"], fp8["like_precision"]) == ("fp8", "bf16", False)
    like = x[x["like_precision"]]
    assert not like.empty and (like["challenger_precision"] == "bf16").all()
    assert "crosses" in set(like["status"])  # bf16 self-spec vs bf16 AR cross too: the headline's pair


# ---------------------------------------------------------------------------------------------
# Point basis wording and what cannot be checked


def test_source_points_are_data_points_never_measured() -> None:
    vendor = catalog().points[catalog().points["profile_id"] == QWEN_AR]
    out = fr.interpolate_points(vendor)
    assert set(out["point_basis"]) == {"data point", "interpolated"}
    assert fr.POINT_BASES == ("data point", "interpolated", "estimated")


def test_unchecked_ttft_is_flagged_and_fails_when_required() -> None:
    pts = curve("a", [1, 2], [100.0, 180.0])
    loose = fr.slo_check(pts, fr.Slo(max_ttft_ms=100))
    assert loose["meets_slo"].all() and (loose["slo_note"] == fr.UNCHECKED_PASSED).all()
    strict = fr.slo_check(pts, fr.Slo(max_ttft_ms=100), require_ttft=True)
    assert not strict["meets_slo"].any() and (strict["slo_note"] == fr.UNCHECKED_FAILED).all()
    assert cheapest_operating_point(
        fr.with_rates(pts).assign(usd_per_mtok_output=1.0), fr.Slo(max_ttft_ms=100), require_ttft=True
    ).empty
    known = fr.slo_check(curve("b", [1, 2], [100.0, 180.0], ttft_ms_p50=[50.0, 150.0]), fr.Slo(max_ttft_ms=100))
    assert known["meets_slo"].tolist() == [True, False] and (known["slo_note"] == "").all()


def test_length_check_flags_curves_far_from_the_users_lengths() -> None:
    pts = catalog().points
    pts = pts[pts["dataset"].str.contains("SPEED-Bench")]  # the vendor curves; the independent ones state lengths
    at_32k = fr.length_check(pts, 32_000, 1024).set_index("profile_id")
    assert (at_32k["lengths_status"] == "differ").all()  # every SPEED-Bench curve ran ~300 tokens in
    row = at_32k.loc[QWEN_AR]  # ISL not stated, OSL 1024 stated: SPEED-Bench's typical input fills in
    assert row["profile_isl"] == fr.SPEED_BENCH_TYPICAL_ISL and row["profile_osl"] == 1024
    assert "SPEED-Bench typical" in row["lengths_basis"] and "32,000" in row["lengths_note"]
    assert (fr.length_check(pts, 1024, 1024)["lengths_status"] == "match").all()  # within 4x of ~300 / 640
    stated = curve("s", [1], [10.0]).assign(isl=2048, osl=256)
    assert fr.length_check(stated, 2048, 256)["lengths_status"].item() == "match"
    assert fr.length_check(stated, 2048, 2048)["lengths_status"].item() == "differ"  # OSL 8x
    unknown = curve("u", [1], [10.0])
    assert fr.length_check(unknown, 32_000, 1024)["lengths_status"].item() == "unknown"
    assert fr.length_check(unknown.iloc[0:0], 1, 1).empty
