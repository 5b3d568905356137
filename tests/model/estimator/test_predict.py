"""calculator/model/estimator/predict.py: estimated points reproduce the published shape (self-speculation vs AR
crossover on B200), carry it to GPUs without data, say their basis, and behave with context, memory and load (the
KV cache caps the running batch; TTFT grows with concurrency)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.data.catalog import POINTS_COLUMNS, load_catalog
from calculator.model.cost import price_table
from calculator.model.estimator import (
    EXTRA_COLUMNS,
    GAP_CONCURRENCY,
    GAP_CONFIGS,
    TPF_PUBLISHED_CONTEXT_TOKENS,
    estimate_points,
    fit,
    gap_estimates,
)

CATALOG = load_catalog()
SPEED_BENCH = {"isl": 300, "osl": 640}  # the lengths the bundled SPEED-Bench profiles ran at (means)
SWEEP = [1, 2, 4, 8, 16, 32, 64, 128]


def vendor_point(gpu: str, model: str, mode: str, precision: str) -> float:
    p = CATALOG.points
    row = p[(p.gpu == gpu) & (p.model == model) & (p["mode"] == mode) & (p.precision == precision)]
    row = row[~row.engine.str.contains("custom")]
    assert len(row) == 1, row
    return float(row.output_tok_s.iloc[0])


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
    assert est.tpf_source.str.contains("B200 SGLang NLD-8B").all() and not est.tpf_assumed.any()
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
    """Self-speculation is calibrated on both B200 sweeps (NVIDIA's NLD-8B, the independent NLD-14B): a model takes its
    own sweep's engine time per cycle, others the two pooled."""
    est = estimate_points(
        CATALOG, ["h100-sxm", "b200", "gb200"], "nld-8b", "self_spec", concurrency=[1], precision="fp8", isl=300,
        osl=640,
    )  # fmt: skip
    basis = est.set_index("gpu").basis
    sweeps = "the B200 SGLang NLD-14B sweep (community) and the B200 SGLang NLD-8B/QWEN3-8B sweep (vendor-internal"
    assert "no self-speculation serving data on this GPU; engine time per cycle" in basis["h100-sxm"]
    assert f"and TPF carried from {sweeps}" in basis["h100-sxm"] and "nld-8b's own sweep" in basis["h100-sxm"]
    assert "this GPU's own data" in basis["b200"]
    assert "another engine build" in basis["gb200"] and sweeps in basis["gb200"]
    result = fit(CATALOG)
    cal = result.calibration["self_spec"]
    assert cal.gpus == ("b200",) and cal.serving_sweep and len(cal.sources) == 2
    assert set(cal.by_model) == {"nld-8b", "nld-14b"}
    assert result.mode_overhead("self_spec", "nld-8b") == pytest.approx(cal.by_model["nld-8b"][0])
    assert 2.0 < cal.by_model["nld-8b"][0] < 10.0  # the sweep's build, not the paper's Fig. 9 build (~1 ms)
    assert result.mode_overhead("self_spec", "nld-3b") == pytest.approx(cal.engine_ms)  # no sweep: pooled
    diffusion = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "diffusion", concurrency=[1], isl=300, osl=640)
    assert "no diffusion serving data fitted on any GPU" in diffusion.basis.iloc[0]


