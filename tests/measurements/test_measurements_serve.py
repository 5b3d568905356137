"""`python -m measurements serve`: command composition, parsing of SGLang's benchmark JSON lines
(both client versions), the sweep against a fake SGLang server, resume, interruption, stopping the
server it started, and the message when sglang is missing."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from calculator.data.loader import decode_text, parse_yaml, validate_as
from calculator.data.schema import Profile
from measurements.__main__ import build_parser
from measurements.sglang_process import PopenServer, ServeDeps, ServerHandle
from measurements.sglang_serving import (
    accept_length_from_server_info,
    bench_command,
    main,
    model_id_for,
    parse_bench_lines,
    point_from_row,
    server_command,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sglang"
LEGACY = FIXTURES / "bench_serving.jsonl"  # python -m sglang.bench_serving (0.5.x)
CURRENT = FIXTURES / "benchmark_serving.jsonl"  # python -m sglang.benchmark.serving


def serve_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *extra])


def load_profile(path: Path) -> Profile:
    name = str(path)
    return validate_as(Profile, parse_yaml(decode_text(path.read_bytes(), name), name), name)


# ---------------------------------------------------------------------------------------------
# Test doubles: an SGLang server process and the benchmark client


@pytest.fixture
def fake_server() -> Iterator[str]:
    """A real HTTP process that answers /health and /server_info like SGLang (test double)."""
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "fake_server.py")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


class FakeBenchClient:
    """Runner double: appends the fixture's JSON line for the requested --max-concurrency to --output-file,
    as SGLang's benchmark client does; can raise at a chosen concurrency."""

    def __init__(self, fixture: Path = LEGACY, interrupt_at: int | None = None,
                 raise_at: int | None = None) -> None:
        self.lines = {json.loads(line)["max_concurrency"]: line for line in fixture.read_text().splitlines()}
        self.interrupt_at, self.raise_at = interrupt_at, raise_at
        self.commands: list[list[str]] = []

    def __call__(self, cmd: Sequence[str], log: Path, timeout_s: float | None = None) -> int:
        self.commands.append(list(cmd))
        concurrency = int(cmd[cmd.index("--max-concurrency") + 1])
        if concurrency == self.interrupt_at:
            raise KeyboardInterrupt
        if concurrency == self.raise_at:
            raise RuntimeError("the benchmark client crashed")
        with open(cmd[cmd.index("--output-file") + 1], "a", encoding="utf-8") as f:
            f.write(self.lines[concurrency] + "\n")
        return 0

    @property
    def concurrencies(self) -> list[int]:
        return [int(c[c.index("--max-concurrency") + 1]) for c in self.commands]


def deps_for(bench: FakeBenchClient, **overrides: object) -> ServeDeps:
    deps = ServeDeps(engine_version=lambda name, dists, python: "0.5.23",
                     bench_module=lambda: "sglang.benchmark.serving", run_bench=bench, sleep=lambda s: None)
    for key, value in overrides.items():
        setattr(deps, key, value)
    return deps


URL_ARGS = ("--gpu", "h100-sxm", "--mode", "self_spec", "--isl", "1024", "--osl", "1024")


# ---------------------------------------------------------------------------------------------
# Command composition


def test_the_server_command_passes_the_diffusion_algorithm_and_engine_args_through(tmp_path: Path) -> None:
    cfg = tmp_path / "linear_spec.yaml"
    cfg.write_text("block_size: 32\ncausal_context: true\n", encoding="utf-8")
    args = serve_args("--model", "/models/NLD-8B", "--mode", "self_spec", "--dllm-algorithm", "LinearSpec",
                      "--dllm-config", str(cfg), "--trust-remote-code", "--engine-arg=--tp 2",
                      "--engine-arg=--load-format=dummy", "--concurrency", "1,4,16", "--isl", "8", "--osl", "8")
    assert server_command(args, python="python") == [
        "python", "-m", "sglang.launch_server", "--model-path", "/models/NLD-8B", "--host", "127.0.0.1",
        "--port", "30000", "--trust-remote-code", "--dllm-algorithm", "LinearSpec", "--dllm-algorithm-config",
        str(cfg), "--max-running-requests", "16", "--tp", "2", "--load-format=dummy",
    ]


def test_a_user_max_running_requests_is_not_overridden() -> None:
    args = serve_args("--model", "m", "--mode", "diffusion", "--dllm-algorithm", "FastDiffuser",
                      "--engine-arg=--max-running-requests 64", "--concurrency", "1", "--isl", "8", "--osl", "8")
    cmd = server_command(args, python="python")
    assert cmd.count("--max-running-requests") == 1 and cmd[-1] == "64"


