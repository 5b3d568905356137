"""Per-session state and the URL: uploads, edited prices, quotes and owned TCO (never written to disk), the
sidebar's cost settings, and the scenario as the URL holds it (parsed, range-checked, written back on pages that
do not draw its widgets, with a notice when a link's value is not available).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app_pages.cached import bundled_catalog, frame_digest
from calculator.catalog import normalise_points, prices_frame
from calculator.cost import DEFAULT_DENOMINATOR, DEFAULT_PRICE_RATIO, DENOMINATORS, CostSettings
from calculator.labels import md_escape
from calculator.scenario import (
    AS_MEASURED,
    CONTEXT_CHOICES,
    CROSSOVER_BASELINES,
    NLD_SIZES,
    SPEED_BENCH_CATEGORIES,
    ScenarioInputs,
)
from calculator.schema import TIERS, PriceOffer
from calculator.uploads import Upload, uploaded_points


def init_state() -> None:
    """Per-session containers, created once (app.py calls this on every run; it is cheap)."""
    st.session_state.setdefault("uploads", {})  # uid -> Upload
    st.session_state.setdefault("pending", {})  # file digest -> pending import (Measurements page)
    st.session_state.setdefault("offers_edited", None)  # list[PriceOffer] from the Prices editor, or None
    st.session_state.setdefault("quotes", [])  # list[PriceOffer]: private quotes
    st.session_state.setdefault("owned", [])  # list[PriceOffer]: owned-hardware TCO offers


def uploads() -> dict[str, Upload]:
    init_state()
    return st.session_state["uploads"]  # type: ignore[no-any-return]


def points_changed() -> None:
    """Forget the cached session points frame (after an upload is added or removed)."""
    st.session_state.pop("_all_points", None)


def session_uploaded_points() -> pd.DataFrame:
    return uploaded_points(uploads().values())


def all_points() -> tuple[str, pd.DataFrame]:
    """(cache key, points): bundled profiles plus this session's uploads."""
    cat = bundled_catalog()
    ups = uploads()
    if not ups:
        return "bundled", cat.points
    key = "bundled+" + "+".join(sorted(ups))
    cached = st.session_state.get("_all_points")
    if cached is not None and cached[0] == key:
        return key, cached[1]
    pts = normalise_points(pd.concat([cat.points, session_uploaded_points()], ignore_index=True))
    st.session_state["_all_points"] = (key, pts)
    return key, pts


def session_offers() -> list[PriceOffer]:
    """The offers this session prices with: bundled (or as edited), private quotes, owned TCO."""
    init_state()
    base = st.session_state["offers_edited"]
    if base is None:
        base = bundled_catalog().offers
    return [*base, *st.session_state["quotes"], *st.session_state["owned"]]


def all_prices() -> tuple[str, pd.DataFrame]:
    """(cache key, prices DataFrame) for this session."""
    init_state()
    sig = (
        id(st.session_state["offers_edited"]),
        tuple(o.id for o in st.session_state["quotes"]),
        tuple(o.id for o in st.session_state["owned"]),
    )
    cached = st.session_state.get("_all_prices")
    if cached is not None and cached[0] == sig:
        return cached[1], cached[2]
    df = prices_frame(session_offers())
    key = "bundled" if sig == (id(None), (), ()) else frame_digest(df)
    st.session_state["_all_prices"] = (sig, key, df)
    return key, df


def prices_changed() -> None:
    """Forget the cached session price frame (after an edit, quote or TCO change)."""
    st.session_state.pop("_all_prices", None)


def utilisation() -> float:
    return float(st.session_state.get("util", 100)) / 100.0


def cost_settings() -> CostSettings:
    """The sidebar's utilisation and denominator, with the price ratio R."""
    return CostSettings(
        utilisation=utilisation(),
        denominator=str(st.session_state.get("denom", DEFAULT_DENOMINATOR)),
        price_ratio=DEFAULT_PRICE_RATIO,
    )


def known_gpus() -> list[str]:
    return [g.id for g in bundled_catalog().gpu_specs]


def gpu_names() -> dict[str, str]:
    return {g.id: g.name for g in bundled_catalog().gpu_specs}


def gpu_name(gpu: str) -> str:
    return gpu_names().get(gpu, gpu)


# ---------------------------------------------------------------------------------------------
# The scenario in the URL

