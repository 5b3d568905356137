"""`python -m measurements tpf`: the prompts file is parsed with line-numbered errors, tokens per
forward are counted and aggregated as documented, and the command fails clearly (exit 2) without
weights, transformers or a GPU."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculator.data.errors import InputError
from calculator.data.loader import decode_text, parse_yaml, validate_as
from calculator.data.schema import WorkloadTable
from measurements.common import write_model_yaml
from measurements.tpf import aggregate, count_generated, parse_prompts, workload_table

ROOT = Path(__file__).resolve().parents[2]


def tpf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurements", "tpf", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def prompts_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [json.dumps({"prompt": "Write a sort in C++.", "category": "coding"}), "",
        json.dumps({"prompt": "What is 2+2?", "category": "math", "id": 7}), json.dumps({"prompt": "Hi"})]


def test_prompts_are_read_with_categories_and_a_default() -> None:
    rows = parse_prompts("\n".join(GOOD), "p.jsonl")
    assert [(r.category, r.line) for r in rows] == [("coding", 1), ("math", 3), ("all", 4)]


def test_every_bad_prompt_line_is_reported_with_its_number() -> None:
    text = "\n".join(['{"prompt": "ok"}', "not json", '["a list"]', '{"prompt": ""}', '{"prompt": "x", "category": 3}'])
    with pytest.raises(InputError) as err:
        parse_prompts(text, "p.jsonl")
    assert [p.where for p in err.value.problems] == ["line 2", "line 3", "line 4.prompt", "line 5.category"]
    assert all(p.file == "p.jsonl" for p in err.value.problems)


def test_an_empty_prompts_file_is_refused() -> None:
    with pytest.raises(InputError, match="no prompts"):
        parse_prompts("\n\n", "p.jsonl")


def test_generated_tokens_drop_the_echoed_prompt_and_stop_after_eos() -> None:
    assert count_generated([5, 6, 7, 8, 2, 0, 0], prompt_len=2, eos_ids={2}) == 3  # 7, 8, EOS
    assert count_generated([7, 8, 9], prompt_len=5, eos_ids={2}) == 3  # only new tokens returned
    assert count_generated([5, 6, 7, 8], prompt_len=2, eos_ids=set()) == 2


def test_tpf_is_token_weighted_per_category_and_on_average() -> None:
    totals = aggregate([("coding", 60, 10), ("coding", 40, 10), ("math", 30, 10)])
    assert totals["coding"].tpf == 5.0 and totals["math"].tpf == 3.0
    assert totals["average"].tpf == pytest.approx(130 / 30) and totals["average"].prompts == 3


def test_the_table_validates_as_a_workload_table(tmp_path: Path) -> None:
    table = workload_table(aggregate([("coding", 60, 10)]), "nld-8b", "self_spec", 32, True, "n", "src")
    out = tmp_path / "t.yaml"
    write_model_yaml(out, table)
    back = validate_as(WorkloadTable, parse_yaml(decode_text(out.read_bytes(), "t"), "t"), "t")
    entry = {e.benchmark: e for e in back.tpf}["coding"]
    assert (entry.value, entry.block_size, entry.lora, entry.provenance.kind) == (6.0, 32, True, "measured")


def test_without_weights_the_command_says_how_to_get_them(tmp_path: Path) -> None:
    proc = tpf("--model", str(tmp_path / "missing"), "--mode", "ar", "--prompts", str(prompts_file(tmp_path, GOOD)))
    assert proc.returncode == 2 and "huggingface-cli download" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_prompts_file_is_reported_before_anything_loads(tmp_path: Path) -> None:
    proc = tpf("--model", str(tmp_path), "--mode", "ar", "--prompts", str(prompts_file(tmp_path, ["nope"])))
    assert proc.returncode == 2 and "prompts.jsonl:line 1" in proc.stderr


def test_the_checkpoints_own_code_runs_only_with_an_explicit_flag(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    proc = tpf("--model", str(tmp_path), "--mode", "ar", "--prompts", str(prompts_file(tmp_path, GOOD)))
    assert proc.returncode == 2 and "give --trust-remote-code to run it" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_lora_outside_self_speculation_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "lora").mkdir()
    proc = tpf("--model", str(tmp_path), "--mode", "diffusion", "--lora", str(tmp_path / "lora"),
               "--prompts", str(prompts_file(tmp_path, GOOD)), "--trust-remote-code")
    assert proc.returncode == 2 and "self_spec only" in proc.stderr


def test_without_transformers_or_a_gpu_the_command_exits_2(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    proc = tpf("--model", str(tmp_path), "--mode", "self_spec", "--prompts", str(prompts_file(tmp_path, GOOD)),
               "--trust-remote-code")
    if importlib.util.find_spec("transformers") is None:
        assert proc.returncode == 2 and "needs transformers" in proc.stderr
    else:
        import torch

        if torch.cuda.is_available():
            pytest.skip("transformers and a GPU are present: the failure path does not apply")
        assert proc.returncode == 2 and "needs a CUDA GPU" in proc.stderr
    assert "Traceback" not in proc.stderr
