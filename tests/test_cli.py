"""The `python -m calculator` command line: cost tables, validation messages, schema export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculator.__main__ import main, schema_texts

ROOT = Path(__file__).resolve().parent.parent
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


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculator", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_table_json_has_the_documented_row_keys():
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


def test_table_unknown_gpu_is_a_usage_error_not_a_traceback():
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


def test_validate_bundled_data_passes():
    proc = run_cli("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gpus.yaml: OK" in proc.stdout and "prices.yaml: OK" in proc.stdout


def test_validate_reports_file_row_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ngpu: h100-sxm\nengine: sglang\nmodel: nld-8b\nprecision: bf17\nmode: ar\n"
        "provenance: {kind: measured, source: me, date: '2026-11-20'}\n"
        "points:\n  - {concurrency: 1, output_tok_s: 300}\n  - {concurrency: 2, output_tok_s: -5, speed: 3}\n"
    )
    proc = run_cli("validate", str(bad))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"{bad}:precision:") for line in lines)
    assert any(line.startswith(f"{bad}:points[1].output_tok_s:") and "greater than 0" in line for line in lines)
    assert any(line.startswith(f"{bad}:points[1].speed:") and "unknown field" in line for line in lines)
    assert "Traceback" not in proc.stderr


def test_validate_rejects_yaml_bomb_and_broken_syntax(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n')
    broken = tmp_path / "broken.yaml"
    broken.write_text("gpus: [\n")
    proc = run_cli("validate", str(bomb), str(broken))
    assert proc.returncode == 1
    assert f"{bomb}:line 1, column 4: invalid YAML: YAML anchors" in proc.stdout
    assert f"{broken}:line" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_validate_missing_file(tmp_path):
    proc = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 1 and "no such file" in proc.stdout


def test_validate_unknown_gpu_in_price_file(tmp_path):
    prices = tmp_path / "p.yaml"
    prices.write_text(
        "offers:\n  - {id: x, provider: Me, instance: box, gpu: h900, gpus_per_instance: 1, tier: owned,"
        " usd_per_gpu_hour: 1.0, as_of: '2026-11', source: quote}\n"
    )
    proc = run_cli("validate", str(prices))
    assert proc.returncode == 1 and f"{prices}:offers[0].gpu: unknown gpu id 'h900'" in proc.stdout


def test_docs_schema_is_up_to_date():
    """docs/schema/*.json must match the models (regenerate: python -m calculator schema)."""
    for name, text in schema_texts().items():
        path = ROOT / "docs" / "schema" / name
        assert path.exists(), f"missing {path}: run python -m calculator schema"
        assert path.read_text() == text, f"{path} is stale: run python -m calculator schema"


def test_table_covers_12_gpus_8_providers_every_mode_with_estimates_labelled():
    proc = run_cli("table", "--format", "json", "--tier", "on_demand")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len({r["gpu"] for r in rows}) >= 12
    assert len({r["provider"] for r in rows}) >= 8
    assert {r["mode"] for r in rows} >= {"ar", "diffusion", "self_spec", "spec_eagle3", "spec_mtp"}
    estimated = [r for r in rows if r["provenance"] == "estimated"]
    assert estimated and all(r["source"].startswith("estimated") for r in estimated)
    # published GPUs keep their published rows: no estimate replaces a vendor figure
    assert not [r for r in estimated if r["gpu"] == "b200" and r["model"] == "qwen3-8b" and r["mode"] == "ar"]


def test_table_no_estimates_keeps_only_published_points(capsys):
    assert main(["table", "--format", "json", "--no-estimates"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and "estimated" not in {r["provenance"] for r in rows}


TYPO_PROFILE = (
    "id: t1\ngpu: {gpu}\nengine: sglang\nmodel: qwen3-8bb\nprecision: bf16\nmode: arr\n"
    "provenance: {{kind: measured, source: me, date: '2026-11-20'}}\n"
    "points:\n  - {{concurrency: 1, output_tok_s: 100}}\n"
)


def test_validate_reports_unknown_gpu_as_error_and_unknown_model_mode_as_warnings(tmp_path, capsys):
    bad = tmp_path / "typo.yaml"
    bad.write_text(TYPO_PROFILE.format(gpu="h100-sxmm"))
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:profile t1.gpu: unknown gpu id 'h100-sxmm'" in out
    assert f"{bad}:profile t1.model: warning: model id 'qwen3-8bb'" in out
    assert f"{bad}:profile t1.mode: warning: mode 'arr'" in out
    ok = tmp_path / "own-model.yaml"
    ok.write_text(TYPO_PROFILE.format(gpu="h100-sxm"))
    assert main(["validate", str(ok)]) == 0  # your own model/mode is allowed, with warnings
    assert "warning: model id" in capsys.readouterr().out


def test_table_data_with_problems_fails_instead_of_pricing_a_partial_upload(tmp_path, capsys):
    bad = tmp_path / "typo.yaml"
    bad.write_text(TYPO_PROFILE.format(gpu="h100-sxmm"))
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
    assert {r["provenance"] for r in rows if r["gpu"] == "h100-sxm"} == {"uploaded"}


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
