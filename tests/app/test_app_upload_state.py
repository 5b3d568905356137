"""Issue 21, "Injection and state" on the Measurements page: a file name in a Remove button is literal text, and the
same bytes uploaded again (after leaving the uploader) under another GPU replace the earlier import, never both."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
PROFILE = (ROOT / "tests" / "fixtures" / "hostile" / "formula_profile.yaml").read_bytes()


def open_measurements() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/measurements.py")
    return at.run()


def test_the_remove_button_shows_a_markdown_file_name_literally() -> None:
    name = "![i](https:evil.example) **bold**.yaml"
    at = open_measurements()
    at.file_uploader(key="upload_files").set_value([(name, PROFILE, "text/plain")])
    at.run()
    (uid,) = at.session_state["uploads"]
    label = at.button(key=f"rm_{uid}").label
    assert "![i](" not in label and "**bold**" not in label  # was: Markdown, an image fetched from the link
    assert label.startswith("Remove \\!\\[i\\]") and "\\*\\*bold\\*\\*" in label


def test_the_same_bytes_uploaded_again_under_another_gpu_replace_the_first_import() -> None:
    data = (FIXTURES / "sglang_bench_serving.jsonl").read_bytes()
    at = open_measurements()
    uploader = at.file_uploader(key="upload_files")
    uploader.set_value([("sglang.jsonl", data, "text/plain")])
    at.run()
    key = next(iter(at.session_state["pending"]))
    at.selectbox(key=f"sup_gpu_{key}").set_value("h100-sxm")
    at.button(key=f"apply_{key}").click().run()
    assert len(at.session_state["uploads"]) == 1
    at.file_uploader(key="upload_files").set_value([])  # removed from the uploader: its points stay
    at.run()
    assert len(at.session_state["uploads"]) == 1
    at.file_uploader(key="upload_files").set_value([("again.jsonl", data, "text/plain")])
    at.run()
    at.selectbox(key=f"sup_gpu_{key}").set_value("h200")
    at.button(key=f"apply_{key}").click().run()
    assert not at.exception
    ups = at.session_state["uploads"]
    assert len(ups) == 1, [u.file for u in ups.values()]  # was 2: both GPUs' copies
    assert set(next(iter(ups.values())).points["gpu"]) == {"h200"}
