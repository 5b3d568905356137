"""calculator.present.labels: labels users read, numbers with gaps, and user text made literal in Markdown."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from calculator.answers.checks import estimate_error_text
from calculator.data.vocabulary import fmt_tokens, md_escape
from calculator.model.naming import add_labels
from calculator.present.labels import dash_missing


@pytest.mark.parametrize(
    "hostile",
    [
        "![i](http://host/i.png)",
        "[Log in again](http://evil.example/login)",
        "<img src=x onerror=alert(1)>",
        ":red[alarm] :material/warning:",
        "http://autolink.example",
        "`code` **bold** _em_ ~~strike~~ | a | b |",
    ],
)
def test_user_text_is_literal_in_markdown(hostile):
    out = md_escape(hostile)
    # Every Markdown-active mark is escaped: no unescaped [, ], (, ), !, <, >, `, *, :, | or ~ is left.
    assert not re.search(r"(?<!\\)[\[\]()!<>`*:|~]", out)
    assert "://" not in out and "www." not in out.lower()  # autolink literals broken
    assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == hostile  # nothing else changes


def test_identifiers_keep_their_intraword_underscores_and_long_text_is_cut():
    assert md_escape("self_spec on reserved_1y") == "self_spec on reserved_1y"
    assert md_escape("x" * 500, 40) == "x" * 40 + "…"
    assert md_escape("two\nlines") == "two lines"


def test_missing_numbers_are_dashes_and_numbers_without_gaps_stay_numbers():
    df = pd.DataFrame({"a": [1.0, None], "b": [2.5, 3.5]})
    out = dash_missing(df, {"a": "%,.1f", "b": "%,.1f"})
    assert out["a"].tolist() == ["1.0", "—"] and out["b"].tolist() == [2.5, 3.5]
    assert fmt_tokens(1.2e9) == "1.20 B"


def test_labels_are_per_profile_and_mark_estimates_and_prerelease_rows():
    df = pd.DataFrame(
        {
            "profile_id": ["p1", "p1", "p2"],
            "gpu": ["b200"] * 3,
            "model": ["nld-8b", "nld-8b", "qwen3-8b"],
            "mode": ["self_spec", "self_spec", "ar"],
            "precision": ["fp8", "fp8", "bf16"],
            "block_size": [32, 32, None],
            "provenance": ["vendor_internal", "vendor_internal", "estimated"],
            "provenance_notes": ["pre-release checkpoint", "pre-release checkpoint", ""],
            "engine": ["SGLang", "SGLang", "estimator"],
        }
    )
    out = add_labels(df)
    # the GPU by its display name (walkthrough: "Cheapest: mi300x · …" showed the id)
    assert out["option"].tolist()[0] == "B200 (HGX) · nld-8b self_spec fp8 b32 (pre-release)"
    assert out["badge"].tolist()[0] == ["vendor internal", "pre-release checkpoint"]
    assert out["curve"].tolist()[2] == "qwen3-8b ar bf16 (estimated)"


def test_the_estimate_error_text_says_which_gpus_were_not_held_out():
    """Self-speculation's figure is measured with B200 kept in the fit (its sweeps calibrate every self-spec
    estimate); the text beside an estimate says so instead of reading as a plain leave-one-GPU-out figure."""
    errors = pd.DataFrame(
        [
            {"mode": "ar", "points": 206, "median_abs_error_pct": 9.4, "p90_abs_error_pct": 27.3,
             "worst_abs_error_pct": 261.0, "note": ""},
            {"mode": "self_spec", "points": 10, "median_abs_error_pct": 43.0, "p90_abs_error_pct": 54.0,
             "worst_abs_error_pct": 57.0, "note": "B200 not held out: its sweeps calibrate every self_spec estimate"},
        ]
    )  # fmt: skip
    assert estimate_error_text(errors, "ar") == "±9 % median, p90 27 % (worst 261 %)"
    assert estimate_error_text(errors, "self_spec") == (
        "±43 % median, p90 54 % (worst 57 %; B200 not held out: its sweeps calibrate every self_spec estimate)"
    )


def test_an_option_names_its_gpu_by_display_name_and_keeps_an_unknown_id():
    df = pd.DataFrame(
        {"profile_id": ["p1", "p2"], "gpu": ["mi300x", "my-own-gpu"], "model": ["qwen3-8b", "qwen3-8b"],
         "mode": ["ar", "ar"], "precision": ["bf16", "bf16"], "block_size": [None, None],
         "provenance": ["community", "uploaded"], "provenance_notes": ["", ""], "engine": ["vLLM", "vLLM"]}
    )  # fmt: skip
    options = add_labels(df)["option"].tolist()
    assert options[0].startswith("AMD MI300X · ") and "mi300x" not in options[0]
    assert options[1].startswith("my-own-gpu · ")
