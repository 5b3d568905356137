"""`serve` against a misbehaving server and client (issue 20, item 6), each written to fail before its fix:
signals end the server and client, ids are unique per run, a fresh checkout's default output works, a truncated
raw line does not block the sweep, /server_info values are checked, the client has a time limit, a timed-out
/server_info says so, non-regular outputs are refused and output files are 0600 whatever the umask.

The SGLang server and client are doubles (no GPU here): the fake server is a real HTTP process, the fake client a
real process run by the real `run_bench`."""

from __future__ import annotations

import argparse
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from calculator.data.loader import decode_text, parse_yaml, validate_as
from calculator.data.schema import Profile
from measurements import sglang_serving
from measurements.__main__ import build_parser
from measurements.common import UserError, check_output_path
from measurements.sglang_process import ServeDeps, run_bench
from measurements.sglang_serving import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sglang"
CLIENT = FIXTURES / "fake_bench_client.py"
URL_ARGS = ("--gpu", "h100-sxm", "--mode", "ar", "--isl", "1024", "--osl", "1024")


def serve_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *extra])


def load_profile(path: Path) -> Profile:
    return validate_as(Profile, parse_yaml(decode_text(path.read_bytes(), str(path)), str(path)), str(path))


def fake_client(cmd: Sequence[str], log: Path, timeout_s: float | None = None) -> int:
    """The real run_bench, running the fake client process in place of SGLang's."""
    return run_bench([sys.executable, str(CLIENT), *cmd[3:]], log, timeout_s)


def deps(**overrides: Any) -> ServeDeps:
    d = ServeDeps(engine_version=lambda name, dists, python: "0.5.23",
                  bench_module=lambda: "sglang.benchmark.serving", run_bench=fake_client, sleep=lambda s: None)
    for key, value in overrides.items():
        setattr(d, key, value)
    return d


@pytest.fixture
def fake_server() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "fake_server.py")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


def info_double(info: dict[str, Any]) -> Any:
    """get_json double: this /server_info for any URL (the HTTP boundary)."""
    def get(url: str, timeout_s: float = 10.0) -> Any:
        return info
    return get


BASE_INFO: dict[str, Any] = {"model_path": "Qwen/Qwen3-8B", "version": "0.5.23", "tp_size": 1}


# ---------------------------------------------------------------------------------------------
# Signals


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_ends_the_benchmark_client_and_keeps_what_finished(
        fake_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        sig: signal.Signals) -> None:
    pidfile = tmp_path / "client.pid"
    out = tmp_path / "p.yaml"
    calls: list[int] = []
    threads: list[threading.Thread] = []

    def send() -> None:  # once the hung client has started: the signal, as `kill` or a closed terminal sends it
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        signal.pthread_kill(threading.main_thread().ident or 0, sig)

    def client(cmd: Sequence[str], log: Path, timeout_s: float | None = None) -> int:
        calls.append(1)
        if len(calls) == 2:  # the second concurrency hangs
            monkeypatch.setenv("FAKE_BENCH_SLEEP", "60")
            monkeypatch.setenv("FAKE_BENCH_PIDFILE", str(pidfile))
            threads.append(threading.Thread(target=send))
            threads[0].start()
        return fake_client(cmd, log, timeout_s)

    started = time.monotonic()
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2", "--out", str(out)),
                ["serve"], deps(run_bench=client))
    for t in threads:
        t.join()
    err = capsys.readouterr().err
    assert code == 128 + sig and time.monotonic() - started < 30, err
    client_pid = int(pidfile.read_text())
    for _ in range(50):
        if not _alive(client_pid):
            break
        time.sleep(0.1)
    assert not _alive(client_pid), "the benchmark client outlived serve"
    assert f"interrupted ({sig.name}): finished concurrencies are kept in {out}" in err
    assert [p.concurrency for p in load_profile(out).points] == [1]


def test_the_interruption_message_says_nothing_was_written_when_no_point_finished(
        fake_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(cmd: Sequence[str], log: Path, timeout_s: float | None = None) -> int:
        raise KeyboardInterrupt

    out = tmp_path / "p.yaml"
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--out", str(out)), ["serve"],
                deps(run_bench=interrupted))
    err = capsys.readouterr().err
    assert code == 130 and not out.exists()
    assert "nothing was written" in err and "are kept" not in err


# ---------------------------------------------------------------------------------------------
# Ids, outputs, raw lines


def test_two_runs_that_differ_only_in_category_get_different_ids(fake_server: str, tmp_path: Path) -> None:
    ids = []
    for category in ("coding", "math"):
        out = tmp_path / f"{category}.yaml"
        assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--category", category,
                               "--out", str(out)), ["serve"], deps()) == 0
        ids.append(load_profile(out).id)
    assert ids[0] != ids[1]
    assert all(i.startswith("serve-nld-8b-ar-h100-sxm-bf16-isl1024-osl1024-") and len(i) <= 64 for i in ids)