# Every scenario input that lives in the URL (util is the sidebar's, bound on every page).
SCENARIO_URL_KEYS: tuple[str, ...] = (
    "size", "gpu", "tier", "provider", "isl", "osl", "ctx", "cat", "ttft", "tps", "strict", "est_len", "base",
)  # fmt: skip


def context_label(tokens: int | None) -> str:
    """How the context slider (and the URL) writes a context: auto (derived from ISL), or 8K, 64K ..."""
    return "auto" if not tokens else f"{int(tokens) // 1024}K"


def parse_context(raw: str) -> int | None:
    """A URL context back to tokens (auto: None); ValueError when it is not one of the slider's choices."""
    text = str(raw).strip()
    if text.lower() == "auto":
        return None
    for n in CONTEXT_CHOICES:
        if text.upper() == context_label(n):
            return n
    raise ValueError(f"not a context choice: {text!r}")


def _url_text(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if key == "ctx":
        return context_label(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def url_params(inputs: ScenarioInputs) -> dict[str, str]:
    """The inputs that differ from the defaults, as the URL writes them (bool true/false, context 8K)."""
    d = ScenarioInputs()
    return {k: _url_text(k, getattr(inputs, k)) for k in SCENARIO_URL_KEYS if getattr(inputs, k) != getattr(d, k)}


def parse_param(raw: str, default: Any) -> Any:
    """A URL value as the type of its default; None (use the default) when it does not parse."""
    raw = str(raw).strip()
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(float(raw))
        if isinstance(default, float):
            v = float(raw)
            return v if np.isfinite(v) else None
    except ValueError:
        return None
    return raw or None


def scenario_from_state() -> ScenarioInputs:
    """The scenario as the session (and so the URL) holds it; defaults where a widget was never drawn."""
    d = ScenarioInputs()
    s = st.session_state

    def get(key: str, default: Any) -> Any:
        """Session value, else the URL's (a link opened straight on this page), else the default."""
        v = s.get(key)
        if v is None and key in st.query_params:
            v = parse_param(st.query_params.get(key, ""), default)
        return default if v is None else v

    def clamp(v: float, lo: float, hi: float) -> float:
        return min(max(v, lo), hi)

    # Values can come from a URL: keep them in the ranges the widgets allow.
    size, tier, cat, base = get("size", d.size), get("tier", d.tier), get("cat", d.cat), get("base", d.base)
    return ScenarioInputs(
        size=size if size in NLD_SIZES else d.size,
        gpu=str(get("gpu", d.gpu))[:64],
        tier=tier if tier in TIERS else d.tier,
        provider=str(get("provider", d.provider))[:200],
        isl=int(clamp(int(get("isl", d.isl)), 1, 1_000_000)),
        osl=int(clamp(int(get("osl", d.osl)), 1, 1_000_000)),
        ctx=context_from_state(),
        cat=cat if cat in (AS_MEASURED, *SPEED_BENCH_CATEGORIES) else d.cat,
        ttft=clamp(float(get("ttft", d.ttft)), 0.0, 600_000.0),
        tps=clamp(float(get("tps", d.tps)), 0.0, 100_000.0),
        util=int(clamp(int(get("util", d.util)), 5, 100)),
        strict=bool(get("strict", d.strict)),
        est_len=bool(get("est_len", d.est_len)),
        base=base if base in CROSSOVER_BASELINES else d.base,
    )


def context_from_state() -> int | None:
    """The context override as the slider (0 = auto) or the URL holds it; None: derived from ISL."""
    v = st.session_state.get("ctx")
    if v is None and "ctx" in st.query_params:
        try:
            return parse_context(st.query_params.get("ctx", ""))
        except ValueError:
            return None
    return int(v) if v else None


def pin_scenario_to_url(inputs: ScenarioInputs) -> None:
    """Write the scenario's inputs into the URL on a page that does not draw them (Export), so that page's own
    address is a link to the same scenario. Parameters bound to a widget on this page are left to it."""
    for k, v in url_params(inputs).items():
        if st.query_params.get(k) == v:
            continue
        try:
            st.query_params[k] = v
        except Exception:  # bound to a widget here: the widget writes it
            continue


def url_value_notice(key: str, options: Sequence[Any], what: str, *, multi: bool = False) -> None:
    """Before a bound widget is drawn: if the URL gives it a value that is not one of `options` (a link made for
    another GPU, an old link), say that it was reset, once per session and value (st.info)."""
    if key not in st.query_params:
        return
    raw = st.query_params.get_all(key) if multi else [st.query_params.get(key, "")]
    valid = {str(o) for o in options}
    bad = [str(v) for v in raw if str(v) and str(v) not in valid]
    if not bad:
        return
    seen: set[str] = st.session_state.setdefault("_url_notices", set())
    sig = f"{key}={'&'.join(bad)}"
    if sig in seen:
        return
    seen.add(sig)
    shown = ", ".join(md_escape(b, 40) for b in bad[:5])
    st.info(
        f"The link's {key}={shown} is not available here ({md_escape(what)}): "
        + ("dropped from the selection." if multi else "reset to the default."),
        icon=":material/link_off:",
    )


# Every bound widget whose valid values do not depend on the page: (lowest, highest, whole numbers only) for numbers,
# the options for choices. A link's value outside them is removed before any widget reads it (a number input raises
# on inf; others fall back silently), and the page says so.
NUMBER_PARAMS: dict[str, tuple[float, float, bool]] = {
    "isl": (1, 1_000_000, True),
    "osl": (1, 1_000_000, True),
    "ttft": (0, 600_000, False),
    "tps": (0, 100_000, False),
    "util": (5, 100, True),
    "vol": (1_000_000, 1e15, False),
    "peak": (1, 24, False),
    "peak_h": (1, 24, False),
    "api_out": (0.001, 1000, False),
    "api_in": (0, 1000, False),
    "hw_conc": (1, 128, True),
}
_BOOL = ("true", "false")
CHOICE_PARAMS: dict[str, tuple[str, ...]] = {
    "size": tuple(NLD_SIZES),
    "cat": (AS_MEASURED, *SPEED_BENCH_CATEGORIES),
    "ctx": ("auto", *(f"{n // 1024}K" for n in CONTEXT_CHOICES)),
    "denom": tuple(DENOMINATORS),
    "vol_unit": ("day", "month"),
    "base": tuple(CROSSOVER_BASELINES),
    **dict.fromkeys(("strict", "est_len", "c_est", "c_chart", "autoscale", "hw_all"), _BOOL),
}


def _number_ok(raw: str, lo: float, hi: float, whole: bool) -> bool:
    try:
        v = float(raw)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(np.isfinite(v)) and lo <= v <= hi and (not whole or float(v).is_integer())


def _drop_url_param(key: str) -> None:
    """Remove a parameter from the URL and from the values bound widgets are seeded from on this page load.

    Streamlit 1.67 seeds a bound widget from the query string as the session first loaded it (QueryParams'
    `_initial_query_params`), so deleting from st.query_params alone does not stop a number input from reading
    `isl=inf` (which raises OverflowError inside Streamlit). The seeding copy has no public setter: this is the one
    place that reaches it, pinned by tests/test_app_url_values.py."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    with get_session_state().query_params() as qp:
        qp.remove_param(key)
        initial = getattr(qp, "_initial_query_params", None)
        if isinstance(initial, dict):
            initial.pop(key, None)


def sanitize_url() -> None:
    """Remove the link's values that no widget may take (not a number, non-finite, out of range, not an option)
    before any widget reads them, and say so once per session and value (st.info)."""
    bad: list[tuple[str, str, str]] = []
    for key in list(st.query_params):
        values = st.query_params.get_all(key)
        if key in NUMBER_PARAMS:
            lo, hi, whole = NUMBER_PARAMS[key]
            wrong = [v for v in values if not _number_ok(v, lo, hi, whole)]
            what = f"a {'whole ' if whole else ''}number from {lo:,g} to {hi:,g}"
        elif key in CHOICE_PARAMS:
            wrong = [v for v in values if v not in CHOICE_PARAMS[key]]
            what = "one of " + ", ".join(CHOICE_PARAMS[key][:8]) + ("…" if len(CHOICE_PARAMS[key]) > 8 else "")
        else:
            continue
        if wrong:
            _drop_url_param(key)
            bad.extend((key, v, what) for v in wrong)
    seen: set[str] = st.session_state.setdefault("_url_notices", set())
    for key, value, what in bad:
        sig = f"{key}={value}"
        if sig in seen:
            continue
        seen.add(sig)
        st.info(
            f"The link's {key}={md_escape(value, 40)} is not a valid value (expected {md_escape(what)}): reset to the "
            "default.",
            icon=":material/link_off:",
        )
