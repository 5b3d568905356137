"""The seams of `python -m measurements serve`: what talks to processes and the network (launching the SGLang
server, running its benchmark client, HTTP GETs, finding sglang and the local GPU). Tests replace `ServeDeps`.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from calculator.data.loader import parse_json

BENCH_MODULES = ("sglang.benchmark.serving", "sglang.bench_serving")




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
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - closed by PopenServer.stop
    process = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return PopenServer(process, log)


def run_bench(cmd: Sequence[str], log_path: Path) -> int:
    """Run the benchmark client to completion (the default runner); returns its exit code."""
    with open(log_path, "ab") as log:
        return subprocess.run(list(cmd), stdout=log, stderr=subprocess.STDOUT, check=False).returncode


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


def sglang_available() -> bool:
    """True when sglang can be imported here."""
    return importlib.util.find_spec("sglang") is not None


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

    sglang_available: Callable[[], bool] = sglang_available
    bench_module: Callable[[], str] = bench_module
    launch: Callable[[Sequence[str], Path], ServerHandle] = launch_server
    run_bench: Callable[[Sequence[str], Path], int] = run_bench
    get_json: Callable[[str], Any] = http_get_json
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


