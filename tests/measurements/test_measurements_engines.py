"""The engines `serve` drives (vLLM and SGLang): their commands, which NLD modes each can measure today, who a
server says it is, and the tiny random-weight model (`tiny-model`). The real-engine run is .ci/engine-e2e."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from measurements import engines
from measurements.__main__ import build_parser
from measurements.serve_results import point_from_row
from measurements.sglang_serving import bench_command, main, server_command
from measurements.tiny_model import config_for, random_tensors, read_safetensors_header, safetensors_bytes

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vllm" / "bench_serve_result.json"


def serve_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *extra])


def test_vllm_is_launched_as_a_module_and_benchmarked_with_its_own_client(tmp_path: Path) -> None:
    args = serve_args("--engine", "vllm", "--model", "/m/tiny", "--concurrency", "1,4", "--isl", "64", "--osl", "32",
                      "--engine-arg=--dtype float32")
    assert server_command(args, python="py") == [
        "py", "-m", "vllm.entrypoints.openai.api_server", "--model", "/m/tiny", "--host", "127.0.0.1",
        "--port", "8000", "--dtype", "float32"]
    result = tmp_path / "p.vllm-c4.json"
    cmd = bench_command(args, "", "http://127.0.0.1:8000", 4, result, "py", "/m/tiny", "/m/tiny")
    assert cmd[:3] == ["py", "-c", engines.VLLM_BENCH]
    assert "vllm.benchmarks.serve import add_cli_args, main" in cmd[2]
    flags = cmd[3:]
    for flag, value in (("--backend", "vllm"), ("--max-concurrency", "4"), ("--num-prompts", "16"),
                        ("--dataset-name", "random"), ("--random-input-len", "64"), ("--random-output-len", "32"),
                        ("--random-range-ratio", "0.0"), ("--result-dir", str(tmp_path)),
                        ("--result-filename", result.name), ("--model", "/m/tiny")):
        assert flags[flags.index(flag) + 1] == value, flag
    assert "--save-result" in flags and "--ignore-eos" in flags


def test_a_vllm_result_file_becomes_a_point() -> None:
    row = json.loads(FIXTURE.read_text())
    point = point_from_row(row, 4, 50, str(FIXTURE))
    assert point.output_tok_s == pytest.approx(row["output_throughput"])
    assert point.total_tok_s == pytest.approx(row["total_token_throughput"])
    assert point.e2e_ms_p50 == pytest.approx(row["median_e2el_ms"])
    assert point.requests_completed == 50 and point.requests_failed == 0


@pytest.mark.parametrize(("engine", "mode", "refused"), [
    ("vllm", "self_spec", True), ("vllm", "diffusion", False), ("vllm", "ar", False),
    ("sglang", "self_spec", False), ("sglang", "diffusion", False),
])
def test_each_engine_says_which_nld_modes_it_can_measure(engine: str, mode: str, refused: bool,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    sentence = engines.unsupported_mode(engines.spec(engine), mode, "nvidia/Nemotron-Labs-Diffusion-8B")
    assert (sentence is not None) == refused
    if refused:
        from measurements.sglang_process import ServeDeps

        code = main(serve_args("--engine", engine, "--url", "http://127.0.0.1:9", "--gpu", "h100-sxm", "--mode",
                               mode, "--concurrency", "1", "--isl", "8", "--osl", "8"), ["serve"],
                    ServeDeps(engine_version=lambda *a: "0.32.0"))
        err = capsys.readouterr().err
        assert code == 2 and "PR #48279" in err and "self_spec" in err and "--engine sglang" in err


def test_the_server_not_the_client_names_the_engine() -> None:
    vllm = engines.identity_from({}, {"version": "0.32.0"}, {"data": [{"id": "/m/tiny"}]})
    assert vllm == engines.ServerIdentity("vllm", "0.32.0", "/m/tiny", "/version")
    sglang = engines.identity_from({"version": "0.5.23", "model_path": "Qwen/Qwen3-8B"}, None, None)
    assert sglang is not None and (sglang.engine, sglang.version, sglang.model) == ("sglang", "0.5.23",
                                                                                     "Qwen/Qwen3-8B")
    other = engines.identity_from({}, None, {"data": [{"id": "m"}]})
    assert other is not None and other.engine == "openai" and other.version == ""
    assert engines.identity_from({}, None, None) is None


def test_without_the_engine_serve_says_how_to_install_it(capsys: pytest.CaptureFixture[str]) -> None:
    from measurements.sglang_process import ServeDeps

    code = main(serve_args("--engine", "vllm", "--model", "m", "--gpu", "h100-sxm", "--concurrency", "1", "--isl",
                           "8", "--osl", "8"), ["serve"], ServeDeps(engine_version=lambda *a: None))
    err = capsys.readouterr().err
    assert code == 2 and "requirements-engine-cpu.txt" in err and "--python" in err


# ---------------------------------------------------------------------------------------------
# tiny-model (the tokenizer needs `tokenizers`, which .ci/engine-e2e's venv has; the weights do not)


@pytest.mark.parametrize("arch", ["qwen3", "llama"])
def test_the_tiny_model_has_every_weight_its_architecture_loads(arch: str, tmp_path: Path) -> None:
    config = config_for(arch, 1024)
    assert config["architectures"] == [{"qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM"}[arch]]
    tensors = random_tensors(config)
    path = tmp_path / "model.safetensors"
    path.write_bytes(safetensors_bytes(tensors))
    header = read_safetensors_header(path)
    names = set(header) - {"__metadata__"}
    assert names == set(tensors)
    assert ("model.layers.0.self_attn.q_norm.weight" in names) == (arch == "qwen3")
    embed = header["model.embed_tokens.weight"]
    assert embed["dtype"] == "F32" and embed["shape"] == [1024, config["hidden_size"]]
    start, end = embed["data_offsets"]
    data = path.read_bytes()
    base = 8 + int.from_bytes(data[:8], "little")
    stored = np.frombuffer(data[base + start: base + end], dtype="<f4").reshape(embed["shape"])
    assert np.array_equal(stored, tensors["model.embed_tokens.weight"])


def test_bf16_weights_are_the_upper_half_of_each_float() -> None:
    blob = safetensors_bytes({"w": np.array([1.0, -2.5], dtype=np.float32)}, "bf16")
    n = int.from_bytes(blob[:8], "little")
    assert json.loads(blob[8: 8 + n])["w"]["dtype"] == "BF16"
    assert blob[8 + n:] == bytes.fromhex("803f20c0")
