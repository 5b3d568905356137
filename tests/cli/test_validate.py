"""calculator/cli/validate.py: `validate` names file, row and field of each problem, rejects YAML bombs,
errs on unknown gpu ids and warns on unknown model and mode ids."""

from __future__ import annotations

from calculator.cli import main


def test_validate_bundled_data_passes(run_cli):
    proc = run_cli("validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gpus.yaml: OK" in proc.stdout and "prices.yaml: OK" in proc.stdout


def test_validate_reports_file_row_and_field(run_cli, tmp_path):
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
    floor = "greater than or equal to 0.01"  # schema.MIN_TOK_S
    assert any(line.startswith(f"{bad}:points[1].output_tok_s:") and floor in line for line in lines)
    assert any(line.startswith(f"{bad}:points[1].speed:") and "unknown field" in line for line in lines)
    assert "Traceback" not in proc.stderr


def test_validate_rejects_yaml_bomb_and_broken_syntax(run_cli, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n')
    broken = tmp_path / "broken.yaml"
    broken.write_text("gpus: [\n")
    proc = run_cli("validate", str(bomb), str(broken))
    assert proc.returncode == 1
    assert f"{bomb}:line 1, column 4: invalid YAML: YAML anchors" in proc.stdout
    assert f"{broken}:line" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_validate_missing_file(run_cli, tmp_path):
    proc = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 1 and "no such file" in proc.stdout


def test_validate_unknown_gpu_in_price_file(run_cli, tmp_path):
    prices = tmp_path / "p.yaml"
    prices.write_text(
        "offers:\n  - {id: x, provider: Me, instance: box, gpu: h900, gpus_per_instance: 1, tier: owned,"
        " usd_per_gpu_hour: 1.0, as_of: '2026-11', source: quote}\n"
    )
    proc = run_cli("validate", str(prices))
    assert proc.returncode == 1 and f"{prices}:offers[0].gpu: unknown gpu id 'h900'" in proc.stdout


def test_validate_reports_unknown_gpu_as_error_and_unknown_model_mode_as_warnings(tmp_path, capsys, typo_profile):
    bad = tmp_path / "typo.yaml"
    bad.write_text(typo_profile.format(gpu="h100-sxmm"))
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:profile t1.gpu: unknown gpu id 'h100-sxmm'" in out
    assert f"{bad}:profile t1.model: warning: model id 'qwen3-8bb'" in out
    assert f"{bad}:profile t1.mode: warning: mode 'arr'" in out
    ok = tmp_path / "own-model.yaml"
    ok.write_text(typo_profile.format(gpu="h100-sxm"))
    assert main(["validate", str(ok)]) == 0  # your own model/mode is allowed, with warnings
    assert "warning: model id" in capsys.readouterr().out
