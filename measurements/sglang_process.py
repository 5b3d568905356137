"""The seams of `python -m measurements serve`: what talks to processes and the network (launching the engine's
server, running its benchmark client under a time limit, HTTP GETs, finding the engine and the local GPU).
Tests replace `ServeDeps`.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from calculator.data.loader import parse_json

BENCH_MODULES = ("sglang.benchmark.serving", "sglang.bench_serving")
BENCH_TIMED_OUT = 124  # run_bench's code when the client ran past its time limit (as timeout(1) says)


def open_private(path: Path, mode: str = "ab") -> Any:
    """Open an output file (log, raw lines) readable by its owner only (0600), whatever the umask; refuses a
    symlink, FIFO or device in its place (O_NOFOLLOW, then a regular-file check)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= os.O_APPEND if "a" in mode else os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        os.fchmod(fd, 0o600)
        os.set_blocking(fd, True)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise



class ServerHandle(Protocol):
    """A started server process: poll() like Popen, stop() ends it and everything it spawned."""

    def poll(self) -> int | None: ...

    def stop(self) -> None: ...


@dataclass
class PopenServer:
    """A server started in its own process group, so stop() also ends its scheduler/detokenizer children."""

    process: subprocess.Popen[bytes]
    log: Any

    def poll(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        if self.process.poll() is None:
            for sig, wait_s in ((signal.SIGINT, 20.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.log.close()


def launch_server(cmd: Sequence[str], log_path: Path) -> ServerHandle:
    """Start the server command with its output in `log_path` (the default launcher)."""
    log = open_private(log_path)
    process = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               umask=0o077)
    return PopenServer(process, log)


def _end_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def run_bench(cmd: Sequence[str], log_path: Path, timeout_s: float | None = None) -> int:
    """Run the benchmark client in its own process group to completion or its time limit (then the group is
    ended and the code is BENCH_TIMED_OUT); any exception here (Ctrl-C, SIGTERM) ends the client too."""
    with open_private(log_path) as log:
        # umask 077: whatever the client writes (vLLM's result JSON) is owner-only like the tool's own files
        process = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   umask=0o077)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            # short waits, not one long one: a signal that another thread received is handled within a second
            while True:
                try:
                    return process.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() > deadline:
                        raise
        except subprocess.TimeoutExpired:
            _end_group(process)
            log.write(f"\n[measurements serve] the benchmark client ran past {timeout_s:.0f} s and was ended\n"
                      .encode())
            return BENCH_TIMED_OUT
        finally:
            if process.poll() is None:
                _end_group(process)


def http_get_json(url: str, timeout_s: float = 10.0) -> Any:
    """GET a JSON document (SGLang may write Infinity); raises OSError on connection problems."""
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:
        body = resp.read(10_000_000)
    return parse_json(body.decode("utf-8", errors="replace"), url, allow_infinity=True)


def http_ok(url: str, timeout_s: float = 5.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return bool(resp.status == 200)
    except (OSError, ValueError):
        return False


_PROBE = """import importlib.util, importlib.metadata as m, sys
if importlib.util.find_spec(sys.argv[1]) is None:
    sys.exit(3)
for d in sys.argv[2:]:
    try:
        print(m.version(d)); break
    except m.PackageNotFoundError:
        pass
"""


def engine_version(import_name: str, distributions: Sequence[str], python: str) -> str | None:
    """The installed version of an engine in `python` (another venv is fine): None when it cannot be imported
    there, '' when importable but no distribution of the given names is installed."""
    if python == sys.executable:
        if importlib.util.find_spec(import_name) is None:
            return None
        from importlib import metadata

        for dist in distributions:
            try:
                return metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return ""
    try:
        proc = subprocess.run([python, "-c", _PROBE, import_name, *distributions], capture_output=True,
                              text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip()[:64] if proc.returncode == 0 else None


def bench_module() -> str:
    """The benchmark client module of the installed sglang: the new one, else the older one."""
    for name in BENCH_MODULES:
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except (ImportError, ValueError):
            continue
    return BENCH_MODULES[0]


@dataclass
class ServeDeps:
    """Everything `serve` does to the outside world; tests replace these with doubles."""

    bench_module: Callable[[], str] = bench_module
    launch: Callable[[Sequence[str], Path], ServerHandle] = launch_server
    run_bench: Callable[[Sequence[str], Path, float | None], int] = run_bench
    engine_version: Callable[[str, Sequence[str], str], str | None] = engine_version
    get_json: Callable[[str, float], Any] = http_get_json
    health_ok: Callable[[str], bool] = http_ok
    detect_gpu: Callable[[], tuple[str | None, str]] = field(default=lambda: detect_local_gpu())
    sleep: Callable[[float], None] = time.sleep


def detect_local_gpu() -> tuple[str | None, str]:
    """(our gpu id or None, device name) of this machine's first GPU; (None, '') without torch/CUDA."""
    try:
        import torch
    except ImportError:
        return None, ""
    if not torch.cuda.is_available():
        return None, ""
    from measurements.gpu import describe_device

    info = describe_device(torch.device("cuda", 0))
    return info.gpu, info.name


