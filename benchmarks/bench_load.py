"""Benchmark: many concurrent sessions against the app, at the protocol level (issue 21, "Load").

Each simulated user is one WebSocket session on 127.0.0.1 speaking Streamlit's own protocol (BackMsg/ForwardMsg
protobufs from the installed streamlit package), as the browser does: it opens the landing page, then, after a
think time drawn from 0.5-1.5 s, either switches to another page or changes a widget of the page it is on (the
sidebar's utilisation slider or a checkbox), and waits for the script run to finish. No browser draws anything,
so the figures are the server's: from sending the request to the run's `script_finished` message.

Budget (30 sessions, one app process, this 2-core machine): page switch p50 <= 1.5 s, p99 <= 5 s, no errors,
RSS back within 20 % of warm 5 minutes after the load.

It starts the app itself (`--processes 1`), or N app processes behind nginx with the sticky-session config of
docs/deploy.md (`--processes 2`, Debian's nginx), all on 127.0.0.1 free ports, and stops them by PID. Each
session first GETs `/` (the proxy's sticky cookie comes with it) and sends that cookie on its WebSocket.

Figures: p50/p90/p99 of page switches and widget changes, errors (a run that raised, a run that did not finish
within --action-timeout, a dropped connection), the servers' RSS over time (warm = after one session has visited
every page; peak; after = --after seconds after the last session left).

Run: `python benchmarks/bench_load.py [--sessions 30] [--duration 120] [--processes 1|2] [--after 300]
[--out load.json]`; `--url http://host:port` drives a running app instead (no RSS then).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy.md"
SWITCH_P50_BUDGET_S = 1.5
SWITCH_P99_BUDGET_S = 5.0
RSS_AFTER_BUDGET = 1.2  # after / warm
STARTUP_TIMEOUT_S = 120.0
STREAMLIT = Subprotocol("streamlit")  # the WebSocket subprotocol Streamlit's browser client asks for
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


# ---------------------------------------------------------------------------------------------
# Servers: the app processes, nginx in front of several


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


DEPLOY_ALLOCATORS = {"PYTHONMALLOC": "malloc", "ARROW_DEFAULT_MEMORY_POOL": "system"}
"""docs/deploy.md's allocator environment, beside MALLOC_ARENA_MAX: Python's small objects and Arrow's buffers on
glibc's malloc, the one allocator whose free memory the idle sweep hands back (malloc_trim)."""


def start_app(port: int, log: Path, arena_max: int = 2, allocators: bool = True) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log, "wb") as out:
        env = {**os.environ, **({"MALLOC_ARENA_MAX": str(arena_max)} if arena_max else {})}  # docs/deploy.md
        env.update(DEPLOY_ALLOCATORS if allocators else {})
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)


def doc_block(tag: str) -> str:
    """The fenced nginx block of docs/deploy.md whose first line is `# <tag>` (the config this bench runs)."""
    for block in re.findall(r"```nginx\n(.*?)```", DEPLOY.read_text(), re.S):
        if block.startswith(f"# {tag}"):
            return str(block)
    raise SystemExit(f"docs/deploy.md has no nginx block starting with '# {tag}'")


def nginx_config(
    workdir: Path,
    listen: int,
    app_ports: list[int],
    *,
    access_log: Path | None = None,
    sticky: bool = True,
    name: str = "nginx",
) -> str:
    """docs/deploy.md's upstream and location blocks, verbatim but for the app ports, in a plain-HTTP server on
    127.0.0.1 (no TLS and no sign-in here: those parts of the docs' site need a certificate and an identity
    provider), with the docs' catch-all server for unknown Host names. `access_log`: a log of each request's route
    key, the app process that answered it, status and path (tests/app/test_deploy_proxy.py); `sticky=False`: the
    upstream without its hash line (nginx's round robin: what the stickiness test must tell apart)."""
    upstream = doc_block("planner-upstream.conf")
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in app_ports)
    upstream = re.sub(r"(?m)^    server 127\.0\.0\.1:\d+;\n", "", upstream)
    hash_line = "    hash $planner_route consistent;\n"
    upstream = upstream.replace(hash_line, (hash_line if sticky else "") + servers)
    locations = doc_block("planner-locations.conf")
    (workdir / "planner-locations.conf").write_text(locations)
    user = "user root;\n" if os.geteuid() == 0 else ""
    log = "    access_log off;"
    if access_log is not None:
        log = (
            "    log_format planner '$planner_route $upstream_addr $status $request_method $uri';\n"
            f"    access_log {access_log} planner;"
        )
    return f"""{user}worker_processes 1;
pid {workdir}/{name}.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{log}
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{listen} default_server;
        return 444;
    }}
    server {{
        listen 127.0.0.1:{listen};
        server_name 127.0.0.1;
        set $planner_user "";
        add_header Set-Cookie "planner_route=$planner_route; Path=/; HttpOnly; SameSite=Lax" always;
        include {workdir}/planner-locations.conf;
    }}
}}
"""


