"""The estimator (calculator/estimate.py): roofline terms, the fit to the bundled points, the published
shape (self-speculation vs AR crossover on B200), context and memory behaviour, leave-one-out, the CLI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.__main__ import main
from calculator.catalog import POINTS_COLUMNS, load_catalog, load_models
from calculator.cost import price_table
from calculator.estimate import (
    DEFAULTS,
    EXTRA_COLUMNS,
    HEADLINE_COLUMNS,
    LOO_COLUMNS,
    TPF_PUBLISHED_CONTEXT_TOKENS,
    error_summary,
    estimate_points,
    fit,
    forward_time_s,
    gpu_family,
    headline_errors,
    leave_one_out,
    model_cost,
)
from calculator.schema import DeviceInfo, ForwardCost, ForwardPoint, Provenance

CATALOG = load_catalog()
MODELS = load_models()
SPEED_BENCH = {"isl": 300, "osl": 640}  # the lengths the bundled SPEED-Bench profiles ran at (means)
SWEEP = [1, 2, 4, 8, 16, 32, 64, 128]


@pytest.fixture(scope="module")
def loo() -> pd.DataFrame:
    return leave_one_out(CATALOG)


def vendor_point(gpu: str, model: str, mode: str, precision: str) -> float:
    p = CATALOG.points
    row = p[(p.gpu == gpu) & (p.model == model) & (p["mode"] == mode) & (p.precision == precision)]
    row = row[~row.engine.str.contains("custom")]
    assert len(row) == 1, row
    return float(row.output_tok_s.iloc[0])


def timing(**overrides: float) -> float:
    args = {
        "batch": 1.0,
        "query_tokens": 1.0,
        "context_tokens": 1000.0,
        "block_attention": False,
        "weight_bytes": 16e9,
        "kv_bytes_per_token": 139264.0,
        "activation_bytes_per_token": 4e6,
        "dense_flops_per_token": 17e9,
        "attention_flops_per_token_ctx": 557056.0,
        "hbm_bytes_s": 3.35e12,
        "peak_flops_s": 989e12,
        "eta_bw": 0.8,
        "eta_fl": 0.5,
        "overhead_s": 1e-3,
        "overhead_per_seq_s": 1e-5,
    }
    args.update(overrides)
    return float(forward_time_s(**args))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Roofline terms


def test_model_cost_counts_layers_at_the_precision_and_the_lm_head_in_bf16():
    arch = MODELS["nld-8b"].arch
    bf16, fp8, int4 = (model_cost(arch, p) for p in ("bf16", "fp8", "int4_awq"))
    head = arch.vocab_size * arch.hidden_size
    layers = arch.params - 2 * head
    assert bf16.weight_bytes == pytest.approx(2 * (layers + head))
    assert fp8.weight_bytes == pytest.approx(layers + 2 * head)  # LM head stays bf16
    assert int4.weight_bytes < fp8.weight_bytes < bf16.weight_bytes
    assert bf16.memory_bytes == pytest.approx(bf16.weight_bytes + 2 * head)  # + the embedding, held not read
    assert bf16.kv_bytes_per_token == MODELS["nld-8b"].kv_bytes_per_token_bf16 == 139264
    assert model_cost(arch, "bf16", kv_precision="fp8").kv_bytes_per_token == 139264 / 2
    assert (bf16.compute_class, fp8.compute_class, int4.compute_class) == ("bf16", "fp8", "bf16")
    with pytest.raises(ValueError, match="unknown precision"):
        model_cost(arch, "fp3")


def test_forward_time_is_overhead_plus_the_larger_roofline_term():
    memory_bound = timing(batch=1.0)
    assert memory_bound == pytest.approx(1e-3 + 1e-5 + (16e9 + 1001 * 139264 + 4e6) / (3.35e12 * 0.8))
    compute_bound = timing(batch=512.0, query_tokens=32.0)
    flops = 512 * 32 * (17e9 + 557056 * (1000 + 16))
    assert compute_bound == pytest.approx(1e-3 + 512 * 1e-5 + flops / (989e12 * 0.5))


@settings(max_examples=80, deadline=None)
@given(
    key=st.sampled_from(["weight_bytes", "kv_bytes_per_token", "dense_flops_per_token", "context_tokens", "batch"]),
    base=st.floats(1.0, 1e3),
    factor=st.floats(1.0, 8.0),
    batch=st.sampled_from([1.0, 16.0, 256.0]),
    q=st.sampled_from([1.0, 32.0]),
)
def test_forward_time_is_monotone_in_bytes_and_flops(key, base, factor, batch, q):
    scale = {"weight_bytes": 1e7, "kv_bytes_per_token": 1e3, "dense_flops_per_token": 1e7, "context_tokens": 10.0}
    unit = scale.get(key, 1.0)
    common = {"batch": batch, "query_tokens": q}
    low = timing(**{**common, key: base * unit})
    high = timing(**{**common, key: base * unit * factor})
    assert high >= low


def test_gpu_families():
    assert [gpu_family(CATALOG.gpu(g)) for g in ("h100-sxm", "b200", "a100-80gb", "l40s", "mi300x")] == [
        "hopper",
        "blackwell",
        "ampere",
        "ada",
        "amd",
    ]
    odd = CATALOG.gpu("h200").model_copy(update={"id": "my-gpu", "name": "Mystery accelerator"})
    assert gpu_family(odd) == "other"


# ---------------------------------------------------------------------------------------------
# The fit


def test_fit_uses_the_bundled_points_and_stays_physical():
    result = fit(CATALOG)
    assert result.n_points >= 60
    assert {"b200", "gb200", "rtx-pro-6000", "dgx-spark"} <= set(result.gpus)
    for eff in [result.pooled, *result.families.values(), *result.gpus.values()]:
        assert 0.3 < eff.eta_bw < 1.0 and 0.1 < eff.eta_fl < 1.0
        assert 0.1 < eff.overhead_ms < 10.0
    assert 1.0 <= result.fp8_gain <= 2.0
    assert any("qwen3.5-9b" in why for why in result.excluded)  # no architecture: listed, not silently dropped
    assert fit(CATALOG) is result  # cached by content


def test_no_data_means_the_documented_defaults():
    empty = dataclasses.replace(CATALOG, points=CATALOG.points.iloc[0:0], forward_costs=[])
    result = fit(empty)
    assert result.n_points == 0
    eff, basis = result.efficiency(CATALOG.gpu("h100-sxm"))
    assert eff == DEFAULTS and "defaults" in basis


def test_a_measured_forward_surface_pins_its_gpus_efficiency():
    """Synthetic H100 surface timed with η_bw 0.88, η_fl 0.65: the fit recovers them for H100 (a family
    with no serving data) and the bare-forward overhead does not leak into the serving overhead."""
    arch = MODELS["nld-8b"].arch
    cost = model_cost(arch, "bf16")
    spec = CATALOG.gpu("h100-sxm")
    points = []
    for b in (1, 4, 16, 64, 256):
        for q in (1, 32):
            for ctx in (0, 4096):
                t = forward_time_s(
                    batch=b,
                    query_tokens=q,
                    context_tokens=ctx,
                    block_attention=False,
                    weight_bytes=cost.weight_bytes,
                    kv_bytes_per_token=cost.kv_bytes_per_token,
                    activation_bytes_per_token=cost.activation_bytes_per_token,
                    dense_flops_per_token=cost.dense_flops_per_token,
                    attention_flops_per_token_ctx=cost.attention_flops_per_token_ctx,
                    hbm_bytes_s=spec.hbm_tb_s * 1e12,
                    peak_flops_s=spec.bf16_tflops * 1e12,
                    eta_bw=0.88,
                    eta_fl=0.65,
                    overhead_s=0.2e-3,
                )
                points.append(
                    ForwardPoint(
                        batch=b, query_tokens=q, context_tokens=ctx, attention="causal", time_ms_median=float(t) * 1e3
                    )
                )
    surface = ForwardCost(
        id="synthetic-h100",
        gpu="h100-sxm",
        device=DeviceInfo(name="NVIDIA H100 80GB HBM3"),
        model="nld-8b",
        arch=arch,
        precision="bf16",
        provenance=Provenance(kind="measured", source="synthetic test surface", date="2026"),
        points=points,
    )
    result = fit(dataclasses.replace(CATALOG, forward_costs=[surface]))
    h100 = result.gpus["h100-sxm"]
    assert h100.eta_bw == pytest.approx(0.88, abs=0.05)
    assert h100.eta_fl == pytest.approx(0.65, abs=0.08)
    assert h100.overhead_ms > 0.5  # serving overhead, not the bare forward's 0.2 ms


# ---------------------------------------------------------------------------------------------
# The published shape and the vendor's batch-1 numbers


def test_b200_self_spec_beats_qwen3_ar_at_low_concurrency_and_loses_at_high():
    """On B200: NLD-8B self-spec (block 32, fp8, TPF 3.28 from the sweep) vs Qwen3-8B AR (bf16). The B200
    parameters are fitted on the B200 sweep (this pins the published shape, it does not predict it)."""
    ss = estimate_points(
        CATALOG,
        ["b200"],
        "nld-8b",
        "self_spec",
        concurrency=SWEEP,
        precision="fp8",
        block_size=32,
        tpf=3.28,
        **SPEED_BENCH,
    )
    ar = estimate_points(CATALOG, ["b200"], "qwen3-8b", "ar", concurrency=SWEEP, precision="bf16", **SPEED_BENCH)
    ratio = ss.output_tok_s.to_numpy() / ar.output_tok_s.to_numpy()
    assert np.all(ratio[:4] > 1.0)  # 1..8 concurrent requests: self-spec wins
    assert np.all(ratio[-2:] < 1.0)  # 64, 128: AR wins
    crossover = SWEEP[int(np.argmax(ratio < 1.0))]
    assert 8 < crossover <= 64


def sweep_points(precision: str, block: int) -> pd.DataFrame:
    p = CATALOG.points
    return p[
        (p.gpu == "b200") & (p.model == "nld-8b") & (p["mode"] == "self_spec")
        & (p.precision == precision) & (p.block_size == block)
    ].sort_values("concurrency")  # fmt: skip


@pytest.mark.parametrize(("precision", "block"), [("fp8", 32), ("bf16", 32), ("fp8", 64), ("bf16", 64)])
def test_b200_self_spec_estimate_reproduces_the_sweep_within_25_percent(precision, block):
    """With B200 in the fit, the default estimate (no TPF given: the sweep's measured TPF and engine time per
    cycle, as every SGLang serving estimate uses) lands within 25 % of each sweep point (QA: it was 765 vs 488)."""
    pts = sweep_points(precision, block)
    assert len(pts) == 8
    est = estimate_points(
        CATALOG, ["b200"], "nld-8b", "self_spec", concurrency=list(pts.concurrency), precision=precision,
        block_size=block, **SPEED_BENCH,
    )  # fmt: skip
    assert est.tokens_per_forward.iloc[0] == pytest.approx(pts.tokens_per_forward.iloc[0])
    assert est.tpf_source.str.contains("B200 SGLang sweep").all() and not est.tpf_assumed.any()
    error = est.output_tok_s.to_numpy() / pts.output_tok_s.to_numpy() - 1.0
    assert np.abs(error).max() < 0.25, error


def test_serving_tpf_calibration_moves_table_figures_and_leaves_a_given_tpf_alone():
    kw = {"concurrency": [1], "precision": "fp8", "block_size": 32, "isl": 300, "osl": 640}
    coding = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", workload="coding", **kw)
    assert coding.tokens_per_forward.iloc[0] == pytest.approx(8.57 / 2 * 3.28 / 3.41, rel=1e-3)
    assert "to SGLang serving" in coding.tpf_source.iloc[0] and not coding.tpf_assumed.iloc[0]
    given = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", tpf=3.41, **kw)
    assert given.tokens_per_forward.iloc[0] == 3.41 and "user-given" in given.tpf_source.iloc[0]
    int4 = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", **{**kw, "precision": "int4_awq"})
    assert int4.tpf_assumed.iloc[0]  # the sweep measured bf16 and fp8, not int4: carried, flagged


CONFIGS = [
    ("nld-8b", "ar", "fp8"),
    ("nld-8b", "ar", "bf16"),
    ("nld-8b", "self_spec", "fp8"),
    ("nld-8b", "self_spec", "bf16"),
    ("nld-8b", "diffusion", "fp8"),
    ("nld-8b", "diffusion", "bf16"),
    ("qwen3-8b", "ar", "bf16"),
    ("qwen3-8b", "spec_eagle3", "bf16"),
    ("qwen3-8b", "spec_eagle3", "fp8"),
]


@pytest.mark.parametrize(("model", "mode", "precision"), CONFIGS)
def test_no_hopper_or_ampere_estimate_exceeds_b200s(model, mode, precision):
    """Same model, mode, precision and concurrency: H100/H200/A100 (less bandwidth, fewer FLOPS, no data of
    their own) never come out faster than the estimator's own B200 figure."""
    gpus = ["b200", "h100-sxm", "h100-pcie", "h100-nvl", "h200", "a100-80gb", "a100-40gb"]
    est = estimate_points(CATALOG, gpus, model, mode, concurrency=SWEEP, precision=precision, **SPEED_BENCH)
    table = est.pivot_table(index="concurrency", columns="gpu", values="output_tok_s")
    b200 = table.pop("b200")
    assert not table.empty
    assert (table.le(b200 * (1 + 1e-9), axis=0) | table.isna()).all().all(), table.div(b200, axis=0)


