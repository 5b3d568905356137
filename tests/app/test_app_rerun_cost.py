"""The per-run derivations the pages keep (issue 21, load): kept while their source lives, made again for another
source or tag, and forgotten with the source (so the idle sweep's emptied caches hand their memory back); a page
drawn from kept derivations shows what it showed when it derived them."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from app_pages import cached

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_derived_is_kept_per_source_and_tag_and_forgotten_with_the_source() -> None:
    calls: list[str] = []

    def make(tag: str) -> pd.DataFrame:
        calls.append(tag)
        return pd.DataFrame({"x": [len(calls)]})

    source = pd.DataFrame({"a": [1, 2]})
    first = cached.derived(source, "t", lambda: make("t"))
    assert cached.derived(source, "t", lambda: make("t")) is first  # kept: made once
    other = cached.derived(source, ("t", 2), lambda: make("t2"))
    assert other is not first and calls == ["t", "t2"]
    assert cached.derived(source.copy(), "t", lambda: make("copy")) is not first  # another object: made again
    before = len(cached._DERIVED)
    del source
    gc.collect()
    assert len(cached._DERIVED) <= before - 2  # both of the source's entries went with it


def drawn(at: AppTest) -> tuple[list[pd.DataFrame], list[str]]:
    """The page's tables (st.dataframe and st.table) and its metrics and captions."""
    tables = [d.value.reset_index(drop=True) for d in at.dataframe] + [t.value for t in at.table]
    return tables, [m.value for m in at.metric] + [c.value for c in at.caption]


def test_pages_drawn_again_from_kept_derivations_show_the_same() -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    for page in ("app_pages/compare.py", "app_pages/scenario.py", "app_pages/capacity.py", "app_pages/export.py",
                 "app_pages/hardware.py", "app_pages/decision.py"):  # fmt: skip
        at.switch_page(page).run()
        assert not at.exception, page
        tables, texts = drawn(at)
        assert tables, page
        at.run()  # the same choices again: every derivation comes from the caches
        tables_again, texts_again = drawn(at)
        assert texts_again == texts, page
        assert len(tables_again) == len(tables), page
        for a, b in zip(tables, tables_again, strict=True):
            pd.testing.assert_frame_equal(a, b)
