"""calculator/cli/table.py: `table` prints the cost table (json, csv, md), filters it, prices at a quote,
adds users' files and estimated rows, and fails on problems in --data instead of pricing a partial upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calculator.cli import main

ROOT = Path(__file__).resolve().parents[2]

REQUIRED_JSON_KEYS = {
    "gpu",
    "provider",
    "instance",
    "tier",
    "model",
    "mode",
    "precision",
    "concurrency",
    "gpus_per_replica",
    "output_tok_s_per_gpu",
    "usd_per_gpu_hour",
    "usd_per_mtok_output",
    "usd_per_mtok_total",
    "provenance",
    "source",
}


def test_table_json_has_the_documented_row_keys(run_cli):
    proc = run_cli("table", "--format", "json", "--gpu", "b200", "--mode", "ar", "--concurrency", "16")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and set(rows[0]) >= REQUIRED_JSON_KEYS
    assert {r["gpu"] for r in rows} == {"b200"} and {r["concurrency"] for r in rows} == {16}
    assert all(r["usd_per_mtok_output"] > 0 for r in rows)
    assert len({r["provider"] for r in rows}) >= 5


def test_table_own_price_prices_every_row_at_the_quote(capsys):
    assert (
        main(["table", "--format", "json", "--gpu", "gb200", "--price-usd-per-gpu-hour", "5", "--concurrency", "1"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["usd_per_gpu_hour"] == 5 for r in rows)
    ar = next(r for r in rows if r["mode"] == "ar" and r["model"] == "nld-8b" and r["precision"] == "fp8")
    assert ar["usd_per_mtok_output"] == pytest.approx(5 / (256 * 3600) * 1e6)


def test_table_filters_by_tier_and_provider(capsys):
    assert main(["table", "--format", "json", "--gpu", "b200", "--tier", "spot"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["tier"] for r in rows} == {"spot"}
    assert main(["table", "--format", "json", "--provider", "lambda", "--gpu", "b200"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["provider"] for r in rows} == {"Lambda"}


def test_table_csv_and_markdown_outputs(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["table", "--format", "csv", "--gpu", "b200", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.splitlines()[0].startswith("gpu,provider,instance,tier")
    assert main(["table", "--format", "md", "--gpu", "gb200", "--limit", "3"]) == 0
    md = capsys.readouterr().out
    assert md.lstrip().startswith("|") and "usd_per_mtok_output" in md


def test_table_unknown_gpu_is_a_usage_error_not_a_traceback(run_cli):
    proc = run_cli("table", "--gpu", "h1000")
    assert proc.returncode == 2
    assert "unknown 'h1000'" in proc.stderr and "Traceback" not in proc.stderr


def test_table_bad_utilisation_is_a_usage_error(capsys):
    assert main(["table", "--utilisation", "1.5"]) == 2
    assert "utilisation" in capsys.readouterr().err


def test_table_data_adds_a_users_profile(tmp_path, capsys):
    profile = tmp_path / "mine.yaml"
    profile.write_text(
        "id: my-h100-run\ngpu: h100-sxm\nengine: sglang\nmodel: nld-8b\nprecision: bf16\nmode: self_spec\n"
        "provenance: {kind: measured, source: my lab, date: '2026-11-20'}\n"
        "points:\n  - {concurrency: 1, output_tok_s: 300}\n  - {concurrency: 8, output_tok_s: 1500}\n"
    )
    assert main(["table", "--format", "json", "--data", str(profile), "--gpu", "h100-sxm", "--tier", "on_demand"]) == 0
    rows = json.loads(capsys.readouterr().out)
    mine = [r for r in rows if r["profile_id"] == "my-h100-run"]
    assert len({r["provider"] for r in mine}) >= 5 and {r["concurrency"] for r in mine} == {1, 8}
    assert {r["provenance"] for r in mine} == {"uploaded"}  # a file's declared kind cannot be checked


def test_table_covers_12_gpus_8_providers_every_mode_with_estimates_labelled(run_cli):
    proc = run_cli("table", "--format", "json", "--tier", "on_demand", "--model", "all")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len({r["gpu"] for r in rows}) >= 12
    assert len({r["provider"] for r in rows}) >= 8
    assert {r["mode"] for r in rows} >= {"ar", "diffusion", "self_spec", "spec_eagle3", "spec_mtp"}
    estimated = [r for r in rows if r["provenance"] == "estimated"]
    assert estimated and all(r["source"].startswith("estimated") for r in estimated)
    # published GPUs keep their published rows: no estimate replaces a vendor figure
    assert not [
        r for r in estimated
        if r["gpu"] == "b200" and r["model"] == "qwen3-8b" and r["mode"] == "ar" and r["precision"] == "bf16"
    ]  # fmt: skip


def test_table_no_estimates_keeps_only_published_points(capsys):
    assert main(["table", "--format", "json", "--no-estimates"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and "estimated" not in {r["provenance"] for r in rows}


def test_table_data_with_problems_fails_instead_of_pricing_a_partial_upload(tmp_path, capsys, typo_profile):
    bad = tmp_path / "typo.yaml"
    bad.write_text(typo_profile.format(gpu="h100-sxmm"))
    assert main(["table", "--data", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "unknown gpu id 'h100-sxmm'" in err and "problem(s) in --data" in err
    fixture = ROOT / "tests" / "fixtures" / "imports" / "sglang_bench_serving.jsonl"
    assert main(["table", "--data", str(fixture)]) == 1
    assert "give --data-gpu" in capsys.readouterr().err
    assert (
        main(
            [
                "table",
                "--data",
                str(fixture),
                "--data-gpu",
                "h100-sxm",
                "--data-model",
                "qwen3-8b",
                "--data-mode",
                "ar",
                "--data-precision",
                "bf16",
                "--format",
                "json",
                "--no-estimates",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    uploaded = [r for r in rows if r["gpu"] == "h100-sxm" and r["model"] == "qwen3-8b"]  # H100 has bundled Llama data
    assert uploaded and {r["provenance"] for r in uploaded} == {"uploaded"}


def test_table_concurrency_accepts_commas_and_spaces_and_quote_tier(capsys):
    assert (
        main(
            [
                "table",
                "--format",
                "json",
                "--gpu",
                "b200",
                "--mode",
                "ar",
                "--model",
                "qwen3-8b",
                "--concurrency",
                "1,16",
                "32",
                "--price-usd-per-gpu-hour",
                "3",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert {r["concurrency"] for r in rows} == {1, 16, 32}
    assert {r["tier"] for r in rows} == {"quote"}


def test_table_defaults_to_nld_and_the_baseline_and_model_widens(run_cli):
    """Issue 18 item 5: `table` shows Nemotron-Labs-Diffusion and the default baseline (Qwen3-8B) unless --model names
    others; --model all shows every model."""
    default = json.loads(run_cli("table", "--gpu", "h100-sxm", "--format", "json").stdout)
    assert {r["model"] for r in default} <= {"nld-3b", "nld-8b", "nld-14b", "qwen3-8b"}
    assert {"nld-8b", "qwen3-8b"} <= {r["model"] for r in default}
    wide = json.loads(run_cli("table", "--gpu", "h100-sxm", "--model", "all", "--format", "json").stdout)
    assert "llama-3.1-8b" in {r["model"] for r in wide}
    named = json.loads(run_cli("table", "--gpu", "h100-sxm", "--model", "llama-3.1-8b", "--format", "json").stdout)
    assert {r["model"] for r in named} == {"llama-3.1-8b"}
    assert "--model all" in run_cli("table", "--help").stdout.replace("\n", " ").replace("  ", " ")