def crossover(gpu: str) -> tuple[np.ndarray, int]:
    """NLD-8B self-spec (fp8, block 32, default TPF) / Qwen3-8B AR (bf16) by concurrency, and the first
    concurrency of SWEEP where AR wins."""
    ss = estimate_points(
        CATALOG, [gpu], "nld-8b", "self_spec", concurrency=SWEEP, precision="fp8", block_size=32, **SPEED_BENCH
    )
    ar = estimate_points(CATALOG, [gpu], "qwen3-8b", "ar", concurrency=SWEEP, precision="bf16", **SPEED_BENCH)
    ratio = ss.output_tok_s.to_numpy() / ar.output_tok_s.to_numpy()
    return ratio, SWEEP[int(np.argmax(ratio < 1.0))]


@pytest.mark.parametrize("gpu", ["h100-sxm", "h200"])
def test_the_b200_crossover_carries_to_hopper_estimates(gpu):
    """B200's sweep: self-spec wins up to ~16 concurrent requests, AR from ~32. On H100/H200 (no data) the
    estimate keeps that shape: self-spec wins at 1..8, loses at 64 and 128, and AR takes over within one
    doubling of where it does on B200 (QA: H100 self-spec had been estimated ahead of AR at 32)."""
    b200_ratio, b200_cross = crossover("b200")
    assert b200_cross == 32 and np.all(b200_ratio[:5] > 1.0)  # the sweep: 3470 vs 3027 at 16, 4236 vs 5317 at 32
    ratio, cross = crossover(gpu)
    assert np.all(ratio[:4] > 1.0)
    assert np.all(ratio[-2:] < 1.0)
    assert b200_cross / 2 <= cross <= b200_cross
    assert ratio[SWEEP.index(32)] < 1.0  # AR wins at 32 as on B200