def test_the_benchmark_command_fixes_lengths_and_caps_concurrency(tmp_path: Path) -> None:
    args = serve_args("--url", "http://h:1", "--concurrency", "8", "--isl", "1024", "--osl", "256",
                      "--bench-arg=--warmup-requests 2")
    cmd = bench_command(args, "sglang.benchmark.serving", "http://h:1", 8, tmp_path / "o.jsonl", python="python")
    assert cmd == ["python", "-m", "sglang.benchmark.serving", "--backend", "sglang", "--base-url", "http://h:1",
                   "--dataset-name", "random-ids", "--num-prompts", "32", "--max-concurrency", "8",
                   "--output-file", str(tmp_path / "o.jsonl"), "--random-input-len", "1024",
                   "--random-output-len", "256", "--random-range-ratio", "1.0", "--warmup-requests", "2"]


@pytest.mark.parametrize(("model", "expected"), [
    ("nvidia/Nemotron-Labs-Diffusion-8B", "nld-8b"),
    ("/data/Nemotron-Labs-Diffusion-14B-Base/", "nld-14b"),
    ("Qwen/Qwen3-8B", "qwen3-8b"),
    ("Qwen/Qwen3.5-9B", "qwen3.5-9b"),
    ("/models/My Model", "my-model"),
])
def test_model_ids_are_derived_from_repo_ids_and_paths(model: str, expected: str) -> None:
    assert model_id_for(model) == expected


# ---------------------------------------------------------------------------------------------
# Parsing the benchmark client's JSON lines


@pytest.mark.parametrize("fixture", [LEGACY, CURRENT], ids=["bench_serving", "benchmark.serving"])
def test_both_client_formats_parse_into_profile_points(fixture: Path) -> None:
    rows = parse_bench_lines(fixture.read_text(encoding="utf-8"), str(fixture))
    assert [r["max_concurrency"] for r in rows] == [1, 2, 4]
    assert rows[0]["request_rate"] == float("inf")  # written as Infinity
    point = point_from_row(rows[0], 1, 16, str(fixture), accept_length=6.5)
    assert point.output_tok_s == 410.0 and point.total_tok_s == pytest.approx(820.0)
    assert point.input_tok_s == pytest.approx(410.0)
    assert (point.ttft_ms_p50, point.ttft_ms_p99, point.tpot_ms_p50, point.tpot_ms_p99) == (36.8, 60.9, 2.38, 2.55)
    assert point.e2e_ms_p50 == pytest.approx(36.8 + 1023 * 2.38)
    assert (point.requests_completed, point.requests_failed) == (16, 0)
    # the line's own accept_length wins; the newer client writes null there, so /server_info's is used
    assert point.accept_length == (6.61 if fixture == LEGACY else 6.5)


def test_a_run_with_no_completed_request_is_reported_not_recorded() -> None:
    row = json.loads(CURRENT.read_text().splitlines()[0]) | {"completed": 0, "output_throughput": 0.0}
    with pytest.raises(Exception, match="no output throughput"):
        point_from_row(row, 1, 16, "x.jsonl")


def test_accept_length_is_read_from_server_info_also_behind_pd_disaggregation() -> None:
    info = json.loads((FIXTURES / "server_info.json").read_text())
    assert accept_length_from_server_info(info) == 6.64
    assert accept_length_from_server_info({"decode": [info]}) == 6.64
    assert accept_length_from_server_info({"internal_states": [{}]}) is None


# ---------------------------------------------------------------------------------------------
# The sweep


def test_a_sweep_against_a_running_server_writes_one_valid_profile(fake_server: str, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    bench = FakeBenchClient(CURRENT)
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2,4", "--out", str(out)),
                ["serve"], deps_for(bench))
    assert code == 0 and bench.concurrencies == [1, 2, 4]
    profile = load_profile(out)
    assert [p.concurrency for p in profile.points] == [1, 2, 4]
    assert (profile.model, profile.gpu, profile.mode, profile.engine, profile.engine_version) == (
        "nld-8b", "h100-sxm", "self_spec", "sglang", "0.5.23")  # model and version from /server_info
    assert profile.provenance.kind == "measured" and profile.workload.isl == 1024
    assert all(p.accept_length == 6.64 for p in profile.points)  # newer client: null in the line
    assert out.with_suffix(".bench.jsonl").read_text().count("\n") == 3  # raw lines kept beside it


def test_resume_skips_finished_concurrencies(fake_server: str, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    first = FakeBenchClient()
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2", "--out", str(out)),
                ["serve"], deps_for(first)) == 0
    second = FakeBenchClient()
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2,4", "--out", str(out),
                           "--resume"), ["serve"], deps_for(second)) == 0
    assert second.concurrencies == [4]
    assert [p.concurrency for p in load_profile(out).points] == [1, 2, 4]


