"""Fixtures shared by the AppTests of several pages, and the hypothesis profiles.

Hypothesis: the default profile is derandomized, so `pytest` (CI, the README's command) tries the same examples on
every run and a landing never fails on a case nobody saw before. To hunt for new cases, run
`pytest --hypothesis-profile=explore` (random examples on every run); fix what it finds with a plain test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings
from streamlit.runtime.media_file_manager import MediaFileManager

settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("default")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Callable[[], bytes]]]:
    """The download buttons' deferred file builders, by file name (called as a click would)."""
    files: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):  # type: ignore[no-untyped-def]
        files[str(file_name)] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    yield files