def test_basis_says_where_engine_time_and_tpf_come_from():
    est = estimate_points(
        CATALOG, ["h100-sxm", "b200", "gb200"], "nld-8b", "self_spec", concurrency=[1], precision="fp8", isl=300,
        osl=640,
    )  # fmt: skip
    basis = est.set_index("gpu").basis
    sweep = "the B200 SGLang sweep (vendor-internal, pre-release checkpoint)"
    assert "no self-speculation serving data on this GPU; engine time per cycle" in basis["h100-sxm"]
    assert f"and TPF carried from {sweep}" in basis["h100-sxm"]
    assert f"this GPU's own data, {sweep}" in basis["b200"]
    assert "another engine build" in basis["gb200"] and sweep in basis["gb200"]
    result = fit(CATALOG)
    cal = result.calibration["self_spec"]
    assert cal.gpus == ("b200",) and cal.serving_sweep
    assert result.mode_overhead("self_spec") == pytest.approx(cal.engine_ms)
    assert 5.0 < cal.engine_ms < 10.0  # the sweep's build, not the shared 2.2 ms nor Fig. 9's 1.0 ms
    diffusion = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "diffusion", concurrency=[1], isl=300, osl=640)
    assert "no diffusion serving data fitted on any GPU" in diffusion.basis.iloc[0]