@dataclass
class Stack:
    """What this bench started: app processes (and nginx), the URL the sessions use, where logs go."""

    url: str
    apps: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    workdir: Path = Path()
    ports: list[int] = field(default_factory=list)  # the app processes' ports
    access_log: Path | None = None  # nginx's record of which process answered each request (if asked for)

    def pids(self) -> list[int]:
        return [p.pid for p in self.apps]

    def stop(self) -> None:
        for proc in [*([self.nginx] if self.nginx else []), *self.apps]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*([self.nginx] if self.nginx else []), *self.apps]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def start_nginx(
    workdir: Path, app_ports: list[int], *, access_log: Path | None = None, sticky: bool = True, name: str = "nginx"
) -> tuple[subprocess.Popen[bytes], str]:
    """nginx (nginx_config) in front of the app ports, on a free 127.0.0.1 port; (its process, its URL)."""
    listen = free_port()
    conf = workdir / f"{name}.conf"
    conf.write_text(nginx_config(workdir, listen, app_ports, access_log=access_log, sticky=sticky, name=name))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(workdir)], capture_output=True, text=True)
    if check.returncode:
        raise SystemExit(f"nginx -t failed:\n{check.stderr}")
    proc = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(workdir), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=open(workdir / f"{name}.out", "wb"),  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{listen}"
    deadline = time.monotonic() + 20
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=10)
            raise SystemExit(f"nginx did not start; see {workdir}")
        time.sleep(0.1)
    return proc, url


def start_stack(processes: int, arena_max: int = 2, access_log: bool = False, allocators: bool = True) -> Stack:
    """The app processes (and nginx in front of several, logging which process answered each request when
    `access_log`), on free 127.0.0.1 ports; stopped by Stack.stop."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_load_"))
    os.chmod(workdir, 0o755)
    ports = [free_port() for _ in range(processes)]
    stack = Stack(url="", workdir=workdir)
    try:
        stack.apps = [start_app(p, workdir / f"app{i}.log", arena_max, allocators) for i, p in enumerate(ports)]
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for port, proc in zip(ports, stack.apps, strict=True):
            while not healthy(f"http://127.0.0.1:{port}"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"app on :{port} did not start; log in {workdir}")
                time.sleep(0.25)
        if processes == 1:
            stack.url = f"http://127.0.0.1:{ports[0]}"
            return stack
        stack.ports, stack.access_log = ports, (workdir / "access.log" if access_log else None)
        stack.nginx, stack.url = start_nginx(workdir, ports, access_log=stack.access_log)
        return stack
    except BaseException:
        stack.stop()
        raise


# ---------------------------------------------------------------------------------------------
# One simulated user


class RunFailed(Exception):
    pass


@dataclass
class Timings:
    switch: list[float] = field(default_factory=list)
    widget: list[float] = field(default_factory=list)
    open: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    runs_by_page: dict[str, list[float]] = field(default_factory=dict)
    fragment_runs: int = 0  # widget changes inside an st.fragment (only the fragment reran)


def page_label(page: Any) -> str:
    """A page's name in the figures: its URL path name; the landing page (no path) by its own name."""
    return str(page.url_pathname or page.page_name.lower().replace(" ", "_") or "landing")


