"""Issue 21: docs/deploy.md's nginx config for several app processes, run for real (Debian's nginx, as
benchmarks/bench_load.py --processes 2 runs it: the docs' upstream and location blocks verbatim, plain HTTP on
127.0.0.1): a Host other than the site's gets no answer, `/_stcore/*` beyond what the app needs is a 404, only GET
reaches the pages, a browser gets its sticky cookie, a session runs the app through the proxy, and every request of
a browser (its page, health and host-config GETs, its WebSocket) reaches the same app process, by nginx's own
record of which process answered."""

from __future__ import annotations

import http.client
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_load

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None and not Path(bench_load.NGINX).exists(), reason="needs nginx (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[bench_load.Stack]:
    stack = bench_load.start_stack(2, access_log=True)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def proxy(stack: bench_load.Stack) -> str:
    return stack.url


def request(url: str, method: str = "GET", path: str = "/", host: str | None = None) -> http.client.HTTPResponse:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=30)
    conn.request(method, path, headers={"Host": host or str(u.netloc).split(":")[0]})
    return conn.getresponse()


def test_an_unknown_host_gets_no_answer(proxy: str) -> None:
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        request(proxy, host="evil.example").read()


@pytest.mark.parametrize(
    "path", ["/_stcore/metrics", "/_stcore/script-health-check", "/_stcore/agent/openapi.json", "/component/x/y"]
)
def test_streamlit_endpoints_the_app_does_not_need_are_not_reachable(proxy: str, path: str) -> None:
    assert request(proxy, path=path).status == 404


def test_what_the_app_needs_is_reachable_and_only_by_its_methods(proxy: str) -> None:
    assert request(proxy, path="/_stcore/health").status == 200
    assert request(proxy, path="/_stcore/host-config").status == 200
    page = request(proxy)
    assert page.status == 200 and "planner_route=" in (page.getheader("Set-Cookie") or "")
    assert request(proxy, "POST").status == 403
    assert request(proxy, "GET", "/_stcore/upload_file/x/y").status == 403


def run_once(proxy: str, cookie: str) -> list[str]:
    """One script run over the proxy's WebSocket with this browser's cookie; the kinds of elements drawn."""
    url = proxy.replace("http://", "ws://") + "/_stcore/stream"
    with connect(url, subprotocols=[bench_load.STREAMLIT], additional_headers={"Cookie": cookie}, max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        ws.send(msg.SerializeToString())
        deadline, kinds = time.monotonic() + 180, []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(ws.recv(timeout=max(1.0, deadline - time.monotonic())))
            if fwd.WhichOneof("type") == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                kinds.append(fwd.delta.new_element.WhichOneof("type"))
            if fwd.WhichOneof("type") == "script_finished":
                break
    return kinds


def test_a_session_runs_the_app_through_the_proxy(proxy: str) -> None:
    cookie = bench_load.sticky_cookie(proxy)
    assert cookie.startswith("planner_route=")
    kinds = run_once(proxy, cookie)
    assert "dataframe" in kinds and "exception" not in kinds


def answered_by(log: Path, route: str, wait_for: int = 1) -> list[tuple[str, str, str]]:
    """(process address, status, path) of every request nginx logged for this route key (the cookie's value),
    waiting briefly for `wait_for` entries (nginx logs a WebSocket when it closes)."""
    deadline = time.monotonic() + 10
    while True:
        rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
        mine = [(r[1], r[2], r[4]) for r in rows if len(r) >= 5 and r[0] == route]
        if len(mine) >= wait_for or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def browse(proxy: str, log: Path) -> tuple[str, list[tuple[str, str, str]]]:
    """A browser's visit: the page (which sets the cookie), health, host config and a script run over the
    WebSocket, each with its cookie; (its route key, what nginx logged for it)."""
    cookie = bench_load.sticky_cookie(proxy)
    route = cookie.split("=", 1)[1]
    for path in ("/", "/_stcore/health", "/_stcore/host-config", "/"):
        u = urlparse(proxy)
        conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=30)
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Cookie": cookie})
        assert conn.getresponse().status == 200
        conn.close()
    assert "exception" not in run_once(proxy, cookie)
    return route, answered_by(log, route, wait_for=6)


def test_every_request_of_a_browser_reaches_the_same_app_process(stack: bench_load.Stack) -> None:
    """Issue 21: sticky sessions. Browsers are sent to a process by a hash of their random cookie; each browser's
    HTTP requests and its WebSocket land on one process every time, and different browsers use both processes."""
    log = stack.access_log
    assert log is not None
    processes = {f"127.0.0.1:{p}" for p in stack.ports}
    seen: dict[str, str] = {}
    for _ in range(12):  # browsers until both processes have some (each lands on either with about even odds)
        route, rows = browse(stack.url, log)
        assert len(rows) == 6, rows  # the GET that set the cookie, 4 GETs, the WebSocket
        assert any(status == "101" and path == "/_stcore/stream" for _, status, path in rows), rows
        backends = {addr for addr, _, _ in rows}
        assert len(backends) == 1 and backends <= processes, rows
        seen[route] = backends.pop()
        if set(seen.values()) == processes and len(seen) >= 3:
            break
    assert set(seen.values()) == processes, seen


def test_without_the_hash_a_browsers_requests_are_spread(stack: bench_load.Stack) -> None:
    """The check above can fail: the same upstream without its `hash` line (nginx's round robin) sends one
    browser's requests to both processes, and its access log shows it."""
    log = stack.workdir / "access-round-robin.log"
    nginx, url = bench_load.start_nginx(stack.workdir, stack.ports, access_log=log, sticky=False, name="round-robin")
    try:
        _, rows = browse(url, log)
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
    assert len({addr for addr, _, _ in rows}) == 2, rows