def test_ctrl_c_mid_sweep_keeps_finished_points(fake_server: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.yaml"
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2,4", "--out", str(out)),
                ["serve"], deps_for(FakeBenchClient(interrupt_at=4)))
    assert code == 130 and "--resume" in capsys.readouterr().err
    assert [p.concurrency for p in load_profile(out).points] == [1, 2]


class LaunchedFake:
    """Launcher double: records the sglang command and starts the fake server process in its place."""

    def __init__(self, port: int) -> None:
        self.port, self.command, self.server = port, [], None

    def __call__(self, cmd: Sequence[str], log: Path) -> ServerHandle:
        self.command = list(cmd)
        logf = open(log, "ab")  # noqa: SIM115 - closed by PopenServer.stop
        proc = subprocess.Popen([sys.executable, str(FIXTURES / "fake_server.py"), str(self.port)],
                                stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        self.server = PopenServer(proc, logf)
        return self.server


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("failure", ["interrupt", "crash"])
def test_the_server_it_started_is_stopped_on_ctrl_c_and_on_errors(tmp_path: Path, failure: str) -> None:
    from measurements.sglang_process import http_ok

    port = _free_port()
    launcher = LaunchedFake(port)
    bench = FakeBenchClient(interrupt_at=2) if failure == "interrupt" else FakeBenchClient(raise_at=2)
    args = serve_args("--model", "nvidia/Nemotron-Labs-Diffusion-8B", "--mode", "ar", "--port", str(port),
                      "--gpu", "b200", "--concurrency", "1,2", "--isl", "1024", "--osl", "1024",
                      "--out", str(tmp_path / "p.yaml"), "--startup-timeout", "30")
    deps = deps_for(bench, launch=launcher, sleep=lambda s: __import__("time").sleep(0.1))
    if failure == "interrupt":
        assert main(args, ["serve"], deps) == 130
    else:
        with pytest.raises(RuntimeError):
            main(args, ["serve"], deps)
    assert launcher.command[:4] == [sys.executable, "-m", "sglang.launch_server", "--model-path"]
    assert launcher.server is not None and launcher.server.poll() is not None  # the process is gone
    assert not http_ok(f"http://127.0.0.1:{port}/health", timeout_s=1)
    assert [p.concurrency for p in load_profile(tmp_path / "p.yaml").points] == [1]


# ---------------------------------------------------------------------------------------------
# What the user must fix


def test_without_sglang_the_command_says_how_to_install_it_and_exits_2() -> None:
    import importlib.util

    if importlib.util.find_spec("sglang") is not None:
        pytest.skip("sglang is installed here")
    proc = subprocess.run([sys.executable, "-m", "measurements", "serve", "--model", "Qwen/Qwen3-8B",
                           "--concurrency", "1,2", "--isl", "128", "--osl", "128"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "pip install -r requirements-gpu.txt" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "m", "--mode", "diffusion", "--concurrency", "1", "--isl", "8", "--osl", "8"], "FastDiffuser"),
    (["--url", "http://h:1", "--concurrency", "1", "--isl", "8", "--osl", "8"], "give --gpu"),
    (["--url", "http://h:1", "--gpu", "h100-sxm", "--concurrency", "1"], "needs --isl and --osl"),
    (["--url", "http://h:1", "--gpu", "H100 SXM", "--concurrency", "1", "--isl", "8", "--osl", "8"], "id like"),
    (["--model", "m", "--gpu", "b200", "--dllm-algorithm", "X", "--dllm-config", "/no/such.yaml",
      "--concurrency", "1", "--isl", "8", "--osl", "8"], "no such file"),
])
def test_impossible_flag_combinations_are_refused_before_anything_starts(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    def no_launch(cmd: Sequence[str], log: Path) -> ServerHandle:
        raise AssertionError("must not launch")

    assert main(serve_args(*argv), ["serve"], deps_for(FakeBenchClient(), launch=no_launch)) == 2
    assert message in capsys.readouterr().err


def test_a_dllm_config_with_a_bad_threshold_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "fd.yaml"
    cfg.write_text("block_size: 32\nthreshold: 1.5\n", encoding="utf-8")
    argv = ["--model", "m", "--gpu", "b200", "--mode", "diffusion", "--dllm-algorithm", "FastDiffuser",
            "--dllm-config", str(cfg), "--concurrency", "1", "--isl", "8", "--osl", "8"]
    assert main(serve_args(*argv), ["serve"], deps_for(FakeBenchClient())) == 2
    assert "fd.yaml" in capsys.readouterr().err
