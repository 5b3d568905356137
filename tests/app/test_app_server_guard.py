"""Issue 21: a WebSocket client cannot empty what every session shares. Streamlit answers a `clear_cache` BackMsg
by clearing st.cache_data and st.cache_resource for the whole process (and the sender's session state); the app
refuses it (app_pages/hardening.py, installed by app.py).

- in-process: Streamlit's own handler, after the app's guard, leaves a real st.cache_resource filled;
- end to end: a real `streamlit run app.py` over its WebSocket, speaking Streamlit's protobufs: a session that
  turned Compare's chart on, then sent clear_cache, still has it on at the next run (Streamlit's handler clears
  the sender's session state with the caches, which is the part a client can observe)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.app_session import AppSession
from websockets.sync.client import ClientConnection, connect

from app_pages.hardening import refuse_client_cache_clearing
from tests.browser.streamlit_server import streamlit_app


def test_after_the_guard_streamlits_clear_cache_handler_leaves_the_shared_caches() -> None:
    calls: list[int] = []

    @st.cache_resource
    def shared() -> int:
        calls.append(1)
        return len(calls)

    shared()
    fake_session = SimpleNamespace(_session_state=SimpleNamespace(clear=lambda: None), id="s")
    refuse_client_cache_clearing()
    refuse_client_cache_clearing()  # idempotent
    AppSession._handle_clear_cache_request(fake_session)  # type: ignore[arg-type]
    shared()
    assert len(calls) == 1, "the client's clear_cache emptied st.cache_resource"
    shared.clear()  # the app's own clearing still works
    shared()
    assert len(calls) == 2


class Client:
    """One session over the app's WebSocket: runs the Compare page, remembers widget ids by their keys."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids: dict[str, str] = {}

    def run(self, states: Sequence[WidgetState] = (), timeout: float = 180) -> list[str]:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = "compare"  # Compare's chart toggle (the decision page is the landing page)
        msg.rerun_script.widget_states.widgets.extend(states)
        self.ws.send(msg.SerializeToString())
        kinds: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=max(1.0, deadline - time.monotonic())))
            if fwd.WhichOneof("type") == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                kind = str(el.WhichOneof("type"))
                kinds.append(kind)
                wid = getattr(getattr(el, kind), "id", "")
                if wid:
                    self.ids[wid.rsplit("-", 1)[-1]] = wid
                if kind == "exception":
                    raise AssertionError(el.exception.message)
            if fwd.WhichOneof("type") == "script_finished":
                return kinds


@pytest.fixture(scope="module")
def stream_url() -> Iterator[str]:
    with streamlit_app(log_name="streamlit-guard.log") as server:
        yield server.url.replace("http://", "ws://") + "/_stcore/stream"


def test_a_client_cannot_clear_the_served_apps_state(stream_url: str) -> None:
    with connect(stream_url, subprotocols=["streamlit"], max_size=None) as ws:  # type: ignore[list-item]
        client = Client(ws)
        assert "plotly_chart" not in client.run()
        assert "plotly_chart" in client.run([WidgetState(id=client.ids["c_chart"], bool_value=True)])
        assert "plotly_chart" in client.run()  # kept by the session without being sent again
        clear = BackMsg()
        clear.clear_cache = True
        ws.send(clear.SerializeToString())
        time.sleep(0.5)
        assert "plotly_chart" in client.run(), "the client's clear_cache reached Streamlit's handler"