def test_resume_keeps_the_id_of_the_file_it_continues(fake_server: str, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--out", str(out)),
                ["serve"], deps()) == 0
    first = load_profile(out).id
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2", "--out", str(out), "--resume"),
                ["serve"], deps()) == 0
    assert load_profile(out).id == first and len(load_profile(out).points) == 2


def test_url_with_the_default_output_on_a_fresh_checkout(fake_server: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    measured = tmp_path / "hardware_profiles" / "measured"  # does not exist yet, as on a fresh clone
    monkeypatch.setattr(sglang_serving, "MEASURED_DIR", measured)
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1"), ["serve"], deps())
    assert code == 0
    (out,) = measured.glob("serve-*.yaml")
    assert out.name == "serve-nld-8b-ar-h100-sxm-bf16-isl1024-osl1024.yaml"
    assert out.with_suffix(".bench.log").is_file()


def test_a_truncated_raw_line_does_not_block_the_sweep_or_resume(fake_server: str, tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--out", str(out)),
                ["serve"], deps()) == 0
    raw = out.with_suffix(".bench.jsonl")
    with open(raw, "a", encoding="utf-8") as f:
        f.write('{"backend": "sglang", "max_concurrency": 2, "output_thr')  # a client killed mid-write
    assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1,2,4", "--out", str(out),
                           "--resume"), ["serve"], deps()) == 0
    assert [p.concurrency for p in load_profile(out).points] == [1, 2, 4]


# ---------------------------------------------------------------------------------------------
# What the server says


@pytest.mark.parametrize("info", [
    {**BASE_INFO, "tp_size": float("inf")},
    {**BASE_INFO, "tp_size": 5000},
    {**BASE_INFO, "tp_size": "two"},
    {**BASE_INFO, "version": "9" * 2000},
    {**BASE_INFO, "version": "0.5.23\n\x1b[31mred"},
])
def test_server_info_values_are_checked_and_no_point_is_lost(
        tmp_path: Path, info: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.yaml"
    code = main(serve_args("--url", "http://127.0.0.1:9", *URL_ARGS, "--concurrency", "1,2", "--out", str(out)),
                ["serve"], deps(get_json=info_double(info), health_ok=lambda url: True))
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    profile = load_profile(out)
    assert [p.concurrency for p in profile.points] == [1, 2]
    assert profile.tp == 1 and profile.gpus_per_replica == 1
    assert profile.engine == "sglang"
    assert profile.engine_version in ("0.5.23", "") and len(profile.engine_version) <= 64


def test_a_server_info_timeout_is_reported_as_a_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    def slow(url: str, timeout_s: float = 10.0) -> Any:
        raise TimeoutError("timed out")

    code = main(serve_args("--url", "http://127.0.0.1:9", *URL_ARGS, "--concurrency", "1"), ["serve"],
                deps(get_json=slow, health_ok=lambda url: True))
    err = capsys.readouterr().err
    assert code == 2
    assert "timed out" in err and "--info-timeout" in err and "does not name the model" not in err


# ---------------------------------------------------------------------------------------------
# The client's time limit


def test_a_hung_benchmark_client_is_ended_at_its_time_limit(fake_server: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    pidfile = tmp_path / "client.pid"
    monkeypatch.setenv("FAKE_BENCH_SLEEP", "60")
    monkeypatch.setenv("FAKE_BENCH_PIDFILE", str(pidfile))
    started = time.monotonic()
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--bench-timeout", "2",
                           "--out", str(tmp_path / "p.yaml")), ["serve"], deps())
    assert code == 1 and time.monotonic() - started < 30
    assert "ran past --bench-timeout 2 s" in capsys.readouterr().err
    assert not _alive(int(pidfile.read_text()))


# ---------------------------------------------------------------------------------------------
# Output files


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_non_regular_out_is_refused_even_with_overwrite(fake_server: str, tmp_path: Path, kind: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere.yaml"
    target.write_text("keep me\n", encoding="utf-8")
    out = tmp_path / "p.yaml"
    if kind == "symlink":
        out.symlink_to(target)
    else:
        os.mkfifo(out)
    code = main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--out", str(out),
                           "--overwrite"), ["serve"], deps())
    assert code == 2
    assert "symbolic link" in capsys.readouterr().err if kind == "symlink" else True
    assert out.is_symlink() if kind == "symlink" else stat.S_ISFIFO(os.lstat(out).st_mode)
    assert target.read_text() == "keep me\n"


def test_a_device_is_refused_as_an_output() -> None:
    with pytest.raises(UserError, match="not a regular file"):
        check_output_path(Path("/dev/null"))


def test_output_files_are_private_whatever_the_umask(fake_server: str, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        out = tmp_path / "p.yaml"
        assert main(serve_args("--url", fake_server, *URL_ARGS, "--concurrency", "1", "--out", str(out)),
                    ["serve"], deps()) == 0
    finally:
        os.umask(old)
    for path in (out, out.with_suffix(".bench.jsonl"), out.with_suffix(".bench.log")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
