"""Issue 21: docs/deploy.md's nginx config for several app processes, run for real (Debian's nginx, as
benchmarks/bench_load.py --processes 2 runs it: the docs' upstream and location blocks verbatim, plain HTTP on
127.0.0.1): a Host other than the site's gets no answer, `/_stcore/*` beyond what the app needs is a 404, only GET
reaches the pages, a browser gets its sticky cookie, and a session runs the app through the proxy."""

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
def proxy() -> Iterator[str]:
    stack = bench_load.start_stack(2)
    try:
        yield stack.url
    finally:
        stack.stop()


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


def test_a_session_runs_the_app_through_the_proxy(proxy: str) -> None:
    cookie = bench_load.sticky_cookie(proxy)
    assert cookie.startswith("planner_route=")
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
    assert "dataframe" in kinds and "exception" not in kinds