@pytest.mark.parametrize("gpu", ["a100-80gb", "a10g"])
def test_fp8_without_fp8_tensor_cores_is_modelled_as_weight_only(gpu):
    """A100/A10G have no fp8 tensor cores: fp8 is estimated as weight-only (fp8 bytes, bf16 compute), said in
    the basis and the notes. It reads half the bytes of bf16 but computes no faster: at high concurrency
    (compute-bound self-spec) fp8 ~ bf16 there, while H100's fp8 tensor cores give the fitted gain."""
    assert CATALOG.gpu(gpu).fp8_tflops is None
    kw = {"concurrency": [1, 16], "block_size": 32, "isl": 300, "osl": 640}
    fp8 = estimate_points(CATALOG, [gpu], "nld-8b", "self_spec", precision="fp8", **kw)
    bf16 = estimate_points(CATALOG, [gpu], "nld-8b", "self_spec", precision="bf16", **kw)
    assert fp8.basis.str.contains("weight-only").all() and fp8.provenance_notes.str.contains("weight-only").all()
    assert not bf16.basis.str.contains("weight-only").any()
    ratio = fp8.output_tok_s.to_numpy() / bf16.output_tok_s.to_numpy()
    assert ratio[0] > 1.2  # batch 1: memory-bound, half the weight bytes
    assert ratio[-1] == pytest.approx(1.0, abs=0.05)  # compute-bound: bf16 compute either way
    h100 = [
        estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", precision=p, **kw).output_tok_s.iloc[-1]
        for p in ("fp8", "bf16")
    ]
    assert h100[0] / h100[1] > 1.1
    assert (
        not estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", precision="fp8", **kw)
        .basis.str.contains("weight-only")
        .any()
    )


