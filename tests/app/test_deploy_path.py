"""Issue 21: the server's absolute script path reaches every client in Streamlit's session message. The installed
Streamlit still sends it (so docs/deploy.md's advice to run from a neutral path stands), and the doc says so."""

from __future__ import annotations

import inspect
from pathlib import Path

from streamlit.runtime.app_session import AppSession

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_sends_the_main_script_path_in_every_new_session_message() -> None:
    source = inspect.getsource(AppSession._create_new_session_message)
    assert "msg.new_session.main_script_path = " in source  # when this fails, revisit docs/deploy.md's section


def test_deploy_doc_says_the_path_is_sent_and_to_run_from_a_neutral_path() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    assert "main_script_path" in text and "absolute path" in text
    assert "neutral path" in text and "git archive" in text
