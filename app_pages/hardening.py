"""Server-side guards the app installs in its own Streamlit process (docs/deploy.md, issue 21).

Streamlit's WebSocket accepts a `clear_cache` message from any client (the developer menu's "Clear cache", hidden
here by client.toolbarMode = "viewer"), and the caches it empties (st.cache_data, st.cache_resource) are shared by
every session: one client could make everyone's next runs recompute the bundled data and the estimator's checks,
again and again. No Streamlit setting turns the message off and a proxy cannot see inside WebSocket frames, so the
app refuses it itself: the message is logged and ignored. (The caches are still emptied where the app means to,
e.g. the Forward passes page's "Reload measured files".)
"""

from __future__ import annotations

import logging

from streamlit.runtime.app_session import AppSession

_LOG = logging.getLogger(__name__)
_MARK = "_planner_refuses_clear_cache"


def _refuse_clear_cache(self: AppSession) -> None:
    _LOG.warning("refused a client's clear_cache request: the caches are shared by every session")


def refuse_client_cache_clearing() -> None:
    """Make every session of this process ignore a client's clear_cache message (idempotent)."""
    if getattr(AppSession._handle_clear_cache_request, _MARK, False):
        return
    setattr(_refuse_clear_cache, _MARK, True)
    AppSession._handle_clear_cache_request = _refuse_clear_cache  # type: ignore[method-assign]