@pytest.mark.parametrize(("gpu", "published"), [("gb200", 256.0), ("rtx-pro-6000", 80.0)])
def test_batch_1_ar_matches_the_vendor_figure_within_25_percent_when_fitted_on_it(gpu, published):
    """In-sample: these points are part of the fit (the leave-one-out figures are the next test)."""
    assert vendor_point(gpu, "nld-8b", "ar", "fp8") == published
    est = estimate_points(CATALOG, [gpu], "nld-8b", "ar", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert est.output_tok_s.iloc[0] == pytest.approx(published, rel=0.25)


def test_batch_1_ar_leave_one_out(loo: pd.DataFrame):
    """Out of sample: GB200 AR within 25 %. RTX Pro 6000 AR is the estimator's worst point (its fp8 path runs
    at ~45 % of the GDDR7 bandwidth while its int4 points run faster); pinned at < 40 % to catch regressions."""
    ar = loo[(loo["mode"] == "ar") & (loo.concurrency == 1)].set_index("gpu")
    assert abs(ar.loc["gb200", "error_pct"]) < 25
    assert abs(ar.loc["rtx-pro-6000", "error_pct"]) < 40


# ---------------------------------------------------------------------------------------------
# Estimates: columns, context, memory, pricing


def test_estimates_are_priceable_points_with_their_basis():
    est = estimate_points(CATALOG, ["h100-sxm", "b200"], "nld-8b", "self_spec", concurrency=[1, 8], isl=1024, osl=512)
    assert list(est.columns) == POINTS_COLUMNS + EXTRA_COLUMNS
    assert (est.provenance == "estimated").all()
    assert est.basis.str.contains("η_bw").all() and est.basis.str.contains("TPF").all()
    assert est.loc[est.gpu == "h100-sxm", "basis"].str.contains("no h100-sxm").all()
    assert (est.source == est.basis).all()
    priced = price_table(est, CATALOG.prices)
    assert len(priced) > 0 and np.isfinite(priced.usd_per_mtok_output).all()
    assert set(priced.provenance) == {"estimated"}


def test_estimates_fall_as_context_grows_and_flag_tpf_beyond_the_published_context():
    rows = []
    for ctx in (1024, 8192, 32768):
        for mode in ("ar", "self_spec"):
            est = estimate_points(
                CATALOG, ["h100-sxm"], "nld-8b", mode, concurrency=[8], isl=1024, osl=512, context_tokens=ctx
            )
            rows.append((ctx, mode, est.output_tok_s.iloc[0], bool(est.tpf_assumed.iloc[0])))
    df = pd.DataFrame(rows, columns=["ctx", "mode", "tok_s", "assumed"])
    for _, g in df.groupby("mode"):
        assert g.tok_s.is_monotonic_decreasing and g.tok_s.iloc[-1] < g.tok_s.iloc[0]
    assert not df[df["mode"] == "ar"].assumed.any()  # AR's TPF is 1 at any context
    ss = df[df["mode"] == "self_spec"].set_index("ctx").assumed
    assert not ss[1024] and ss[8192] and ss[32768]
    assert 1024 + 512 <= TPF_PUBLISHED_CONTEXT_TOKENS < 8192 + 512


def test_configurations_that_do_not_fit_in_memory_are_skipped_and_said_why():
    est = estimate_points(CATALOG, ["l4"], "nld-14b", "ar", concurrency=[1], isl=1024, osl=1024)
    assert est.empty
    assert any("l4" in s and "GB" in s for s in est.attrs["skipped"])
    est = estimate_points(CATALOG, ["h100-sxm"], "qwen3-8b", "ar", concurrency=[1, 64, 512], isl=2048, osl=1024)
    assert list(est.concurrency) == [1, 64]
    assert (est.memory_gb_required <= 0.9 * 80).all()
    assert any("concurrency 512" in s for s in est.attrs["skipped"])
    beyond = estimate_points(
        CATALOG, ["b200"], "qwen3-8b", "ar", concurrency=[1], isl=1024, osl=1024, context_tokens=60000
    )
    assert beyond.empty and "positions" in beyond.attrs["skipped"][0]


@settings(max_examples=25, deadline=None)
@given(gpu=st.sampled_from(["a100-80gb", "h100-sxm", "h200", "b200", "gb200", "l40s", "mi300x", "rtx-pro-6000"]))
def test_ar_throughput_grows_with_concurrency_while_memory_bound(gpu):
    est = estimate_points(CATALOG, [gpu], "qwen3-8b", "ar", concurrency=[1, 2, 4, 8, 16, 32], isl=256, osl=256)
    assert est.output_tok_s.is_monotonic_increasing


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gpus": ["nope"]}, "unknown gpu"),
        ({"model": "gpt-5"}, "unknown model"),
        ({"mode": "spec_eagle3"}, "does not serve"),
        ({"concurrency": [0]}, "concurrency"),
        ({"isl": 0}, "isl and osl"),
        ({"precision": "fp3"}, "unknown precision"),
        ({"mode": "ar", "block_size": 32}, "block size"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_the_problem(kwargs, message):
    args = {"gpus": ["h100-sxm"], "model": "nld-8b", "mode": "self_spec", "concurrency": [1], "isl": 100, "osl": 100}
    args.update(kwargs)
    gpus, model, mode = args.pop("gpus"), args.pop("model"), args.pop("mode")
    with pytest.raises(ValueError, match=message):
        estimate_points(CATALOG, gpus, model, mode, **args)


# ---------------------------------------------------------------------------------------------
# Leave-one-out


def test_leave_one_out_covers_every_predictable_point(loo: pd.DataFrame):
    assert list(loo.columns) == LOO_COLUMNS
    excluded_points = [why for why in fit(CATALOG).excluded if "@" in why.split(":")[0]]
    assert len(loo) + len(excluded_points) == len(CATALOG.points)  # each point predicted or listed with why
    assert any("qwen3.5-9b" in why for why in excluded_points)  # no architecture in the facts
    assert not loo.in_fit[loo["mode"] == "diffusion"].any()  # TPF on SPEED-Bench is assumed: predicted only
    assert np.isfinite(loo.error_pct).all()


def test_error_summary_has_median_and_worst_per_gpu_and_mode_and_overall(loo: pd.DataFrame):
    summary = error_summary(loo)
    overall = summary[(summary.gpu == "all") & (summary["mode"] == "all")].iloc[0]
    assert overall.points == len(loo)
    assert overall.median_abs_error_pct <= overall.worst_abs_error_pct
    assert overall.median_abs_error_pct < 15  # the target; the figure itself is reported in docs
    assert {("b200", "ar"), ("gb200", "self_spec"), ("all", "ar")} <= set(
        zip(summary.gpu, summary["mode"], strict=True)
    )


def test_headline_errors_give_both_groupings_in_words():
    head = headline_errors(CATALOG)
    assert list(head.columns) == HEADLINE_COLUMNS
    assert list(zip(head.grouping, head.modes, strict=True)) == [
        (g, m) for g in ("point", "gpu") for m in ("all", "ar", "self_spec")
    ]
    words = dict(zip(head.grouping, head.predicting, strict=False))
    assert words == {"point": "a point of a GPU we have data for", "gpu": "a GPU we have no data for"}
    by = head.set_index(["grouping", "modes"])
    assert (by.median_abs_error_pct <= by.worst_abs_error_pct).all()
    # A GPU we have no data for is much harder than a point of a GPU we have: the figure users must see.
    assert by.loc[("gpu", "all"), "median_abs_error_pct"] > 2 * by.loc[("point", "all"), "median_abs_error_pct"]
    assert by.loc[("gpu", "self_spec"), "median_abs_error_pct"] > by.loc[("gpu", "ar"), "median_abs_error_pct"]
    assert by.loc[("point", "all"), "points"] == by.loc[("gpu", "all"), "points"]


def test_leave_one_out_predicts_as_estimates_do(loo: pd.DataFrame):
    """Held-out points are predicted with the serving calibration's engine time, as estimates are: the paper's
    Fig. 9 GB200 self-spec (its build: ~1 ms per cycle) is under-predicted the way the GB200 estimate is."""
    gb200 = loo[(loo.gpu == "gb200") & (loo["mode"] == "self_spec") & ~loo.point.str.contains("custom")]
    est = estimate_points(CATALOG, ["gb200"], "nld-8b", "self_spec", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert gb200.error_pct.iloc[0] < -30
    assert gb200.predicted_tok_s.iloc[0] == pytest.approx(est.output_tok_s.iloc[0], rel=0.1)


def test_leave_one_gpu_out_predicts_an_unseen_gpu():
    strict = leave_one_out(CATALOG, group="gpu")
    b200_ar = strict[(strict.gpu == "b200") & (strict["mode"] == "ar")]
    assert b200_ar.error_pct.abs().median() < 15  # B200 AR from the other GPUs' batch-1 points only
    with pytest.raises(ValueError, match="group"):
        leave_one_out(CATALOG, group="nonsense")


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_estimate_prints_one_row_per_concurrency(capsys):
    args = ["--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "self_spec", "--block", "32", "--workload", "coding"]
    rc = main(["estimate", *args, "--concurrency", "1,4,16", "--isl", "1024", "--osl", "512", "--format", "csv"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out[0].split(",")[:7] == [
        "gpu",
        "concurrency",
        "output_tok_s",
        "output_tok_s_per_gpu",
        "tok_s_user",
        "ttft_ms",
        "tokens_per_forward",
    ]
    assert len(out) == 4 and all(",estimated," in line for line in out[1:])


@pytest.mark.parametrize("concurrency", [["1,4,16"], ["1", "4", "16"], ["1,", "4", "16"]])
def test_cli_estimate_takes_concurrencies_comma_or_space_separated(concurrency, capsys):
    args = ["estimate", "--gpu", "h100-sxm", "--model", "qwen3-8b", "--mode", "ar", "--format", "csv"]
    assert main([*args, "--concurrency", *concurrency, "--isl", "300"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [int(r.split(",")[1]) for r in rows] == [1, 4, 16]


def test_cli_validate_prints_both_groupings_in_words(capsys):
    assert main(["estimate", "--validate", "--format", "md"]) == 0
    captured = capsys.readouterr()
    assert "a point of a GPU we have data for" in captured.out and "a GPU we have no data for" in captured.out
    assert "median_abs_error_pct" in captured.out and "| all | all |" in captured.out
    assert "leave-one-point-out" in captured.err and "leave-one-gpu-out" in captured.err
    assert main(["estimate", "--validate", "--group", "profile", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("gpu,mode,points") and "leave-one-profile-out" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--gpu", "b200", "--model", "nld-8b"],
        ["estimate", "--gpu", "nope", "--model", "nld-8b", "--mode", "ar"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--concurrency", "1,x"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "self_spec", "--workload", "poetry"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--precision", "fp3"],
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message_and_no_traceback(argv, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own choices exit via SystemExit(2)
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
