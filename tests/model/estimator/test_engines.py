"""calculator/model/estimator/engines.py: an engine's generation is part of what a point measured and of what an
estimate assumes (issue 19, item 4)."""

from __future__ import annotations

from calculator.data.catalog import load_catalog
from calculator.model.estimator import estimate_points
from calculator.model.estimator.engines import engine_class, engine_generation, generations_text


def test_the_generation_is_the_class_and_the_major_minor_version():
    assert engine_generation("vllm", "0.20.1+transformers-5.8.1") == "vllm 0.20"
    assert engine_generation("vllm", "0.7.3") == "vllm-v0 0.7"
    assert engine_generation("sglang", "0.5.6") == "sglang 0.5" and engine_generation("sglang", "0.4.3") == "sglang 0.4"
    assert engine_generation("trt-llm", "1.0") == "trt-llm 1.0" and engine_class("trt-llm", "1.0") == "trt-llm"
    assert engine_generation("sglang", "") == "sglang"


def test_generations_in_words():
    assert generations_text("sglang", ("sglang", "sglang 0.5")) == "calibrated on sglang 0.5, version not stated"
    assert generations_text("trt-llm", ()) == "no data for this engine class"


def test_an_estimate_names_the_generations_its_engine_class_was_calibrated_on():
    df = estimate_points(load_catalog(), ["h100-sxm"], "llama-3.1-8b", "ar", concurrency=[8], isl=512, osl=512,
                         engine="trt-llm")  # fmt: skip
    assert "calibrated on trt-llm 0.17" in df["basis"].iloc[0]
