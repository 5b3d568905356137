"""calculator/model/estimator/engines.py: an engine's generation is part of what a point measured and of what an
estimate assumes (issue 19, item 4)."""

from __future__ import annotations

import math

import pytest

from calculator.data.catalog import load_catalog
from calculator.model.estimator import estimate_points
from calculator.model.estimator.engines import (
    ENGINE_CLASSES,
    ENGINE_WORDS,
    HOST_SCALE,
    carried_offsets,
    engine_class,
    engine_generation,
    generations_text,
    host_scale,
    resolve_engine,
)


def test_the_generation_is_the_class_and_the_major_minor_version():
    assert engine_generation("vllm", "0.20.1+transformers-5.8.1") == "vllm 0.20"
    assert engine_generation("vllm", "0.7.3") == "vllm-v0 0.7"
    assert engine_generation("sglang", "0.5.6") == "sglang 0.5" and engine_generation("sglang", "0.4.3") == "sglang 0.4"
    assert engine_generation("trt-llm", "1.0") == "trt-llm-pytorch 1.0"
    assert engine_generation("trt-llm", "0.17") == "trt-llm 0.17"
    assert engine_generation("sglang", "") == "sglang"


def test_engine_classes_split_where_the_serving_loop_changed():
    assert engine_class("vllm", "0.7.3") == "vllm-v0"
    assert engine_class("vllm", "0.11.0") == "vllm-sync" and engine_class("vllm", "0.13.2") == "vllm-sync"
    assert engine_class("vllm", "0.14.0") == "vllm" and engine_class("vllm", "0.20.1+transformers-5.8.1") == "vllm"
    assert engine_class("vllm", "") == "vllm"  # an unstated version reads as the current generation
    assert engine_class("sglang", "0.3.6") == "sglang-0.3" and engine_class("sglang", "0.4.0") == "sglang"
    assert engine_class("trt-llm", "0.17") == "trt-llm" and engine_class("tensorrt-llm", "1.0.0") == "trt-llm-pytorch"
    assert engine_class("trt-llm-pytorch") == "trt-llm-pytorch" and engine_class("vllm-v0") == "vllm-v0"
    assert set(HOST_SCALE) == set(ENGINE_CLASSES) and set(ENGINE_WORDS) == set(ENGINE_CLASSES)
    assert resolve_engine("vllm", "0.11") == "vllm-sync" and resolve_engine("trt-llm", "1.0") == "trt-llm-pytorch"
    assert resolve_engine(None, "0.3.6") == "sglang-0.3" and resolve_engine("vllm", None) == "vllm"


def test_a_generation_with_overlapped_scheduling_has_lower_host_overhead_per_step():
    """The prior of each generation: its host work per step relative to a CPU-bound scheduler."""
    for older, newer in (("vllm-v0", "vllm-sync"), ("vllm-sync", "vllm"), ("sglang-0.3", "sglang")):
        assert host_scale(newer) < host_scale(older)
    assert host_scale("trt-llm") < host_scale("vllm-v0")  # a C++ batch manager, no Python in the step loop
    prior_old, prior_new = carried_offsets("sglang-0.3", {})[0], carried_offsets("sglang", {})[0]
    assert prior_new[2] < prior_old[2] and prior_new[3] < prior_old[3]  # fixed and per-sequence overheads
    assert prior_new[0] == prior_old[0] and prior_new[1] == prior_old[1]  # the same kernels: same efficiencies


def test_a_generation_without_data_takes_its_siblings_kernels_and_its_own_host_time():
    fitted = {"sglang": (0.1, 0.2, 0.3, 0.4, 0.5)}
    offsets, source = carried_offsets("sglang-0.3", fitted)
    assert source == "sglang"
    assert offsets[0] == 0.1 and offsets[1] == 0.2 and offsets[4] == 0.5
    assert offsets[2] == pytest.approx(0.3 + math.log(2.0)) and offsets[3] == pytest.approx(0.4 + math.log(2.0))
    assert carried_offsets("sglang", fitted) == ([0.1, 0.2, 0.3, 0.4, 0.5], "sglang")
    assert carried_offsets("trt-llm-pytorch", fitted)[1] is None  # no sibling with data: the prior alone


def test_an_estimate_for_an_older_generation_is_slower_at_low_concurrency_and_says_which_it_assumes():
    cat = load_catalog()
    kw = {"concurrency": [1, 8], "isl": 512, "osl": 512}
    new = estimate_points(cat, ["h100-sxm"], "llama-3.1-8b", "ar", engine="sglang", **kw)
    old = estimate_points(cat, ["h100-sxm"], "llama-3.1-8b", "ar", engine="sglang-0.3", **kw)
    assert (old["output_tok_s"].to_numpy() < new["output_tok_s"].to_numpy()).all()
    assert "SGLang before 0.4" in old["basis"].iloc[0] and "no sglang-0.3 data: sglang's engine offsets" in (
        old["basis"].iloc[0]
    )
    sync = estimate_points(cat, ["h100-sxm"], "llama-3.1-8b", "ar", engine="vllm-sync", **kw)
    v1 = estimate_points(cat, ["h100-sxm"], "llama-3.1-8b", "ar", engine="vllm", **kw)
    assert (sync["output_tok_s"].to_numpy() < v1["output_tok_s"].to_numpy()).all()
    assert "synchronous scheduling" in sync["basis"].iloc[0]


def test_generations_in_words():
    assert generations_text("sglang", ("sglang", "sglang 0.5")) == "calibrated on sglang 0.5, version not stated"
    assert generations_text("trt-llm", ()) == "no data for this engine class"


def test_an_estimate_names_the_generations_its_engine_class_was_calibrated_on():
    df = estimate_points(load_catalog(), ["h100-sxm"], "llama-3.1-8b", "ar", concurrency=[8], isl=512, osl=512,
                         engine="trt-llm")  # fmt: skip
    assert "calibrated on trt-llm 0.17" in df["basis"].iloc[0]
