"""AppTest: the Hardware page shows the same model and mode across GPUs, measured vs estimated vs no data."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("app_pages/hardware.py")
    return at.run()


def gpu_table(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "gpu_name" in d.value.columns)


def test_hardware_lists_the_focus_gpus_with_a_figure_or_no_data() -> None:
    at = open_page()
    assert not at.exception
    t = gpu_table(at)
    assert {"a100-80gb", "h100-sxm", "h200", "b200", "gb200", "mi300x"} <= set(t["gpu"])
    assert set(t["kind"]) <= {"data point", "estimated", "no data"}
    published = t[t["kind"] == "data point"]
    assert {"b200", "gb200"} <= set(published["gpu"])  # vendor-internal sweep and Fig. 9


def test_changing_mode_changes_the_table() -> None:
    at = open_page()
    before = gpu_table(at)["output_tok_s_per_gpu"].tolist()
    at.selectbox(key="hw_mode").set_value("ar").run()
    assert not at.exception
    assert gpu_table(at)["output_tok_s_per_gpu"].tolist() != before


def test_every_gpu_toggle_adds_rows() -> None:
    at = open_page()
    n = len(gpu_table(at))
    at.toggle(key="hw_all").set_value(True).run()
    assert not at.exception
    assert len(gpu_table(at)) > n