def test_the_self_spec_cycle_checked_on_gb200_batch_1():
    """Calibrated on the B200 sweeps, the estimator's GB200 self-spec at batch 1 sits below the paper's Fig. 9 (851
    tok/s: a faster engine build, ~1 ms per cycle) and above the B200 sweep's measured 488 (GB200 is B200 silicon
    clocked ~11 % higher); GB200 AR is within 15 % of its Fig. 9 figure (256)."""
    ss = estimate_points(CATALOG, ["gb200"], "nld-8b", "self_spec", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert 488 * 0.9 < ss.output_tok_s.iloc[0] < 851
    ar = estimate_points(CATALOG, ["gb200"], "nld-8b", "ar", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert ar.output_tok_s.iloc[0] == pytest.approx(256, rel=0.15)


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
    assert fp8.weight_only.all() and not bf16.weight_only.any()  # the column the app excludes from "cheapest"
    assert not bf16.basis.str.contains("weight-only").any()
    ratio = fp8.output_tok_s.to_numpy() / bf16.output_tok_s.to_numpy()
    assert ratio[0] > 1.2  # batch 1: memory-bound, half the weight bytes
    assert ratio[-1] <= 1.05  # compute-bound: bf16 compute either way, plus the dequantisation
    h100 = [
        estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", precision=p, **kw).output_tok_s.iloc[-1]
        for p in ("fp8", "bf16")
    ]
    assert h100[0] / h100[1] > 1.1
    h100 = estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", precision="fp8", **kw)
    assert not h100.basis.str.contains("weight-only").any() and not h100.weight_only.any()
    fp4 = estimate_points(CATALOG, ["h100-sxm", "b200"], "nld-8b", "ar", precision="fp4", concurrency=[1], isl=300,
                          osl=640)  # fmt: skip
    assert fp4.set_index("gpu").weight_only.to_dict() == {"h100-sxm": True, "b200": False}  # FP4 cores: Blackwell


@pytest.mark.parametrize(("gpu", "published", "within"), [("gb200", 256.0, 0.25), ("rtx-pro-6000", 80.0, 0.5)])
def test_batch_1_ar_matches_the_vendor_figure_when_fitted_on_it(gpu, published, within):
    """In-sample: these points are part of the fit. RTX Pro 6000 AR fp8 (80 tok/s, ~45 % of its GDDR7 bandwidth) is an
    outlier its family (with the RTX 5090's AccelMark runs) cannot fit: pinned at 50 % to catch regressions."""
    assert vendor_point(gpu, "nld-8b", "ar", "fp8") == published
    est = estimate_points(CATALOG, [gpu], "nld-8b", "ar", concurrency=[1], precision="fp8", **SPEED_BENCH)
    assert est.output_tok_s.iloc[0] == pytest.approx(published, rel=within)


# ---------------------------------------------------------------------------------------------
# Estimates: columns, context, memory, pricing


def test_estimates_are_priceable_points_with_their_basis():
    est = estimate_points(CATALOG, ["h100-sxm", "b200"], "nld-8b", "self_spec", concurrency=[1, 8], isl=1024, osl=512)
    assert list(est.columns) == POINTS_COLUMNS + EXTRA_COLUMNS
    assert {"running_batch", "weight_only"} <= set(EXTRA_COLUMNS)
    assert (est.provenance == "estimated").all()
    assert est.basis.str.contains("η_bw").all() and est.basis.str.contains("TPF").all()
    assert est.loc[est.gpu == "h100-sxm", "basis"].str.contains("family hopper fit").all()
    assert est.basis.str.contains("for SGLang").all()
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


def test_only_real_impossibilities_are_skipped_and_said_why():
    """Weights (+ one sequence's KV) that do not fit, or a context beyond the model's positions: skipped, said why."""
    est = estimate_points(CATALOG, ["l4"], "nld-14b", "ar", concurrency=[1], isl=1024, osl=1024)
    assert est.empty
    assert any("l4" in s and "GB" in s for s in est.attrs["skipped"])
    beyond = estimate_points(
        CATALOG, ["b200"], "qwen3-8b", "ar", concurrency=[1], isl=1024, osl=1024, context_tokens=60000
    )
    assert beyond.empty and "positions" in beyond.attrs["skipped"][0]


def test_a_concurrency_beyond_the_kv_cache_runs_at_the_cap_and_queues_the_rest():
    """What an engine does: the running batch is capped by the KV cache, throughput stays at the cap, and TTFT grows
    with the queue; every requested concurrency gets a row, and the basis says so."""
    est = estimate_points(CATALOG, ["h100-sxm"], "qwen3-8b", "ar", concurrency=[1, 64, 512, 2048], isl=2048, osl=1024)
    assert list(est.concurrency) == [1, 64, 512, 2048] and not est.attrs["skipped"]
    cap = int(est.running_batch.iloc[-1])
    assert list(est.running_batch) == [1, 64, cap, cap] and 64 < cap < 512
    assert est.output_tok_s.iloc[2] == pytest.approx(est.output_tok_s.iloc[3])  # at the cap
    assert est.tpot_ms_p50.iloc[2] == pytest.approx(est.tpot_ms_p50.iloc[3])
    assert est.ttft_ms_p50.iloc[3] > 3 * est.ttft_ms_p50.iloc[2] > est.ttft_ms_p50.iloc[1]  # the queue
    assert (est.memory_gb_required <= 0.9 * 80).all()
    assert est.basis.str.contains(f"KV cache (bf16) holds {cap} sequences", regex=False).all()
    assert est.provenance_notes.str.contains("running batch capped").all()


@pytest.mark.parametrize(("gpu", "model", "mode"), [("h100-sxm", "qwen3-8b", "ar"), ("b200", "nld-8b", "self_spec")])
def test_ttft_grows_with_concurrency(gpu, model, mode):
    """Prefill shares the running batch's forwards (or waits for them) and requests arriving mid-forward wait: TTFT
    rises with load, as the measured sweeps show (H100 vLLM: 14 ms at 1 -> 87 ms at 64, ~1.9 TPOTs)."""
    est = estimate_points(CATALOG, [gpu], model, mode, concurrency=[1, 4, 16, 64, 256], isl=512, osl=512)
    ttft = est.ttft_ms_p50.to_numpy()
    assert np.all(np.diff(ttft) > 0), ttft
    assert ttft[4] > 1.5 * ttft[0]
    assert (ttft[1:] > 0.5 * est.tpot_ms_p50.to_numpy()[1:] * est.accept_length.fillna(1).to_numpy()[1:]).all()


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


def test_gap_estimates_for_a_named_model_outside_gap_configs_cover_its_reference_modes():
    """A models filter naming a model with an architecture but no GAP_CONFIGS entry (nld-14b, llama-3-8b) estimates its
    reference modes: AR bf16, and for NLD self-spec and diffusion bf16 at block 32 (Compare's model filter, `table
    --model nld-14b`)."""
    from calculator.model.estimator import gap_configs, reference_configs

    assert reference_configs("nld-14b") == (
        ("nld-14b", "ar", "bf16", None), ("nld-14b", "self_spec", "bf16", 32), ("nld-14b", "diffusion", "bf16", 32),
    )  # fmt: skip
    assert reference_configs("llama-3-8b") == (("llama-3-8b", "ar", "bf16", None),)
    assert reference_configs("qwen3.5-9b") == ()  # no architecture
    assert gap_configs() == GAP_CONFIGS and gap_configs(["nld-8b"]) == GAP_CONFIGS
    gaps = gap_estimates(CATALOG, CATALOG.points, isl=1024, osl=1024, models=["nld-14b", "llama-3-8b"])
    assert set(gaps.model) == {"nld-14b", "llama-3-8b"}
    assert set(zip(gaps.model, gaps["mode"], strict=True)) == {
        ("nld-14b", "ar"), ("nld-14b", "self_spec"), ("nld-14b", "diffusion"), ("llama-3-8b", "ar"),
    }  # fmt: skip
    assert (gaps.loc[gaps["mode"] != "ar", "block_size"] == 32).all()
    assert {"basis", "weight_only", "running_batch"} <= set(gaps.columns)  # the estimator's columns kept


def test_gap_estimates_fill_priced_gpus_without_data_and_leave_published_ones_alone():
    gaps = gap_estimates(CATALOG, CATALOG.points, isl=1024, osl=1024)
    assert (gaps.provenance == "estimated").all()
    assert set(gaps.gpu) <= set(CATALOG.prices["gpu"])
    for model, mode, precision, _ in GAP_CONFIGS:
        have = CATALOG.points[
            (CATALOG.points.model == model) & (CATALOG.points["mode"] == mode) & (CATALOG.points.precision == precision)
        ]
        mine = gaps[(gaps.model == model) & (gaps["mode"] == mode) & (gaps.precision == precision)]
        assert not set(mine.gpu) & set(have.gpu)  # a GPU with data keeps its data
    assert set(gaps.concurrency) <= set(GAP_CONCURRENCY)
    only = gap_estimates(CATALOG, CATALOG.points, isl=1024, osl=1024, gpus=["h100-sxm"], modes=["ar"])
    assert set(only.gpu) == {"h100-sxm"} and set(only["mode"]) == {"ar"}


def test_kv_cache_precision_follows_the_engine_and_checkpoint_and_doubles_the_running_batch():
    """Mechanism (issue 19): TensorRT-LLM stores the KV cache in fp8 when the weights are fp8, SGLang/vLLM keep bf16
    unless told; a KV cache of half the bytes holds twice the sequences, so a KV-capped estimate runs twice the batch.
    The precision is an input, and the basis says which one the estimate used."""
    from calculator.model.estimator.serving import default_kv_precision

    assert default_kv_precision("trt-llm", "fp8") == "fp8"
    assert default_kv_precision("trt-llm", "bf16") == "bf16"
    assert default_kv_precision("sglang", "fp8") == "bf16" and default_kv_precision("vllm", "fp8") == "bf16"
    kw = dict(concurrency=[4096], isl=128, osl=2048, precision="fp8")
    trt = estimate_points(CATALOG, ["h100-sxm"], "llama-3.1-8b", "ar", engine="trt-llm", **kw)
    trt_bf16 = estimate_points(CATALOG, ["h100-sxm"], "llama-3.1-8b", "ar", engine="trt-llm", kv_precision="bf16", **kw)
    assert "KV cache (fp8)" in trt["basis"].iloc[0] and "KV cache (bf16)" in trt_bf16["basis"].iloc[0]
    ratio = float(trt["running_batch"].iloc[0]) / float(trt_bf16["running_batch"].iloc[0])
    assert 1.95 < ratio < 2.05
    assert float(trt["output_tok_s"].iloc[0]) > float(trt_bf16["output_tok_s"].iloc[0])
