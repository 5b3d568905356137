"""`python -m measurements forward`, run for real on the CPU with the tiny config: the profile
validates, times behave as physics says, interrupted runs resume, and the decoder computes the
attention it claims (folded GQA, RoPE, causal and block masks)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from calculator.data.loader import decode_text, parse_yaml, validate_as
from calculator.data.schema import DeviceInfo, ForwardCost, ForwardPoint, ModelArch, Provenance
from measurements.__main__ import build_parser
from measurements.gpu import memory_available_bytes
from measurements.model_config import load_arch_config
from measurements.roofline import print_report
from measurements.torch_forward import (
    _rotate_half,
    attention_mask,
    build_model,
    parameter_count,
    point_key,
    rope_tables,
    run,
)

ROOT = Path(__file__).resolve().parents[2]
TinyRun = tuple[subprocess.CompletedProcess[str], Path]


def measure(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurements", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def load_cost(path: Path) -> ForwardCost:
    name = str(path)
    return validate_as(ForwardCost, parse_yaml(decode_text(path.read_bytes(), name), name), name)


def by_key(cost: ForwardCost) -> dict[str, ForwardPoint]:
    return {point_key(p.attention, p.batch, p.query_tokens, p.context_tokens): p for p in cost.points}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    out = tmp_path_factory.mktemp("forward") / "tiny.yaml"
    proc = measure("forward", "--model-config", "tiny", "--device", "cpu", "--batch", "1,16", "--query", "1,32",
                   "--context", "128,4096", "--repeats", "5", "--out", str(out))
    return proc, out


def test_the_real_forward_command_writes_a_valid_profile(tiny_run: TinyRun) -> None:
    proc, out = tiny_run
    assert proc.returncode == 0, proc.stderr
    cost = load_cost(out)
    # causal: 2 batches x 2 query sizes x 2 contexts; block skips query 1 (identical to causal there)
    assert len(cost.points) == 8 + 4 and not cost.skipped
    assert cost.provenance.kind == "measured" and cost.provenance.source.startswith("measurements forward on CPU")
    assert cost.gpu is None and cost.device.torch_version == torch.__version__
    assert cost.precision == "fp32" and cost.model == "tiny" and "--model-config tiny" in cost.command
    assert cost.arch.params == load_arch_config("tiny").params()
    for p in cost.points:
        assert p.time_ms_p10 is not None and p.time_ms_p90 is not None
        assert 0 < p.time_ms_p10 <= p.time_ms_median <= p.time_ms_p90
        assert p.repeats == 5 and p.bytes_per_forward and p.flops_per_forward


def test_time_grows_with_batch_and_with_context(tiny_run: TinyRun) -> None:
    _, out = tiny_run
    t = {k: p.time_ms_p10 or 0.0 for k, p in by_key(load_cost(out)).items()}  # p10: robust to a busy machine
    for attention in ("causal", "block"):
        # 16x the tokens through the same weights: compute-bound on a CPU, expected ~10x
        assert t[point_key(attention, 16, 32, 1024 * 4)] > 2 * t[point_key(attention, 1, 32, 1024 * 4)]
        # 32x the KV cache read and attended over, expected ~3x
        assert t[point_key(attention, 16, 32, 4096)] > 1.3 * t[point_key(attention, 16, 32, 128)]
    assert t[point_key("causal", 16, 1, 4096)] > 1.3 * t[point_key("causal", 16, 1, 128)]


def test_the_profile_passes_the_calculator_validator(tiny_run: TinyRun) -> None:
    _, out = tiny_run
    proc = subprocess.run([sys.executable, "-m", "calculator", "validate", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def forward_args(out: Path, *extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["forward", "--model-config", "tiny", "--device", "cpu", "--batch", "1,2",
                                      "--query", "1", "--context", "16,32", "--repeats", "2", "--warmup", "1",
                                      "--out", str(out), *extra])


class Stop(KeyboardInterrupt):
    """Ctrl-C, pressed by the test after the second point."""


def test_an_interrupted_run_keeps_finished_points_and_resume_completes_them(tmp_path: Path) -> None:
    out = tmp_path / "f.yaml"
    seen: list[ForwardPoint] = []

    def interrupt_after_two(point: ForwardPoint) -> None:
        seen.append(point)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        run(forward_args(out), on_point=interrupt_after_two)
    kept = load_cost(out)
    assert len(kept.points) == 2

    resumed: list[ForwardPoint] = []
    assert run(forward_args(out, "--resume"), on_point=resumed.append) == 0
    final = load_cost(out)
    assert len(resumed) == 2 and len(final.points) == 4  # only the missing points were timed
    for key, point in by_key(kept).items():
        assert by_key(final)[key] == point


def test_an_existing_output_is_not_overwritten_without_a_flag(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from measurements.torch_forward import main

    out = tmp_path / "f.yaml"
    out.write_text("keep me", encoding="utf-8")
    assert main(forward_args(out)) == 2
    assert "--resume" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "keep me"


def test_resume_refuses_a_file_from_another_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from measurements.torch_forward import main

    out = tmp_path / "f.yaml"
    assert main(forward_args(out)) == 0
    text = out.read_text(encoding="utf-8").replace("model: tiny", "model: other")
    out.write_text(text, encoding="utf-8")
    assert main(forward_args(out, "--resume")) == 2
    assert "choose another --out" in capsys.readouterr().err


@pytest.mark.skipif((memory_available_bytes() or 0) > 50e9, reason="this machine could hold nld-14b in fp32")
def test_an_8b_class_model_on_a_small_cpu_is_refused_politely(tmp_path: Path) -> None:
    out = tmp_path / "f.yaml"
    proc = measure("forward", "--model-config", "nld-14b", "--device", "cpu", "--dtype", "fp32", "--out", str(out))
    assert proc.returncode == 2
    assert "needs 50.3 GiB for its weights" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_asking_for_cuda_without_a_gpu_says_what_to_do(tmp_path: Path) -> None:
    proc = measure("forward", "--model-config", "tiny", "--device", "cuda", "--out", str(tmp_path / "f.yaml"))
    assert proc.returncode == 2 and "--device cpu" in proc.stderr and "Traceback" not in proc.stderr


def test_the_built_decoder_has_the_parameter_count_of_its_config() -> None:
    arch = load_arch_config("tiny")
    assert parameter_count(build_model(arch, torch.device("cpu"), torch.float32)) == arch.params()


def test_masks_causal_sees_up_to_itself_block_sees_everything() -> None:
    mask = attention_mask("causal", query=3, context=4, group=2, device="cpu")
    assert mask is not None and mask.shape == (1, 1, 6, 7)
    rows = mask[0, 0].int().tolist()
    assert rows[0] == [1, 1, 1, 1, 1, 0, 0] and rows[2] == [1] * 7 and rows[3] == rows[0]  # group copies repeat
    assert attention_mask("block", 3, 4, 2, "cpu") is None  # every key visible: no mask, fastest kernel
    assert attention_mask("causal", 1, 4, 2, "cpu") is None


@pytest.mark.parametrize("kind", ["causal", "block"])
def test_the_attention_layer_matches_a_reference_implementation(kind: str) -> None:
    torch.manual_seed(0)
    arch = load_arch_config("tiny")
    attn = build_model(arch, torch.device("cpu"), torch.float64).layers[0].attn
    b, q, ctx, h, kvh, hd = 2, 5, 7, arch.num_heads, arch.num_kv_heads, arch.head_dim
    x = torch.randn(b, q, arch.hidden_size, dtype=torch.float64)
    cache = torch.randn(2, b, kvh, ctx + q, hd, dtype=torch.float64)
    cos, sin = rope_tables(arch, q, ctx, "cpu", torch.float64)
    mask = attention_mask(kind, q, ctx, h // kvh, "cpu")
    with torch.no_grad():
        got = attn(x, cos, sin, cache[0].clone(), cache[1].clone(), mask)
        # reference: per-head attention with K/V repeated to every query head and an explicit per-token mask
        qs, ks, vs = attn.qkv(x).split((arch.q_dim, arch.kv_dim, arch.kv_dim), dim=-1)
        qs, ks, vs = qs.view(b, q, h, hd), ks.view(b, q, kvh, hd), vs.view(b, q, kvh, hd)
        qs, ks = attn.q_norm(qs), attn.k_norm(ks)
        qs, ks = qs * cos + _rotate_half(qs) * sin, ks * cos + _rotate_half(ks) * sin
        k_all = torch.cat((cache[0][:, :, :ctx], ks.transpose(1, 2)), dim=2).repeat_interleave(h // kvh, dim=1)
        v_all = torch.cat((cache[1][:, :, :ctx], vs.transpose(1, 2)), dim=2).repeat_interleave(h // kvh, dim=1)
        scores = qs.transpose(1, 2) @ k_all.transpose(-1, -2) / hd**0.5
        if kind == "causal":
            visible = torch.arange(ctx + q)[None, :] <= ctx + torch.arange(q)[:, None]
            scores = scores.masked_fill(~visible, float("-inf"))
        ref = attn.o((scores.softmax(-1) @ v_all).transpose(1, 2).reshape(b, q, arch.q_dim))
    torch.testing.assert_close(got, ref)


def _cost(gpu: str | None, time_ms: float) -> ForwardCost:
    return ForwardCost(
        id="forward-x", gpu=gpu, device=DeviceInfo(name="NVIDIA H100 80GB HBM3", gpu=gpu), model="x",
        arch=ModelArch(name="x", num_layers=1, hidden_size=1, intermediate_size=1, num_attention_heads=1,
                       num_kv_heads=1, head_dim=1, vocab_size=1, params=8e9),
        precision="bf16", provenance=Provenance(kind="measured", source="test", date="2026-11-27"),
        points=[ForwardPoint(batch=1, query_tokens=1, context_tokens=512, attention="causal", time_ms_median=time_ms,
                             bytes_per_forward=16e9, flops_per_forward=16e9)],
    )


def test_the_roofline_report_judges_decode_against_the_hbm_budget(tmp_path: Path) -> None:
    gpus = tmp_path / "gpus.yaml"
    gpus.write_text("schema_version: 1\ngpus:\n- {id: h100-sxm, name: H100 SXM, vendor: nvidia, memory_gb: 80, "
                    "hbm_tb_s: 3.35, bf16_tflops: 989, tdp_w: 700, interconnect: NVLink, source: test, "
                    "as_of: '2026'}\n",
                    encoding="utf-8")
    import io

    text = io.StringIO()
    assert print_report(_cost("h100-sxm", 5.5), text, gpus) is True  # 16 GB in 5.5 ms = 2.9 TB/s = 87 %
    assert "meets" in text.getvalue() and "87" in text.getvalue()
    assert print_report(_cost("h100-sxm", 9.0), io.StringIO(), gpus) is False  # 1.8 TB/s = 53 %
    unknown = io.StringIO()
    assert print_report(_cost(None, 5.5), unknown, gpus) is None
    assert "no gpu id" in unknown.getvalue() and "2909.1" in unknown.getvalue()


def test_the_roofline_command_reports_a_written_profile(tiny_run: TinyRun) -> None:
    _, out = tiny_run
    proc = measure("roofline", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "achieved figures only" in proc.stdout and proc.stdout.count("causal") == 8


def test_points_that_cannot_run_are_listed_as_skipped_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "f.yaml"
    args = build_parser().parse_args(["forward", "--model-config", "tiny", "--device", "cpu", "--batch", "1",
                                      "--query", "1", "--context", "16,40000", "--repeats", "1", "--out", str(out)])
    assert run(args) == 0
    cost = load_cost(out)
    assert [p.context_tokens for p in cost.points] == [16]
    assert cost.skipped == ["batch=1 query=1 context=40000 attention=causal: beyond max_position_embeddings 32768"]


def test_every_point_skipped_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from measurements.torch_forward import main

    out = tmp_path / "f.yaml"
    args = build_parser().parse_args(["forward", "--model-config", "tiny", "--device", "cpu", "--batch", "1",
                                      "--query", "1", "--context", "40000", "--repeats", "1", "--out", str(out)])
    assert main(args) == 1  # docs/measurements.md: 1 = nothing could be measured
    assert "every point was skipped" in capsys.readouterr().err
    assert load_cost(out).points == []


@pytest.mark.parametrize("after", [0, 1])
def test_the_interruption_message_is_true_about_what_was_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    import measurements.torch_forward as tf

    out = tmp_path / "f.yaml"
    if after == 0:  # Ctrl-C while the model is being built: no point has finished
        def interrupted(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(tf, "build_model", interrupted)
        code = tf.main(forward_args(out))
    else:
        real_run = tf.run

        def stop_after_one(args: argparse.Namespace, argv: object = None) -> int:
            def on_point(point: ForwardPoint) -> None:
                raise KeyboardInterrupt

            return real_run(args, None, on_point=on_point)

        monkeypatch.setattr(tf, "run", stop_after_one)
        code = tf.main(forward_args(out))
    err = capsys.readouterr().err
    assert code == 130
    if after == 0:
        assert "nothing was written" in err and "are kept" not in err
    else:
        assert f"finished points are kept in {out}" in err and len(load_cost(out).points) == 1