def sticky_cookie(url: str) -> str:
    """GET / as a browser does first; returns the Cookie header for what the server (the proxy) set."""
    with urllib.request.urlopen(url + "/", timeout=30) as r:
        cookies = [c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


class Session:
    def __init__(self, url: str, rng: random.Random, timeout: float) -> None:
        self.url, self.rng, self.timeout = url, rng, timeout
        self.pages: dict[str, str] = {}  # page label (url path name; the landing page: its name) -> script hash
        self.page = ""
        self.widgets: dict[str, Any] = {}  # id -> (kind, the element proto, its fragment id) as last drawn
        self.states: dict[str, WidgetState] = {}  # what this user has set, sent with every run as the browser does

    async def run(self, ws: Any, page_hash: str = "", fragment_id: str = "") -> None:
        """One script run (the whole page; with `fragment_id` only that fragment, as the browser asks when a widget
        inside an st.fragment changes), until its script_finished; RunFailed on an exception or after the timeout."""
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = ""
        rerun.page_script_hash = page_hash
        rerun.fragment_id = fragment_id
        rerun.widget_states.widgets.extend(self.states.values())
        await ws.send(msg.SerializeToString())
        if not fragment_id:
            self.widgets = {}
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunFailed(f"no script_finished within {self.timeout:.0f} s")
            try:
                data = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError as e:
                raise RunFailed(f"no script_finished within {self.timeout:.0f} s") from e
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                self.pages = {page_label(p): p.page_script_hash for p in fwd.navigation.app_pages}
                if not self.page:
                    self.page = next((page_label(p) for p in fwd.navigation.app_pages if p.is_default), "")
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    raise RunFailed(f"exception: {el.exception.type}: {el.exception.message[:200]}")
                if which in ("slider", "checkbox"):
                    w = getattr(el, which)
                    if not w.form_id and not w.disabled and (which == "checkbox" or not w.options):
                        self.widgets[w.id] = (which, w, fwd.delta.fragment_id)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RunFailed("script compile error")
                return

    def change_widget(self) -> str:
        """Set a new value for a slider or checkbox of the page drawn last; returns the id of the fragment that
        holds it ("": none, the whole page reruns)."""
        wid = self.rng.choice(sorted(self.widgets))
        which, w, fragment = self.widgets[wid]
        state = WidgetState(id=wid)
        if which == "checkbox":
            old = self.states.get(wid)
            state.bool_value = not (old.bool_value if old else w.default)
        else:
            steps = max(1, round((w.max - w.min) / (w.step or 1)))
            values = sorted(w.min + (w.step or 1) * self.rng.randint(0, steps) for _ in w.default)
            state.double_array_value.data.extend(values)
        self.states[wid] = state
        return str(fragment)

    async def loop(self, until: float, think: tuple[float, float], out: Timings) -> None:
        try:
            t0 = time.perf_counter()  # opening (the GET for the cookie, the WebSocket, the first run) is one action
            async with asyncio.timeout(self.timeout):
                cookie = await asyncio.to_thread(sticky_cookie, self.url)
                headers = {"Cookie": cookie} if cookie else {}
                ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
                ws = await websockets.connect(
                    ws_url, subprotocols=[STREAMLIT], additional_headers=headers, max_size=None,
                    open_timeout=self.timeout,
                )  # fmt: skip
            async with ws:
                async with asyncio.timeout(max(1.0, self.timeout - (time.perf_counter() - t0))):
                    await self.run(ws)
                out.open.append(time.perf_counter() - t0)
                while time.monotonic() < until:
                    await asyncio.sleep(self.rng.uniform(*think))
                    if time.monotonic() >= until:
                        break
                    switch = not self.widgets or self.rng.random() < 0.5
                    fragment = ""
                    if switch:
                        self.page = self.rng.choice([p for p in self.pages if p != self.page])
                        target = self.pages[self.page]
                    else:
                        fragment = self.change_widget()
                        target = self.pages.get(self.page, "")
                    t0 = time.perf_counter()
                    try:
                        await self.run(ws, target, fragment)
                    except RunFailed as e:
                        out.errors.append(f"{self.page}: {e}")
                        if "within" in str(e):
                            return  # the connection is in an unknown state: this user gives up
                        continue
                    took = time.perf_counter() - t0
                    (out.switch if switch else out.widget).append(took)
                    out.runs_by_page.setdefault(self.page, []).append(took)
                    if fragment:
                        out.fragment_runs += 1
        except TimeoutError:
            out.errors.append(f"open: no first run within {self.timeout:.0f} s")
        except (OSError, websockets.WebSocketException, RunFailed) as e:
            out.errors.append(f"connection: {type(e).__name__}: {e}")


# ---------------------------------------------------------------------------------------------
# The load run


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 50), "p90": pct(values, 90), "p99": pct(values, 99),
            "mean": statistics.fmean(values) if values else float("nan")}  # fmt: skip


async def warm_up(url: str) -> None:
    """One session visits every page once, so the runs measured find the process-wide caches warm."""
    s = Session(url, random.Random(0), timeout=300)
    cookie = await asyncio.to_thread(sticky_cookie, url)
    async with websockets.connect(
        url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=[STREAMLIT],
        additional_headers={"Cookie": cookie} if cookie else {}, max_size=None,
    ) as ws:  # fmt: skip
        await s.run(ws)
        for name, page_hash in list(s.pages.items()):
            await s.run(ws, page_hash)
            print(f"  warm-up {name}: ok", flush=True)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot (/proc/stat), for the machine's busy share between samples."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


