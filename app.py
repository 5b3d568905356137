"""Cost-per-token planner for diffusion and autoregressive LLM serving: the Streamlit entry point.

Navigation over app_pages/, the shared sidebar (utilisation, cost denominator) and per-session state.
Run with `streamlit run app.py`; it opens on the bundled data with no other step, on localhost only
(.streamlit/config.toml). docs/deploy.md: serving it to a team, behind a proxy, with an optional OIDC login.
"""

from __future__ import annotations

import streamlit as st

from app_pages import cached
from app_pages.cached import clear_per_choice_caches
from app_pages.hardening import refuse_client_cache_clearing
from app_pages.housekeeping import collect_garbage_now_and_then, note_run, start_idle_sweeper
from app_pages.state import init_state, sanitize_url
from app_pages.widgets import sidebar
from calculator.data.vocabulary import md

refuse_client_cache_clearing()  # no client empties the caches every session shares (docs/deploy.md)
note_run()
collect_garbage_now_and_then()  # instead of after every run (runner.postScriptGC is off)
start_idle_sweeper(clear_per_choice_caches)  # idle: per-choice caches dropped, memory handed back

st.set_page_config(
    page_title="Diffusion LLM cost planner",
    page_icon="💲",  # an emoji: drawn locally (a Material icon fetches its font from Google)
    layout="wide",
)


def sign_in() -> None:
    """With OIDC login configured ([auth] in .streamlit/secrets.toml, docs/deploy.md) nobody gets past this unsigned
    in; every page's sidebar names who is signed in (also a user named by a proxy via server.trustedUserHeaders)."""
    if st.user.get("is_logged_in") is False:  # Streamlit sets the flag only when [auth] is configured
        st.title("Diffusion LLM cost planner")
        st.write("Sign in to use the planner.")
        st.button("Log in", on_click=st.login, icon=":material/login:", key="login")
        st.stop()
    who = st.user.get("name") or st.user.get("email")
    if who:
        st.sidebar.caption(f"Signed in as {md(who, 80)}")
        if st.user.get("is_logged_in"):
            st.sidebar.button("Log out", on_click=st.logout, icon=":material/logout:", key="logout")


sign_in()
init_state()

PAGES = [
    st.Page(
        "app_pages/decision.py",
        title="Decision",
        icon=":material/balance:",
        default=True,
        help="NLD vs a like-for-like baseline on your GPUs, in dollars: the verdict per GPU, its error, what would "
        "change it, and the vendor's claims checked.",
    ),
    st.Page(
        "app_pages/compare.py",
        title="Compare",
        icon=":material/leaderboard:",
        url_path="compare",
        help="$ per million tokens for every mode and baseline, per GPU and price offer, with provenance.",
    ),
    st.Page(
        "app_pages/scenario.py",
        title="Scenario",
        icon=":material/tune:",
        help="One GPU and price: throughput vs interactivity frontier, cost by concurrency, latency targets, "
        "and where self-speculation stops beating AR.",
    ),
    st.Page(
        "app_pages/capacity.py",
        title="Capacity",
        icon=":material/dns:",
        help="Token volume and peak factor to replicas, GPUs and a monthly bill; mixed-mode plans; API break-even.",
    ),
    st.Page(
        "app_pages/measurements.py",
        title="Measurements",
        icon=":material/upload_file:",
        help="Upload your own benchmark results (our profile, CSV, SGLang, vLLM, GuideLLM, AIPerf, ...) for this "
        "session; they appear on every page.",
    ),
    st.Page(
        "app_pages/prices.py",
        title="Prices",
        icon=":material/sell:",
        help="Edit the bundled cloud prices, add a private quote, or price owned hardware (TCO) for this session.",
    ),
    st.Page(
        "app_pages/hardware.py",
        title="Hardware",
        icon=":material/memory:",
        help="The same model and mode across A100, H100, H200, B200, GB200 and others: measured where measured, "
        "estimated (labelled) elsewhere.",
    ),
    st.Page(
        "app_pages/forward_passes.py",
        title="Forward passes",
        icon=":material/speed:",
        help="Forward-pass cost surfaces: recorded by `python -m measurements forward` (measured here, any device) and "
        "bundled third-party ones, with the estimator's forward time beside them.",
    ),
    st.Page(
        "app_pages/export.py",
        title="Export",
        icon=":material/download:",
        help="Download the current scenario's cost table (CSV, Excel, Markdown, JSON) and charts (HTML).",
    ),
]

page = st.navigation(PAGES, position="top")
sanitize_url()  # before any bound widget reads the link
sidebar()
measured_problems = cached.bundled_catalog().problems
if measured_problems:  # a bad file in hardware_profiles/measured/: skipped, the rest loaded, the app runs on
    st.warning(
        f"Skipped {len(measured_problems)} problem(s) in hardware_profiles/measured/ (everything else loaded): "
        + "; ".join(str(p) for p in measured_problems[:5])
        + (" …" if len(measured_problems) > 5 else ""),
        icon=":material/warning:",
    )
page.run()