@dataclass
class Sample:
    """Every 2 s: the app processes' RSS (MB), the 1-minute load average, the share of the machine's CPUs busy and
    the app processes' CPU (in cores) since the previous sample: a noisy run (other jobs beside it) shows here."""

    t: float
    rss: list[float]
    load1: float
    machine_busy: float
    app_cores: float


async def sample_machine(pids: list[int], t_start: float, samples: list[Sample], stop: asyncio.Event) -> None:
    busy0, total0 = machine_cpu()
    app0, t0 = sum(cpu_seconds(p) for p in pids), time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)
        busy, total = machine_cpu()
        app, now = sum(cpu_seconds(p) for p in pids), time.monotonic()
        samples.append(Sample(
            t=round(now - t_start, 1), rss=[round(rss_mb(p), 1) for p in pids], load1=round(os.getloadavg()[0], 2),
            machine_busy=round((busy - busy0) / (total - total0), 3) if total > total0 else 0.0,
            app_cores=round((app - app0) / max(1e-9, now - t0), 2),
        ))  # fmt: skip
        busy0, total0, app0, t0 = busy, total, app, now


def during(samples: list[Sample], start: float, end: float) -> dict[str, float]:
    """The machine's load while the sessions ran (samples between `start` and `end`, seconds from t_start)."""
    inside = [s for s in samples if start < s.t <= end + 2.0] or samples[-1:]
    if not inside:
        return {}
    return {
        "load1_mean": round(statistics.fmean(s.load1 for s in inside), 2),
        "load1_max": max(s.load1 for s in inside),
        "machine_busy_mean": round(statistics.fmean(s.machine_busy for s in inside), 3),
        "app_cores_mean": round(statistics.fmean(s.app_cores for s in inside), 2),
        "cpus": os.cpu_count() or 0,
    }


async def load(args: argparse.Namespace, url: str, pids: list[int]) -> dict[str, Any]:
    for _ in range(1 if args.processes == 1 or args.url else args.processes * 2):
        await warm_up(url)  # behind the proxy: several times, so that (most likely) every process is warm
    t_start = time.monotonic()
    samples: list[Sample] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_machine(pids, t_start, samples, stop))
    await asyncio.sleep(2.1)
    warm = sum(samples[-1].rss) if samples else 0.0
    loadavg_at_start = os.getloadavg()  # just before the sessions start (after the warm-up)
    out = Timings()
    load_start = time.monotonic()
    until = load_start + args.duration
    rng = random.Random(args.seed)
    users = []
    for i in range(args.sessions):  # arrivals spread over the first think time, as people do not click in step
        user = Session(url, random.Random(rng.random()), args.action_timeout)
        users.append(asyncio.create_task(user.loop(until, (args.think_min, args.think_max), out)))
        await asyncio.sleep(args.think_min / max(1, args.sessions) * (i % 3))
    # Bounded: a session still waiting for a run when the last action's timeout has passed is stopped, an error.
    _, unfinished = await asyncio.wait(users, timeout=max(0.0, until + args.action_timeout + 5.0 - time.monotonic()))
    for task in unfinished:
        task.cancel()
        out.errors.append("unfinished: a session still waiting after the load and its action timeout")
    await asyncio.gather(*users, return_exceptions=True)
    t_end = time.monotonic()
    peak = max((sum(s.rss) for s in samples), default=0.0)
    machine = during(samples, load_start - t_start, t_end - t_start)
    print(f"load done after {t_end - t_start:.0f} s; waiting {args.after} s for memory", flush=True)
    await asyncio.sleep(args.after)
    stop.set()
    await sampler
    after = sum(samples[-1].rss) if samples else 0.0
    return {
        "sessions": args.sessions, "processes": args.processes, "duration_s": args.duration,
        "think_s": [args.think_min, args.think_max], "switch": summary(out.switch), "widget": summary(out.widget),
        "open": summary(out.open), "errors": len(out.errors), "error_samples": out.errors[:10],
        "by_page_p50": {k: round(pct(v, 50), 3) for k, v in sorted(out.runs_by_page.items())},
        "fragment_runs": out.fragment_runs, "load_s": round(t_end - load_start, 1),
        "rss_mb": {"warm": round(warm, 1), "peak": round(peak, 1), "after": round(after, 1),
                   "after_s": args.after, "series": [(x.t, x.rss) for x in samples]},
        "malloc_arena_max": args.malloc_arena_max,
        "allocators": DEPLOY_ALLOCATORS if args.allocators == "deploy" else "python's and arrow's defaults",
        "runs_per_s": round((len(out.switch) + len(out.widget)) / max(1e-9, t_end - load_start), 2),
        "loadavg_at_start": loadavg_at_start, "machine_during_load": machine,
        "machine_series": [(x.t, x.load1, x.machine_busy, x.app_cores) for x in samples],
    }  # fmt: skip


def report(r: dict[str, Any]) -> None:
    def row(name: str, s: dict[str, float]) -> str:
        return f"  {name:<14} n={s['n']:<5} p50 {s['p50']:.2f} s  p90 {s['p90']:.2f} s  p99 {s['p99']:.2f} s"

    print(f"\n{r['sessions']} sessions, {r['processes']} process(es), {r['duration_s']} s, think {r['think_s']} s")
    print(row("page switch", r["switch"]))
    print(row("widget change", r["widget"]))
    print(row("first open", r["open"]))
    print(f"  errors: {r['errors']} {r['error_samples'][:3]}")
    m = r["rss_mb"]
    print(f"  RSS MB (all app processes): warm {m['warm']}, peak {m['peak']}, {m['after_s']} s after {m['after']} "
          f"(allocators: {r.get('allocators')}, MALLOC_ARENA_MAX {r.get('malloc_arena_max')})")  # fmt: skip
    print(
        f"  runs/s {r['runs_per_s']} ({r['fragment_runs']} fragment runs); load phase {r['load_s']} s; "
        f"p50 by page {r['by_page_p50']}"
    )
    mach, before = r.get("machine_during_load") or {}, r.get("loadavg_before") or [float("nan")]
    nan = float("nan")
    print(f"  machine: load avg (1 min) {before[0]:.2f} before the app started, {r['loadavg_at_start'][0]:.2f} as the "
          f"sessions started, {mach.get('load1_mean', nan):.2f} mean / {mach.get('load1_max', nan):.2f} max during "
          f"the load; CPUs busy {mach.get('machine_busy_mean', 0):.0%} of {mach.get('cpus', 0)}, the app "
          f"process(es) {mach.get('app_cores_mean', 0):.2f} cores")  # fmt: skip
    ok = (r["switch"]["p50"] <= SWITCH_P50_BUDGET_S and r["switch"]["p99"] <= SWITCH_P99_BUDGET_S
          and r["errors"] == 0 and (not m["warm"] or m["after"] <= RSS_AFTER_BUDGET * m["warm"]))  # fmt: skip
    print(f"  budget (switch p50 <= {SWITCH_P50_BUDGET_S} s, p99 <= {SWITCH_P99_BUDGET_S} s, no errors, RSS after "
          f"<= {RSS_AFTER_BUDGET:.1f}x warm): {'met' if ok else 'NOT met'}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    p.add_argument("--processes", type=int, default=1, choices=(1, 2, 3, 4))
    p.add_argument("--think-min", type=float, default=0.5)
    p.add_argument("--think-max", type=float, default=1.5)
    p.add_argument("--after", type=float, default=300.0, help="seconds to watch memory after the load")
    p.add_argument("--action-timeout", type=float, default=120.0)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument(
        "--malloc-arena-max",
        type=int,
        default=2,
        help="MALLOC_ARENA_MAX for the apps, as docs/deploy.md sets it; 0: glibc's default",
    )
    p.add_argument(
        "--allocators",
        choices=("deploy", "default"),
        default="deploy",
        help="deploy: PYTHONMALLOC=malloc and ARROW_DEFAULT_MEMORY_POOL=system, as docs/deploy.md sets them; "
        "default: pymalloc and Arrow's jemalloc/mimalloc pool (memory the idle sweep cannot hand back)",
    )
    p.add_argument("--url", help="drive a running app (or proxy) instead of starting one")
    p.add_argument("--out", type=Path, help="write the figures (and the RSS series) as JSON")
    args = p.parse_args()
    if not 1 <= args.sessions <= 200 or not 0 < args.duration <= 1800 or not 0 <= args.after <= 900:
        raise SystemExit("bounded: 1-200 sessions, duration up to 1800 s, --after up to 900 s")
    loadavg_before = os.getloadavg()  # before this bench starts anything: what else the machine is running
    stack = Stack(url=args.url) if args.url else start_stack(
        args.processes, args.malloc_arena_max, allocators=args.allocators == "deploy"
    )
    try:
        result = asyncio.run(load(args, stack.url, stack.pids()))
    finally:
        stack.stop()
    result["loadavg_before"] = loadavg_before
    result["loadavg_end"] = os.getloadavg()
    report(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
